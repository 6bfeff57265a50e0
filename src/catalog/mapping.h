// Attribute mappings (a connection's SAML attributes or OIDC claims, a directory's SCIM paths →
// catalog attributes) are checked against the catalog when they are saved: a mapping that names
// an attribute the catalog does not define is refused, so no login or provisioning run can
// produce an attribute nobody defined. The SAML, OIDC and SCIM issues call this.
#pragma once

#include <string>
#include <vector>

#include "catalog/attribute.h"

namespace gh::catalog {

struct MappingRule {
  std::string source;     // SAML attribute name, OIDC claim, or SCIM path
  std::string attribute;  // catalog name (org custom: org.<namespace>.<name>)
};

struct MappingCheck {
  std::vector<std::string> warnings;  // e.g. a deprecated target, with its replacement
};

// catalog.unknown_attribute (with `index` and `attribute`) for a target not in `effective`;
// request.invalid_field for an empty source or target, or two rules with the same source.
Result<MappingCheck> validate_mapping(const Catalog& effective,
                                      const std::vector<MappingRule>& rules);

}  // namespace gh::catalog
