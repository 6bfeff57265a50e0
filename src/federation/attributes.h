// Upstream claims to catalog attributes. Each attribute of the organization's effective
// catalog takes its value from the claim the connection's attribute_mapping names for it
// ({"claims": {"department": "dept"}}), else from the first of the catalog's OIDC sources
// present. Values are checked by catalog::decide_login_value: an invalid value is dropped and
// recorded on the trace; one the connection requires ({"required": ["email"]}) fails the login
// with login.attribute_invalid.
#pragma once

#include <nlohmann/json.hpp>

#include "catalog/attribute.h"
#include "core/result.h"
#include "federation/trace.h"

namespace gh::federation {

// attribute_mapping as the admin API accepts it: {"claims": {attr: claim}, "required": [attr]}.
// connection.invalid naming the field; attributes must be in the catalog when one is given.
Result<bool> validate_attribute_mapping(const nlohmann::json& mapping,
                                        const catalog::Catalog* catalog);

// Returns {attribute name: value} for the values kept.
Result<nlohmann::json> map_claims(const catalog::Catalog& catalog, const nlohmann::json& claims,
                                  const nlohmann::json& attribute_mapping, Trace& trace);

}  // namespace gh::federation
