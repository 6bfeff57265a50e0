// What changed between two versions of a catalog, attribute by attribute: added, removed,
// deprecated, or changed (each changed field with its old and new value).
#pragma once

#include <nlohmann/json.hpp>

#include "catalog/attribute.h"

namespace gh::catalog {

// [{"op": "added"|"removed"|"changed"|"deprecated", "attribute": name,
//   "changes": {field: {"from": old, "to": new}}}], in the newer catalog's order.
nlohmann::json diff_catalogs(const Catalog& from, const Catalog& to);

}  // namespace gh::catalog
