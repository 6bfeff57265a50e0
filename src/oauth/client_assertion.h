// private_key_jwt client authentication (RFC 7523 §2.2 and §3, OIDC Core §9): the client signs
// a JWT with a key of the JWKS it registered. Checks, in order:
//   - signature under a key of the client's registered JWKS, with that key's one algorithm
//     (none, HS* and every algorithm we do not implement never verify: crypto/jose/algorithm.h);
//   - iss = sub = client_id;
//   - aud exactly the issuer identifier, as a single string: an array, the token endpoint URL
//     or anything else is refused (the audience-injection fix of
//     draft-ietf-oauth-rfc7523bis, which makes an assertion made for one server useless at
//     another);
//   - exp present, in the future (within the skew) and at most kMaxAssertionLifetime ahead;
//     nbf and iat not in the future;
//   - jti present, at most 256 characters; its one use is recorded by the caller in the store
//     (ReplayRepository) until the assertion's exp, shared by every node.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "core/clock.h"
#include "core/result.h"
#include "crypto/jose/key_set.h"
#include "oauth/oauth_error.h"
#include "store/applications.h"

namespace gh::oauth {

inline constexpr std::string_view kJwtBearerAssertionType =
    "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";
inline constexpr std::chrono::seconds kMaxAssertionLifetime{300};
inline constexpr std::chrono::seconds kAssertionSkew{60};
inline constexpr size_t kMaxAssertionJtiLength = 256;

struct VerifiedClientAssertion {
  std::string jti;
  int64_t exp_s = 0;  // the assertion's exp (seconds): its replay mark is kept until then
};

// The client_id an assertion names (its unverified iss), to look the client up; nullopt when
// the assertion is not a JWT with a string iss.
std::optional<std::string> assertion_client_id(std::string_view assertion);

// The registered JWKS of an application, parsed; oauth.client_jwks_invalid when it is not a
// JWKS of public signing keys we can use (application.invalid: each key with a kid, no private
// member, use sig when given, at most 10 keys).
Result<jose::KeySet> client_key_set(std::string_view jwks_json);

// The checks above except the jti's single use. Failures are invalid_client with a description
// for error_description (never the assertion itself).
OAuthResult<VerifiedClientAssertion> verify_client_assertion(std::string_view assertion,
                                                             const store::Application& app,
                                                             const jose::KeySet& keys,
                                                             std::string_view issuer,
                                                             const Clock& clock);

}  // namespace gh::oauth
