#include "oauth/client_assertion.h"

#include <nlohmann/json.hpp>

#include "core/encoding.h"
#include "crypto/jose/jwt.h"
#include "oauth/error_codes.h"

namespace gh::oauth {

namespace {

constexpr size_t kMaxClientKeys = 10;

OAuthError refused(std::string why) { return invalid_client("Invalid client assertion: " + why); }

}  // namespace

std::optional<std::string> assertion_client_id(std::string_view assertion) {
  const auto a = assertion.find('.');
  if (a == std::string_view::npos) return std::nullopt;
  const auto b = assertion.find('.', a + 1);
  if (b == std::string_view::npos) return std::nullopt;
  auto payload = base64url_decode(assertion.substr(a + 1, b - a - 1));
  if (!payload) return std::nullopt;
  auto j = nlohmann::json::parse(*payload, nullptr, false);
  if (!j.is_object() || !j.contains("iss") || !j["iss"].is_string()) return std::nullopt;
  auto iss = j["iss"].get<std::string>();
  if (iss.empty()) return std::nullopt;
  return iss;
}

Result<jose::KeySet> client_key_set(std::string_view jwks_json) {
  auto doc = nlohmann::json::parse(jwks_json, nullptr, false);
  if (!doc.is_object() || !doc.contains("keys") || !doc["keys"].is_array() || doc["keys"].empty()) {
    return fail(errc::ApplicationInvalid, "'jwks' must be a JWKS: {\"keys\": [...]}");
  }
  if (doc["keys"].size() > kMaxClientKeys) {
    return fail(errc::ApplicationInvalid, "'jwks' holds at most 10 keys");
  }
  for (const auto& k : doc["keys"]) {
    if (!k.is_object() || !k.contains("kid") || !k["kid"].is_string() ||
        k["kid"].get<std::string>().empty()) {
      return fail(errc::ApplicationInvalid, "Every key of 'jwks' needs a kid");
    }
    for (const char* priv : {"d", "p", "q", "dp", "dq", "qi", "k"}) {
      if (k.contains(priv)) {
        return fail(errc::ApplicationInvalid, "'jwks' must hold public keys only (key '" +
                                                  k["kid"].get<std::string>() +
                                                  "' has the private member '" + priv + "')");
      }
    }
    if (k.contains("use") && k["use"] != "sig") {
      return fail(errc::ApplicationInvalid, "The keys of 'jwks' are signing keys (use sig)");
    }
  }
  auto set = jose::KeySet::from_jwks(doc);
  if (!set) {
    return fail(errc::ApplicationInvalid, "'jwks' is not usable: " + set.error().message);
  }
  for (const auto& e : set->entries()) {
    if (!jose::is_signing_alg(e.alg)) {
      return fail(errc::ApplicationInvalid, "Key '" + e.kid + "' of 'jwks' is not a signing key");
    }
  }
  return set;
}

OAuthResult<VerifiedClientAssertion> verify_client_assertion(std::string_view assertion,
                                                             const store::Application& app,
                                                             const jose::KeySet& keys,
                                                             std::string_view issuer,
                                                             const Clock& clock) {
  jose::JwtProfile profile;
  profile.skew = kAssertionSkew;
  profile.require_exp = true;
  profile.issuer = app.client_id;
  // A single-key JWKS may be used without kid (several: the kid says which).
  profile.require_kid = keys.size() > 1;
  auto jwt = jose::jwt_verify(assertion, keys, clock, profile);
  if (!jwt) return oauth_fail(refused(jwt.error().text()));
  const auto& c = jwt->claims;
  // RFC 7523 §3 items 1-2: iss and sub are both the client_id (iss checked by the profile).
  if (c.sub != app.client_id) return oauth_fail(refused("sub must be the client_id"));
  // draft-ietf-oauth-rfc7523bis §4: the audience is the issuer identifier and nothing else.
  const auto& aud = c.all.contains("aud") ? c.all["aud"] : nlohmann::json();
  if (!aud.is_string()) {
    return oauth_fail(refused("aud must be the issuer identifier as a single string"));
  }
  if (aud.get<std::string>() != issuer) {
    return oauth_fail(
        refused("aud must be exactly the issuer identifier '" + std::string(issuer) + "'"));
  }
  const int64_t now_s = clock.now_ms() / 1000;
  if (!c.exp) return oauth_fail(refused("exp is required"));
  if (*c.exp > now_s + kMaxAssertionLifetime.count()) {
    return oauth_fail(refused("exp is more than " + std::to_string(kMaxAssertionLifetime.count()) +
                              " seconds ahead"));
  }
  if (c.jti.empty()) return oauth_fail(refused("jti is required"));
  if (c.jti.size() > kMaxAssertionJtiLength) return oauth_fail(refused("jti is too long"));
  return VerifiedClientAssertion{c.jti, *c.exp};
}

}  // namespace gh::oauth
