#include "oauth/authorization_code_grant.h"

#include <algorithm>

#include "oauth/grant_params.h"
#include "oauth/token_hash.h"
#include "oauth/user_tokens.h"

namespace gh::oauth {

namespace {

void revoke_replayed(const GrantDeps& deps, const store::Environment& env,
                     const store::AuthorizationCode& code, int64_t now_ms) {
  revoke_issued(deps.store, env, code.organization_id, code.family_id, code.access_token_jtis,
                now_ms, "code_replay");
}

}  // namespace

OAuthResult<GrantDecision> AuthorizationCodeGrant::handle(const TokenRequest& req) {
  auto code = req.form.get("code");
  if (!code) return oauth_fail(invalid_request("The code parameter is missing"));
  auto redirect_uri = req.form.get("redirect_uri");
  if (!redirect_uri) return oauth_fail(invalid_request("The redirect_uri parameter is missing"));
  const std::string hash = token_hash(*code);
  auto found = deps_.store.read<std::optional<store::AuthorizationCode>>(
      [&](store::Repositories& r) { return r.oauth_grants().find_code(req.env.id, hash); });
  if (!found) return oauth_fail(server_error("The code could not be looked up"));
  if (!*found) return oauth_fail(invalid_grant("The code is unknown, expired or already used"));
  const store::AuthorizationCode& c = **found;
  const int64_t now = deps_.tokens.clock().now_ms();

  if (c.client_id != req.client.client_id) {
    return oauth_fail(invalid_grant("The code was issued to another client"));
  }
  if (c.redeemed_at_ms != 0) {
    revoke_replayed(deps_, req.env, c, now);
    return oauth_fail(invalid_grant("The code is unknown, expired or already used"));
  }
  if (now >= c.expires_at_ms) {
    return oauth_fail(invalid_grant("The code is unknown, expired or already used"));
  }
  // RFC 6749 §4.1.3: identical to the authorization request's, compared exactly.
  if (*redirect_uri != c.redirect_uri) {
    return oauth_fail(invalid_grant("redirect_uri does not match the authorization request"));
  }
  auto params = parse_grant_params(c.params);
  if (!params) return oauth_fail(server_error("The code's parameters are unreadable"));

  // PKCE (RFC 7636 §4.6; RFC 9700 §2.1.1: a verifier without a challenge is refused too, so a
  // PKCE downgrade cannot pass).
  auto verifier = req.form.get("code_verifier");
  if (!params->code_challenge.empty()) {
    if (params->code_challenge_method != "S256") {
      return oauth_fail(invalid_grant("Only the S256 code challenge method is supported"));
    }
    if (!verifier) return oauth_fail(invalid_grant("code_verifier is required (PKCE)"));
    if (!is_valid_code_verifier(*verifier) ||
        !pkce_s256_matches(*verifier, params->code_challenge)) {
      return oauth_fail(invalid_grant("code_verifier does not match the code challenge"));
    }
  } else {
    if (verifier) {
      return oauth_fail(
          invalid_grant("code_verifier was sent but the authorization request had no challenge"));
    }
    if (req.client.pkce_required || req.client.type == "public") {
      return oauth_fail(invalid_grant("This client must use PKCE"));
    }
  }

  UserAuthentication user{c.user_id, c.sid, params->auth_time_s, params->acr, params->amr};
  GrantDecision d;
  auto decided = decide_user_grant(deps_, req, c.organization_id, user, *params, {}, d);
  if (!decided) return oauth_fail(decided.error());
  d.nonce = params->nonce;
  d.original_scope = join_scope(params->scopes);
  d.code = c;
  return d;
}

OAuthResult<nlohmann::json> AuthorizationCodeGrant::populate(const TokenRequest& req,
                                                             GrantDecision& d) {
  auto params = parse_grant_params(d.code->params);
  if (!params) return oauth_fail(server_error("The code's parameters are unreadable"));
  GrantParams family = *params;
  family.nonce.clear();
  family.code_challenge.clear();
  family.code_challenge_method.clear();
  // RFC 9449 §5: a public client's refresh tokens are bound to the key of the proof that
  // obtained them (a confidential client's are bound by its authentication).
  if (req.client.type == "public") family.dpop_jkt = req.dpop_jkt;
  // OIDC Core §11: a refresh token only with offline_access.
  const bool offline =
      std::find(d.scopes.begin(), d.scopes.end(), "offline_access") != d.scopes.end();
  auto tokens = issue_user_tokens(deps_, req, d, family, offline, "", 0);
  if (!tokens) return oauth_fail(tokens.error());
  const int64_t now = deps_.tokens.clock().now_ms();
  const std::string family_id = tokens->refresh ? tokens->refresh->family_id : std::string();
  const auto& c = *d.code;
  // The conditional UPDATE decides who redeems; only the winner's tokens leave this process.
  auto won = deps_.store.transact<bool>([&](store::Repositories& r) -> Result<bool> {
    auto ok = r.oauth_grants().redeem_code(req.env.id, c.organization_id, c.code_hash, now,
                                           family_id, {tokens->access.jti});
    if (!ok || !*ok) return ok;
    if (tokens->refresh) {
      if (auto put = r.oauth_grants().put_refresh(*tokens->refresh); !put) {
        return fail(put.error());
      }
    }
    return true;
  });
  if (!won) return oauth_fail(server_error("The code could not be redeemed"));
  if (!*won) {
    // A concurrent redemption won: this is a replay. Revoke what the winner recorded.
    auto winner =
        deps_.store.read<std::optional<store::AuthorizationCode>>([&](store::Repositories& r) {
          return r.oauth_grants().find_code(req.env.id, c.code_hash);
        });
    if (winner && *winner) revoke_replayed(deps_, req.env, **winner, now);
    return oauth_fail(invalid_grant("The code is unknown, expired or already used"));
  }
  return user_token_response(*tokens, d);
}

}  // namespace gh::oauth
