// SQL repository of catalog versions.
#pragma once

#include "store/catalog.h"
#include "store/sql/sql_store.h"

namespace gh::store {

class SqlCatalogRepository final : public CatalogRepository {
 public:
  explicit SqlCatalogRepository(SqlContext& ctx) : ctx_(ctx) {}

  Result<std::optional<CatalogVersionRow>> current(std::string_view environment_id,
                                                   std::string_view organization_id) override;
  Result<CatalogVersionRow> get(std::string_view environment_id, std::string_view organization_id,
                                int64_t version) override;
  Result<std::vector<CatalogVersionRow>> list(std::string_view environment_id,
                                              std::string_view organization_id, int64_t before,
                                              int limit) override;
  Result<CatalogVersionRow> append(const CatalogVersionRow& row) override;

 private:
  Result<std::optional<CatalogVersionRow>> select_one(std::string_view environment_id,
                                                      std::string_view organization_id,
                                                      int64_t version);
  SqlContext& ctx_;
};

}  // namespace gh::store
