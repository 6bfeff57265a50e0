// SQL repository of browser sessions.
#pragma once

#include "store/sessions.h"
#include "store/sql/sql_store.h"

namespace gh::store {

class SqlSessionRepository final : public SessionRepository {
 public:
  explicit SqlSessionRepository(SqlContext& ctx) : ctx_(ctx) {}
  Result<Session> create(const Session& session) override;
  Result<Session> get(std::string_view environment_id, std::string_view organization_id,
                      std::string_view sid) override;
  Result<std::optional<Session>> find_by_cookie_lookup(std::string_view environment_id,
                                                       std::string_view lookup) override;
  Result<bool> touch(std::string_view environment_id, std::string_view organization_id,
                     std::string_view sid, int64_t now_ms, int64_t idle_expires_at_ms) override;
  Result<Session> revoke(std::string_view environment_id, std::string_view organization_id,
                         std::string_view sid, int64_t now_ms, std::string_view reason) override;
  Result<std::vector<Session>> revoke_all_for_user(std::string_view environment_id,
                                                   std::string_view organization_id,
                                                   std::string_view user_id, int64_t now_ms,
                                                   std::string_view reason) override;
  Result<std::vector<Session>> list_for_user(std::string_view environment_id,
                                             std::string_view organization_id,
                                             std::string_view user_id, int64_t live_at_ms) override;
  Result<bool> add_client(std::string_view environment_id, std::string_view organization_id,
                          std::string_view sid, std::string_view client_id) override;
  Result<std::vector<Session>> list_live_for_organization(std::string_view environment_id,
                                                          std::string_view organization_id,
                                                          int64_t live_at_ms, int limit) override;
  Result<int64_t> count_live_for_user(std::string_view environment_id,
                                      std::string_view organization_id, std::string_view user_id,
                                      int64_t now_ms) override;

 private:
  SqlContext& ctx_;
};

}  // namespace gh::store
