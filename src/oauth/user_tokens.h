// What authorization_code and refresh_token share: deciding a user's access token (audience
// from the resource, permissions through UserPermissions) and issuing the access token, the ID
// token and the next refresh token of the family.
#pragma once

#include "oauth/grant_handler.h"
#include "oauth/grant_params.h"

namespace gh::oauth {

// Fills d.scopes, d.permissions, d.audience, d.resource, d.user and the issuer from the
// grant's params. `requested_resource` (the token request's `resource`) must be one of
// params.resources (invalid_target); without it the first is used; without any, the token is
// for UserInfo only. `requested_scopes` may only narrow params.scopes (invalid_scope).
OAuthResult<bool> decide_user_grant(const GrantDeps& deps, const TokenRequest& req,
                                    const std::string& organization_id,
                                    const UserAuthentication& user, const GrantParams& params,
                                    const std::vector<std::string>& requested_scopes,
                                    GrantDecision& d);

struct UserTokens {
  IssuedAccessToken access;
  std::optional<std::string> id_token;
  std::optional<store::RefreshToken> refresh;  // to store (hash set)
  std::string refresh_token;                   // to return
};

// Signs the access token and, with openid, the ID token; when `with_refresh` (and the
// refresh_token grant is registered) prepares the family's next refresh token: a new family
// when `family` is empty (absolute expiry from now), else the family's (absolute expiry kept).
OAuthResult<UserTokens> issue_user_tokens(const GrantDeps& deps, const TokenRequest& req,
                                          const GrantDecision& d, const GrantParams& family_params,
                                          bool with_refresh, std::string family,
                                          int64_t family_expires_at_ms);

nlohmann::json user_token_response(const UserTokens& t, const GrantDecision& d);

// Replay or reuse: revokes the refresh family and deny-lists the access tokens (until their
// latest possible expiry).
void revoke_issued(store::Store& store, const store::Environment& env,
                   const std::string& organization_id, const std::string& family_id,
                   const std::vector<std::string>& jtis, int64_t now_ms, const std::string& reason);

}  // namespace gh::oauth
