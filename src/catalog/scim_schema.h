// SCIM schemas generated from the catalog (RFC 7643 §7): the core User schema, the enterprise
// User extension (§4.3) and one extension per organization for its custom attributes, placed by
// each attribute's first SCIM path ("name.givenName", "emails[type eq \"work\"].value",
// "urn:...:enterprise:2.0:User:employeeNumber"). The same tree checks a User resource as an IdP
// sends it: each value against its SCIM type and its catalog rules.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "catalog/attribute.h"
#include "catalog/value_check.h"

namespace gh::catalog {

inline constexpr std::string_view kScimCoreUser = "urn:ietf:params:scim:schemas:core:2.0:User";
inline constexpr std::string_view kScimEnterpriseUser =
    "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User";

// The Schema resources (core User first, then the enterprise and custom extensions that have
// attributes), each with meta.location under `base_url` (".../scim/v2"; empty: relative).
std::vector<nlohmann::json> scim_schema_resources(const Catalog& effective,
                                                  std::string_view base_url);
// GET /Schemas: a ListResponse of those.
nlohmann::json scim_schemas_list(const Catalog& effective, std::string_view base_url);
// The extension schema URNs a User resource may carry.
std::vector<std::string> scim_extension_urns(const Catalog& effective);

// A User resource (POST or PUT body) checked against the generated schemas. Unknown attributes
// and read-only ones (groups) are ignored as RFC 7643 §2.2 asks, and listed; null and [] mean
// "no value" (§2.5).
struct ScimCheck {
  std::vector<ValueViolation> invalid;
  std::vector<std::string> ignored;
  bool ok() const { return invalid.empty(); }
};
ScimCheck check_scim_user(const Catalog& effective, const nlohmann::json& resource);

// The RFC 7644 §3.12 error for a failed check: status "400", scimType invalidValue, a detail
// naming each attribute and rule.
nlohmann::json scim_invalid_value_error(const std::vector<ValueViolation>& invalid);

}  // namespace gh::catalog
