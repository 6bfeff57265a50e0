#include "oauth/token_issuer.h"

#include <algorithm>

#include "crypto/error_codes.h"
#include "crypto/jose/algorithm.h"
#include "oauth/form_params.h"

namespace gh::oauth {

namespace {
bool has(const std::vector<std::string>& v, std::string_view s) {
  return std::find(v.begin(), v.end(), s) != v.end();
}
}  // namespace

void add_scope_claims(nlohmann::json& out, const std::vector<std::string>& scopes,
                      const identity::UserClaims& c) {
  if (has(scopes, "profile")) {
    if (!c.name.empty()) out["name"] = c.name;
    if (!c.given_name.empty()) out["given_name"] = c.given_name;
    if (!c.family_name.empty()) out["family_name"] = c.family_name;
  }
  if (has(scopes, "email") && !c.email.empty()) {
    out["email"] = c.email;
    out["email_verified"] = c.email_verified;
  }
}

Result<IssuedAccessToken> TokenIssuer::access_token(const store::Environment& env,
                                                    const AccessTokenSpec& spec) {
  IssuedAccessToken out;
  out.jti = new_id();
  out.iat_s = clock_.now_ms() / 1000;
  out.exp_s = out.iat_s + spec.ttl_s;
  // RFC 9068 §2.2.
  nlohmann::json claims = {{"iss", signer_.issuer_url(env, spec.issuer_organization)},
                           {"sub", spec.subject},
                           {"aud", spec.audience},
                           {"exp", out.exp_s},
                           {"iat", out.iat_s},
                           {"jti", out.jti},
                           {"client_id", spec.client_id}};
  if (!spec.scopes.empty()) claims["scope"] = join_scope(spec.scopes);
  if (!spec.organization_id.empty()) claims["org_id"] = spec.organization_id;
  claims["permissions"] = spec.permissions;
  if (!spec.dpop_jkt.empty()) claims["cnf"] = {{"jkt", spec.dpop_jkt}};
  out.dpop_jkt = spec.dpop_jkt;
  if (spec.act.is_object()) claims["act"] = spec.act;
  if (spec.user) {
    claims["auth_time"] = spec.user->auth_time_s;
    if (!spec.user->acr.empty()) claims["acr"] = spec.user->acr;
    if (!spec.user->amr.empty()) claims["amr"] = spec.user->amr;
    if (!spec.user->sid.empty()) claims["sid"] = spec.user->sid;
  }
  auto token = signer_.sign(env, spec.issuer_organization, claims, "at+jwt");
  if (!token) return fail(token.error());
  out.token = std::move(*token);
  return out;
}

Result<std::string> TokenIssuer::id_token(const store::Environment& env, const IdTokenSpec& spec) {
  const int64_t now = clock_.now_ms() / 1000;
  // OIDC Core §2: acr and amr are what the login achieved (the code carries them as such).
  nlohmann::json claims = {{"iss", signer_.issuer_url(env, spec.issuer_organization)},
                           {"sub", spec.user.user_id},
                           {"aud", spec.client_id},
                           {"exp", now + spec.ttl_s},
                           {"iat", now},
                           {"auth_time", spec.user.auth_time_s}};
  if (!spec.nonce.empty()) claims["nonce"] = spec.nonce;
  if (!spec.user.acr.empty()) claims["acr"] = spec.user.acr;
  if (!spec.user.amr.empty()) claims["amr"] = spec.user.amr;
  if (!spec.user.sid.empty()) claims["sid"] = spec.user.sid;
  if (!spec.organization_id.empty()) claims["org_id"] = spec.organization_id;
  if (spec.claims) add_scope_claims(claims, spec.scopes, *spec.claims);
  auto alg = jose::parse_alg(spec.alg);
  if (!alg) return fail(errc::KeyAlgorithmUnavailable, "Unknown ID token algorithm");
  return signer_.sign(env, spec.issuer_organization, claims, "JWT", *alg);
}

}  // namespace gh::oauth
