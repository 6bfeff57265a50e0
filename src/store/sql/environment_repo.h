#pragma once

#include "store/environments.h"
#include "store/sql/sql_store.h"

namespace gh::store {

class SqlEnvironmentRepository final : public EnvironmentRepository {
 public:
  explicit SqlEnvironmentRepository(SqlContext& ctx) : ctx_(ctx) {}
  Result<Environment> create(const Environment& env) override;
  Result<Environment> get(std::string_view name) override;
  Result<std::vector<Environment>> list() override;
  Result<Environment> update(const Environment& env, int64_t expected_version) override;

 private:
  SqlContext& ctx_;
};

}  // namespace gh::store
