#include "crypto/jose/jwt.h"
#include "crypto/error_codes.h"

#include <algorithm>
#include <cmath>

namespace gh::jose {

namespace {

tl::unexpected<Error> claim_invalid(std::string detail) {
  return fail(errc::JoseClaimInvalid, {}, std::move(detail));
}

Result<std::optional<int64_t>> numeric_date(const nlohmann::json& claims, const char* name) {
  auto it = claims.find(name);
  if (it == claims.end()) return std::optional<int64_t>();
  if (!it->is_number()) return claim_invalid(std::string(name) + " is not a NumericDate");
  const double v = it->get<double>();
  if (!std::isfinite(v) || v < 0 || v > 253402300799.0) {
    return claim_invalid(std::string(name) + " is out of range");
  }
  return std::optional<int64_t>(static_cast<int64_t>(std::floor(v)));
}

Result<std::string> string_claim(const nlohmann::json& claims, const char* name) {
  auto it = claims.find(name);
  if (it == claims.end()) return std::string();
  if (!it->is_string()) return claim_invalid(std::string(name) + " is not a string");
  return it->get<std::string>();
}

}  // namespace

JwtProfile JwtProfile::access_token(std::string issuer, std::string audience) {
  JwtProfile p;
  p.typ = "at+jwt";
  p.require_iat = true;
  p.issuer = std::move(issuer);
  p.audience = std::move(audience);
  return p;
}

JwtProfile JwtProfile::logout_token(std::string issuer, std::string audience) {
  JwtProfile p = access_token(std::move(issuer), std::move(audience));
  p.typ = "logout+jwt";
  return p;
}

JwtProfile JwtProfile::security_event(std::string issuer, std::string audience) {
  JwtProfile p = access_token(std::move(issuer), std::move(audience));
  p.typ = "secevent+jwt";
  p.require_exp = false;  // RFC 8417 §2.2: SETs describe past events and usually carry no exp
  return p;
}

Result<std::string> jwt_sign(const KeyEntry& key, const nlohmann::json& claims,
                             std::string_view typ) {
  if (!claims.is_object()) return claim_invalid("JWT claims must be a JSON object");
  return jws_sign(key, claims.dump(), {.typ = typ});
}

Result<VerifiedJwt> jwt_verify(std::string_view token, const KeySet& keys, const Clock& clock,
                               const JwtProfile& profile) {
  JwsVerifyOptions options;
  options.header.typ = profile.typ;
  options.header.understood_crit = profile.understood_crit;
  options.require_kid = profile.require_kid;
  auto jws = jws_verify(token, keys, options);
  if (!jws) return fail(jws.error());

  nlohmann::json all = nlohmann::json::parse(jws->payload, nullptr, false);
  if (all.is_discarded() || !all.is_object()) {
    return fail(errc::JoseMalformed, {}, "JWT payload is not a JSON object");
  }
  JwtClaims claims;
  auto exp = numeric_date(all, "exp");
  if (!exp) return fail(exp.error());
  auto nbf = numeric_date(all, "nbf");
  if (!nbf) return fail(nbf.error());
  auto iat = numeric_date(all, "iat");
  if (!iat) return fail(iat.error());
  claims.exp = *exp;
  claims.nbf = *nbf;
  claims.iat = *iat;
  for (auto [name, field] : {std::pair{"iss", &claims.iss}, std::pair{"sub", &claims.sub},
                             std::pair{"jti", &claims.jti}}) {
    auto v = string_claim(all, name);
    if (!v) return fail(v.error());
    *field = std::move(*v);
  }
  if (auto aud = all.find("aud"); aud != all.end()) {
    if (aud->is_string()) {
      claims.aud.push_back(aud->get<std::string>());
    } else if (aud->is_array()) {
      for (const auto& a : *aud) {
        if (!a.is_string()) return claim_invalid("aud entries must be strings");
        claims.aud.push_back(a.get<std::string>());
      }
    } else {
      return claim_invalid("aud must be a string or an array of strings");
    }
  }

  const int64_t now_ms = clock.now_ms();
  const int64_t skew_ms =
      std::chrono::duration_cast<std::chrono::milliseconds>(profile.skew).count();
  if (profile.require_exp && !claims.exp) return claim_invalid("exp is required");
  if (profile.require_iat && !claims.iat) return claim_invalid("iat is required");
  if (claims.exp && now_ms >= *claims.exp * 1000 + skew_ms) {
    return fail(errc::JoseExpired, {}, "exp " + std::to_string(*claims.exp));
  }
  if (claims.nbf && now_ms + skew_ms < *claims.nbf * 1000) {
    return fail(errc::JoseNotYetValid, {}, "nbf " + std::to_string(*claims.nbf));
  }
  if (claims.iat && *claims.iat * 1000 > now_ms + skew_ms) {
    return fail(errc::JoseIatInFuture, {}, "iat " + std::to_string(*claims.iat));
  }
  if (!profile.issuer.empty() && claims.iss != profile.issuer) {
    return fail(errc::JoseIssuerMismatch, {}, "iss " + claims.iss);
  }
  if (!profile.audience.empty() &&
      std::find(claims.aud.begin(), claims.aud.end(), profile.audience) == claims.aud.end()) {
    return fail(errc::JoseAudienceMismatch, {}, "expected aud " + profile.audience);
  }
  claims.all = std::move(all);
  return VerifiedJwt{std::move(jws->header), std::move(claims), std::move(jws->kid), jws->alg};
}

}  // namespace gh::jose
