// The SQL repository of SAML assertion uses (one-time assertion IDs).
#pragma once

#include "store/saml_assertions.h"
#include "store/sql/sql_store.h"

namespace gh::store {

class SqlSamlAssertionRepository final : public SamlAssertionRepository {
 public:
  explicit SqlSamlAssertionRepository(SqlContext& ctx) : ctx_(ctx) {}
  Result<bool> record_use(const SamlAssertionUse& use, int64_t now_ms) override;
  Result<int64_t> purge_expired(int64_t now_ms) override;

 private:
  SqlContext& ctx_;
};

}  // namespace gh::store
