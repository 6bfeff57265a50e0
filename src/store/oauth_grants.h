// What the OIDC provider remembers between requests: pending authorization requests (while the
// user signs in), authorization codes (single use), refresh token families (rotation with reuse
// detection) and revoked access-token ids (deny-listed until they expire). Organization id leads
// every key; a pending request has no organization until the login picks one ("").
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"

namespace gh::store {

struct PendingAuthorization {
  std::string id;  // opaque, 256-bit random (the `request` the login page carries)
  std::string environment_id;
  std::string application_id;
  std::string client_id;
  std::string params;  // the validated authorization request, JSON (oauth/ owns the shape)
  int64_t created_at_ms = 0;
  int64_t expires_at_ms = 0;
};

struct AuthorizationCode {
  std::string code_hash;  // SHA-256 (hex) of the code; the code itself is never stored
  std::string environment_id;
  std::string organization_id;
  std::string application_id;
  std::string client_id;
  std::string user_id;
  std::string sid;
  std::string redirect_uri;
  std::string params;  // JSON: scope, resource, nonce, code_challenge(+method), acr, amr, auth_time
  int64_t created_at_ms = 0;
  int64_t expires_at_ms = 0;
  int64_t redeemed_at_ms = 0;  // 0 = unused
  std::string family_id;       // the refresh family the redemption started ("" = none)
  std::vector<std::string> access_token_jtis;  // what the redemption issued (revoked on replay)
};

struct RefreshToken {
  std::string token_hash;  // SHA-256 (hex) of the refresh token
  std::string family_id;
  std::string environment_id;
  std::string organization_id;
  std::string application_id;
  std::string client_id;
  std::string user_id;
  std::string sid;
  std::string params;  // JSON: scope, resource, acr, amr, auth_time
  int64_t created_at_ms = 0;
  int64_t expires_at_ms = 0;         // idle expiry of this token
  int64_t family_expires_at_ms = 0;  // absolute expiry of the family
  int64_t rotated_at_ms = 0;  // 0 = current; a rotated token presented again revokes the family
  int64_t revoked_at_ms = 0;
};

struct RevokedToken {
  std::string environment_id;
  std::string organization_id;
  std::string jti;
  std::string reason;
  int64_t expires_at_ms = 0;  // the token's exp; the row can go after it
  int64_t revoked_at_ms = 0;
};

class OAuthGrantRepository {
 public:
  virtual ~OAuthGrantRepository() = default;

  virtual Result<PendingAuthorization> put_pending(const PendingAuthorization& p) = 0;
  // oauth.request_not_found when unknown, expired, or of another environment.
  virtual Result<PendingAuthorization> get_pending(std::string_view environment_id,
                                                   std::string_view id, int64_t now_ms) = 0;
  virtual Result<bool> delete_pending(std::string_view environment_id, std::string_view id) = 0;

  virtual Result<AuthorizationCode> put_code(const AuthorizationCode& code) = 0;
  // The code by hash in the environment (any organization: the code names its organization);
  // nullopt when unknown. Does not check expiry or redemption: the grant does.
  virtual Result<std::optional<AuthorizationCode>> find_code(std::string_view environment_id,
                                                             std::string_view code_hash) = 0;
  // Marks the code redeemed at now_ms and records what it issued; false when it was already
  // redeemed (a concurrent redemption won): the caller treats that as a replay.
  virtual Result<bool> redeem_code(std::string_view environment_id,
                                   std::string_view organization_id, std::string_view code_hash,
                                   int64_t now_ms, std::string_view family_id,
                                   const std::vector<std::string>& access_token_jtis) = 0;

  virtual Result<RefreshToken> put_refresh(const RefreshToken& token) = 0;
  virtual Result<std::optional<RefreshToken>> find_refresh(std::string_view environment_id,
                                                           std::string_view token_hash) = 0;
  // Marks a current token rotated; false when it was not current (reuse).
  virtual Result<bool> rotate_refresh(std::string_view environment_id,
                                      std::string_view organization_id, std::string_view token_hash,
                                      int64_t now_ms) = 0;
  // Revokes every token of the family; returns how many were live.
  virtual Result<int> revoke_family(std::string_view environment_id,
                                    std::string_view organization_id, std::string_view family_id,
                                    int64_t now_ms) = 0;

  // Revokes every refresh token issued in the session (issue 7's fan-out); returns the ids of
  // the families that had live tokens.
  virtual Result<std::vector<std::string>> revoke_session_families(std::string_view environment_id,
                                                                   std::string_view organization_id,
                                                                   std::string_view sid,
                                                                   int64_t now_ms) = 0;

  virtual Result<bool> revoke_jti(const RevokedToken& t) = 0;
  virtual Result<bool> is_jti_revoked(std::string_view environment_id,
                                      std::string_view organization_id, std::string_view jti) = 0;
  // Drops expired pending requests, codes, refresh tokens and deny-list rows; returns the count.
  virtual Result<int> purge_expired(int64_t now_ms) = 0;
};

}  // namespace gh::store
