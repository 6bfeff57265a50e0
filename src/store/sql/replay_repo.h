// SQL repository of one-time-use JWT marks (client assertions, DPoP proofs).
#pragma once

#include "store/replays.h"
#include "store/sql/sql_store.h"

namespace gh::store {

class SqlReplayRepository final : public ReplayRepository {
 public:
  explicit SqlReplayRepository(SqlContext& ctx) : ctx_(ctx) {}
  Result<bool> mark_once(const ReplayMark& mark, int64_t now_ms) override;
  Result<bool> is_marked(std::string_view environment_id, std::string_view organization_id,
                         std::string_view kind, std::string_view key, int64_t now_ms) override;
  Result<int> purge_expired(int64_t now_ms) override;

 private:
  SqlContext& ctx_;
};

}  // namespace gh::store
