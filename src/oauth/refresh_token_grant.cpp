#include "oauth/refresh_token_grant.h"

#include "oauth/grant_params.h"
#include "oauth/token_hash.h"
#include "oauth/user_tokens.h"

namespace gh::oauth {

namespace {
const char* kInvalid = "The refresh token is invalid, expired or revoked";
}

OAuthResult<GrantDecision> RefreshTokenGrant::handle(const TokenRequest& req) {
  auto presented = req.form.get("refresh_token");
  if (!presented) return oauth_fail(invalid_request("The refresh_token parameter is missing"));
  const std::string hash = token_hash(*presented);
  auto found = deps_.store.read<std::optional<store::RefreshToken>>(
      [&](store::Repositories& r) { return r.oauth_grants().find_refresh(req.env.id, hash); });
  if (!found) return oauth_fail(server_error("The refresh token could not be looked up"));
  if (!*found) return oauth_fail(invalid_grant(kInvalid));
  const store::RefreshToken& t = **found;
  const int64_t now = deps_.tokens.clock().now_ms();
  if (t.client_id != req.client.client_id) {
    return oauth_fail(invalid_grant("The refresh token was issued to another client"));
  }
  if (t.revoked_at_ms != 0) return oauth_fail(invalid_grant(kInvalid));
  if (t.rotated_at_ms != 0) {
    revoke_issued(deps_.store, req.env, t.organization_id, t.family_id, {}, now, "refresh_reuse");
    return oauth_fail(invalid_grant(kInvalid));
  }
  if (now >= t.family_expires_at_ms || now >= t.expires_at_ms) {
    return oauth_fail(invalid_grant(kInvalid));
  }
  auto params = parse_grant_params(t.params);
  if (!params) return oauth_fail(server_error("The refresh token's grant is unreadable"));
  // RFC 9449 §5: a bound family is used only with a proof of the same key.
  if (!params->dpop_jkt.empty() && params->dpop_jkt != req.dpop_jkt) {
    return oauth_fail(invalid_grant(req.dpop_jkt.empty()
                                        ? "This refresh token is DPoP-bound: send a DPoP proof"
                                        : "The DPoP proof's key is not the refresh token's key"));
  }
  UserAuthentication user{t.user_id, t.sid, params->auth_time_s, params->acr, params->amr};
  GrantDecision d;
  auto requested = split_scope(req.form.get("scope").value_or(""));
  auto decided = decide_user_grant(deps_, req, t.organization_id, user, *params, requested, d);
  if (!decided) return oauth_fail(decided.error());
  d.original_scope = join_scope(params->scopes);
  d.refresh = t;
  return d;
}

OAuthResult<nlohmann::json> RefreshTokenGrant::populate(const TokenRequest& req, GrantDecision& d) {
  const auto& t = *d.refresh;
  auto params = parse_grant_params(t.params);
  if (!params) return oauth_fail(server_error("The refresh token's grant is unreadable"));
  // The next token keeps the family's whole grant and its absolute expiry, whatever narrower
  // scope this request asked for.
  auto tokens =
      issue_user_tokens(deps_, req, d, *params, true, t.family_id, t.family_expires_at_ms);
  if (!tokens) return oauth_fail(tokens.error());
  if (!tokens->refresh) {
    return oauth_fail(unauthorized_client("This client is not registered for refresh_token"));
  }
  const int64_t now = deps_.tokens.clock().now_ms();
  auto rotated = deps_.store.transact<bool>([&](store::Repositories& r) -> Result<bool> {
    auto ok = r.oauth_grants().rotate_refresh(req.env.id, t.organization_id, t.token_hash, now);
    if (!ok || !*ok) return ok;
    if (auto put = r.oauth_grants().put_refresh(*tokens->refresh); !put) return fail(put.error());
    return true;
  });
  if (!rotated) return oauth_fail(server_error("The refresh token could not be rotated"));
  if (!*rotated) {
    // A concurrent use rotated it first: reuse.
    revoke_issued(deps_.store, req.env, t.organization_id, t.family_id, {}, now, "refresh_reuse");
    return oauth_fail(invalid_grant(kInvalid));
  }
  auto body = user_token_response(*tokens, d);
  return body;
}

}  // namespace gh::oauth
