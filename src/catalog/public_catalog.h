// What an environment publishes about its catalog, for customers and their IdP admins: a JSON
// document (GET /{env}/catalog.json, versioned, cacheable) and a plain HTML page generated from
// that document (GET /{env}/catalog): every attribute with its type, rules, purposes,
// sensitivity and what to send from each IdP. Organizations' custom attributes are not in it.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

#include "catalog/attribute.h"

namespace gh::catalog {

nlohmann::json public_catalog_json(std::string_view environment, int64_t version,
                                   int64_t updated_at_ms, const Catalog& catalog);
// Escaped, no scripts, no external resources.
std::string public_catalog_html(const nlohmann::json& document);

}  // namespace gh::catalog
