// SQL repository of domains and their environment-wide claims.
#pragma once

#include "store/domains.h"
#include "store/sql/sql_store.h"

namespace gh::store {

class SqlDomainRepository final : public DomainRepository {
 public:
  explicit SqlDomainRepository(SqlContext& ctx) : ctx_(ctx) {}
  Result<Domain> create(const Domain& domain) override;
  Result<Domain> get(std::string_view environment_id, std::string_view organization_id,
                     std::string_view name) override;
  Result<std::vector<Domain>> list(std::string_view environment_id,
                                   std::string_view organization_id) override;
  Result<Domain> remove(std::string_view environment_id, std::string_view organization_id,
                        std::string_view name) override;
  Result<Domain> mark_verified(std::string_view environment_id, std::string_view organization_id,
                               std::string_view name, int64_t now_ms,
                               int64_t next_check_at_ms) override;
  Result<Domain> mark_checked(std::string_view environment_id, std::string_view organization_id,
                              std::string_view name, std::string_view state, std::string_view error,
                              int64_t now_ms, int64_t next_check_at_ms) override;
  Result<std::vector<Domain>> take_due(int64_t now_ms, int64_t next_check_at_ms,
                                       int limit) override;
  Result<std::optional<Domain>> find_verified(std::string_view environment_id,
                                              std::string_view name) override;

 private:
  // The organization holding `name` verified in the environment ("" when none).
  std::string claim_holder(const std::string& environment_id, const std::string& name);
  SqlContext& ctx_;
};

}  // namespace gh::store
