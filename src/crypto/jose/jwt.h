// JWT (RFC 7519) on top of JWS: registered claims and their time checks against an injected
// clock, and the typ profiles of RFC 8725 §3.11.
#pragma once

#include <chrono>
#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "core/clock.h"
#include "core/result.h"
#include "crypto/jose/jws.h"

namespace gh::jose {

struct JwtProfile {
  std::string typ;  // required typ; empty = not checked
  std::chrono::seconds skew{60};
  bool require_exp = true;
  bool require_iat = false;
  std::string issuer;    // required iss; empty = not checked here
  std::string audience;  // must be (one of) aud; empty = not checked here
  std::vector<std::string> understood_crit;
  bool require_kid = true;

  // RFC 9068 access tokens, OIDC back-channel logout tokens, RFC 8417 security event tokens.
  static JwtProfile access_token(std::string issuer, std::string audience);
  static JwtProfile logout_token(std::string issuer, std::string audience);
  static JwtProfile security_event(std::string issuer, std::string audience);
};

struct JwtClaims {
  std::string iss;
  std::string sub;
  std::string jti;
  std::vector<std::string> aud;
  std::optional<int64_t> exp, nbf, iat;  // seconds since the epoch
  nlohmann::json all;                    // every claim, for the profile's own checks
};

struct VerifiedJwt {
  JoseHeader header;
  JwtClaims claims;
  std::string kid;
  Alg alg;
};

Result<std::string> jwt_sign(const KeyEntry& key, const nlohmann::json& claims,
                             std::string_view typ = "JWT");

// jws_verify, then: payload a JSON object; exp (if present or required): now < exp + skew,
// else jose.expired; nbf: now + skew >= nbf, else jose.not_yet_valid; iat: iat <= now + skew,
// else jose.iat_in_future; iss/aud as the profile says.
Result<VerifiedJwt> jwt_verify(std::string_view token, const KeySet& keys, const Clock& clock,
                               const JwtProfile& profile);

}  // namespace gh::jose
