// The Cedar schema of principals, generated from the catalog (Cedar's JSON schema format, which
// src/authz/cedar parses): entity type User with one attribute per catalog attribute (only
// required ones required, since users often lack the rest), memberOf Group (the catalog's group
// references become the entity hierarchy, not an attribute), and an organization's custom
// attributes in a `custom` record (principal.custom.badge_id).
#pragma once

#include <nlohmann/json.hpp>
#include <string_view>

#include "catalog/attribute.h"

namespace gh::catalog {

nlohmann::json cedar_schema(const Catalog& effective,
                            std::string_view cedar_namespace = "Gatehouse");

}  // namespace gh::catalog
