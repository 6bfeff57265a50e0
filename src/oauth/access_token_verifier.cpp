#include "oauth/access_token_verifier.h"

#include "core/encoding.h"
#include "crypto/jose/jwt.h"
#include "oauth/token_hash.h"
#include "sessions/error_codes.h"

namespace gh::oauth {

namespace {

// The unverified iss, only to pick the key set; everything is checked after.
std::optional<std::string> peek_issuer(std::string_view token) {
  const auto a = token.find('.');
  if (a == std::string_view::npos) return std::nullopt;
  const auto b = token.find('.', a + 1);
  if (b == std::string_view::npos) return std::nullopt;
  auto payload = base64url_decode(token.substr(a + 1, b - a - 1));
  if (!payload) return std::nullopt;
  auto j = nlohmann::json::parse(*payload, nullptr, false);
  if (!j.is_object() || !j.contains("iss") || !j["iss"].is_string()) return std::nullopt;
  return j["iss"].get<std::string>();
}

std::string string_claim(const nlohmann::json& c, const char* key) {
  return c.contains(key) && c[key].is_string() ? c[key].get<std::string>() : std::string();
}

}  // namespace

Result<std::optional<VerifiedAccessToken>> AccessTokenVerifier::verify(
    const store::Environment& env, std::string_view token) {
  const std::string key = env.id + ":" + token_hash(token);
  const int64_t now = clock_.now_ms();
  {
    std::lock_guard lock(mu_);
    auto it = cache_.find(key);
    if (it != cache_.end()) {
      if (now - it->second.cached_ms < ttl_ms_ && now / 1000 < it->second.token.exp_s) {
        return std::optional<VerifiedAccessToken>(it->second.token);
      }
      cache_.erase(it);
    }
  }
  auto v = verify_uncached(env, token);
  if (!v || !*v) return v;
  std::lock_guard lock(mu_);
  if (cache_.size() >= capacity_) cache_.clear();
  cache_[key] = Entry{**v, now};
  return v;
}

void AccessTokenVerifier::forget_all() {
  std::lock_guard lock(mu_);
  cache_.clear();
}

Result<std::optional<VerifiedAccessToken>> AccessTokenVerifier::verify_uncached(
    const store::Environment& env, std::string_view token) {
  const std::optional<VerifiedAccessToken> inactive;
  auto iss = peek_issuer(token);
  if (!iss) return inactive;
  const std::string env_issuer = signer_.issuer_url(env, "");
  std::string issuer_org;
  if (*iss != env_issuer) {
    const std::string prefix = env_issuer + "/o/";
    if (iss->rfind(prefix, 0) != 0) return inactive;
    issuer_org = iss->substr(prefix.size());
    if (issuer_org.empty() || issuer_org.find('/') != std::string::npos) return inactive;
    auto own = signer_.issuer_of(env, issuer_org);
    if (!own) return fail(own.error());
    if (*own != issuer_org) return inactive;
  }
  auto keys = signer_.keys(env, issuer_org);
  if (!keys) return fail(keys.error());
  auto profile = jose::JwtProfile::access_token(*iss, "");
  profile.skew = std::chrono::seconds(0);
  auto verified = jose::jwt_verify(token, **keys, clock_, profile);
  if (!verified) return inactive;
  VerifiedAccessToken out;
  out.claims = verified->claims.all;
  out.issuer_organization = issuer_org;
  out.organization_id = string_claim(out.claims, "org_id");
  out.jti = verified->claims.jti;
  out.client_id = string_claim(out.claims, "client_id");
  out.subject = verified->claims.sub;
  out.exp_s = verified->claims.exp.value_or(0);
  if (out.claims.contains("cnf") && out.claims["cnf"].is_object()) {
    out.dpop_jkt = string_claim(out.claims["cnf"], "jkt");
  }
  if (out.jti.empty() || out.client_id.empty()) return inactive;
  // A token of an organization-issuer must name that organization.
  if (!issuer_org.empty() && out.organization_id != issuer_org) return inactive;
  // Deny-listed jti, or issued in a session that has ended (issue 7's revocation fan-out: the
  // session row is the one record every cause revokes).
  const std::string sid = string_claim(out.claims, "sid");
  auto revoked = store_.read<bool>([&](store::Repositories& r) -> Result<bool> {
    auto denied = r.oauth_grants().is_jti_revoked(env.id, out.organization_id, out.jti);
    if (!denied || *denied || sid.empty()) return denied;
    auto session = r.sessions().get(env.id, out.organization_id, sid);
    if (!session) {
      // Only a revoked row ends its tokens: a sid the store does not know (none is ever
      // deleted) is the issuer's own, signed claim.
      if (session.error().code == errc::SessionNotFound) return false;
      return fail(session.error());
    }
    return session->revoked_at_ms != 0;
  });
  if (!revoked) return fail(revoked.error());
  if (*revoked) return inactive;
  return std::optional<VerifiedAccessToken>(std::move(out));
}

}  // namespace gh::oauth
