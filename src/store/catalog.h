// The attribute catalog's versions. Every change to a catalog appends a whole new version (the
// document and its diff from the previous one); nothing is ever rewritten, so any version can be
// read back and any two compared. One catalog per environment (organization_id '') and one per
// organization holding only its custom attributes; organization id leads every key.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"

namespace gh::store {

struct CatalogVersionRow {
  std::string environment_id;
  std::string organization_id;  // "" = the environment's catalog
  int64_t version = 0;          // 1, 2, ...
  std::string document;         // JSON (catalog/attribute.h: catalog_json); empty in list()
  std::string diff;             // JSON array of changes from the previous version
  std::string action;           // e.g. catalog.attribute_added
  std::string actor_type;
  std::string actor_id;
  int64_t created_at_ms = 0;
};

class CatalogRepository {
 public:
  virtual ~CatalogRepository() = default;
  // The newest version; nothing when the catalog was never written.
  virtual Result<std::optional<CatalogVersionRow>> current(std::string_view environment_id,
                                                           std::string_view organization_id) = 0;
  // catalog.version_not_found for unknown versions and other organizations' or environments'.
  virtual Result<CatalogVersionRow> get(std::string_view environment_id,
                                        std::string_view organization_id, int64_t version) = 0;
  // Newest first, versions below `before` (0: from the newest), without their documents.
  virtual Result<std::vector<CatalogVersionRow>> list(std::string_view environment_id,
                                                      std::string_view organization_id,
                                                      int64_t before, int limit) = 0;
  // Appends `row.version`, which must be the current version + 1 (1 for a new catalog);
  // request.precondition_failed when another writer got there first.
  virtual Result<CatalogVersionRow> append(const CatalogVersionRow& row) = 0;
};

}  // namespace gh::store
