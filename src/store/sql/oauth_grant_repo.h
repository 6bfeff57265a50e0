// SQL repository of the OIDC provider's short-lived state: pending authorization requests,
// authorization codes, refresh token families and the access-token deny-list.
#pragma once

#include "store/oauth_grants.h"
#include "store/sql/sql_store.h"

namespace gh::store {

class SqlOAuthGrantRepository final : public OAuthGrantRepository {
 public:
  explicit SqlOAuthGrantRepository(SqlContext& ctx) : ctx_(ctx) {}
  Result<PendingAuthorization> put_pending(const PendingAuthorization& p) override;
  Result<PendingAuthorization> get_pending(std::string_view environment_id, std::string_view id,
                                           int64_t now_ms) override;
  Result<bool> delete_pending(std::string_view environment_id, std::string_view id) override;

  Result<AuthorizationCode> put_code(const AuthorizationCode& code) override;
  Result<std::optional<AuthorizationCode>> find_code(std::string_view environment_id,
                                                     std::string_view code_hash) override;
  Result<bool> redeem_code(std::string_view environment_id, std::string_view organization_id,
                           std::string_view code_hash, int64_t now_ms, std::string_view family_id,
                           const std::vector<std::string>& access_token_jtis) override;

  Result<RefreshToken> put_refresh(const RefreshToken& token) override;
  Result<std::optional<RefreshToken>> find_refresh(std::string_view environment_id,
                                                   std::string_view token_hash) override;
  Result<bool> rotate_refresh(std::string_view environment_id, std::string_view organization_id,
                              std::string_view token_hash, int64_t now_ms) override;
  Result<int> revoke_family(std::string_view environment_id, std::string_view organization_id,
                            std::string_view family_id, int64_t now_ms) override;

  Result<std::vector<std::string>> revoke_session_families(std::string_view environment_id,
                                                           std::string_view organization_id,
                                                           std::string_view sid,
                                                           int64_t now_ms) override;

  Result<bool> revoke_jti(const RevokedToken& t) override;
  Result<bool> is_jti_revoked(std::string_view environment_id, std::string_view organization_id,
                              std::string_view jti) override;
  Result<int> purge_expired(int64_t now_ms) override;

 private:
  SqlContext& ctx_;
};

}  // namespace gh::store
