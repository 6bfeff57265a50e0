// DPoP (RFC 9449): proofs of possession of a client-held key, and the tokens bound to it.
// A proof is a JWT the client signs for each request; checks, in order (§4.3):
//   - one DPoP header, a compact JWS of at most 8 KiB;
//   - header typ dpop+jwt, alg an asymmetric algorithm we implement (never none or HS*), jwk a
//     public key (no private member) that fits alg, and the signature verifies under it;
//   - claims: jti (at most 256 characters), htm equal to the request method, htu equal to the
//     request URL without query and fragment (§4.3 item 9), iat within
//     [now - kDpopProofMaxAge, now + kDpopProofSkew];
//   - ath = BASE64URL(SHA-256(access token)) when the proof accompanies an access token (§4.3
//     item 11, resource access);
//   - nonce, when the server requires one (§8): else use_dpop_nonce with a fresh DPoP-Nonce;
//   - the jti once per key, recorded by the caller in the store (ReplayRepository) until the
//     proof's iat can no longer be accepted.
// A bound token carries cnf.jkt, the RFC 7638 thumbprint of the proof's key (§6.1).
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "core/clock.h"
#include "http/message.h"
#include "oauth/oauth_error.h"
#include "store/store.h"
#include "tenancy/secrets.h"

namespace gh::oauth {

inline constexpr std::chrono::seconds kDpopProofMaxAge{120};
inline constexpr std::chrono::seconds kDpopProofSkew{60};
inline constexpr size_t kMaxDpopProofSize = 8 * 1024;
inline constexpr std::string_view kDpopAlgs = "RS256 PS256 ES256 EdDSA";

struct DpopExpectation {
  std::string htm;  // the request method
  std::string htu;  // the request URL (query and fragment are ignored on both sides)
  std::optional<std::string> access_token;  // resource access: ath must be its hash
  std::optional<std::string> nonce;         // set when the server requires this nonce value
};

struct VerifiedDpopProof {
  std::string jkt;  // RFC 7638 thumbprint of the proof's key
  std::string jti;
  int64_t iat_s = 0;
};

// The checks above except the jti's single use. Failures: invalid_dpop_proof (400), or
// use_dpop_nonce when the nonce is missing or stale.
OAuthResult<VerifiedDpopProof> verify_dpop_proof(std::string_view proof,
                                                 const DpopExpectation& expected,
                                                 const Clock& clock);

// The DPoP proof of a request: nullopt when there is none; invalid_dpop_proof when several.
OAuthResult<std::optional<std::string>> dpop_header(const http::Request& req);

// BASE64URL(SHA-256(access token)): the ath claim (§4.2).
std::string dpop_ath(std::string_view access_token);

// The htu comparison form: scheme and host lower-cased, query and fragment dropped.
std::string dpop_htu_normal(std::string_view url);

// Server nonces (§8), stateless so every node accepts every node's: "<window>.<mac>", where the
// MAC is the pepper's HMAC over the environment and a 5-minute window; the current and the
// previous window are accepted.
class DpopNonces {
 public:
  DpopNonces(const tenancy::SecretHasher& hasher, const Clock& clock)
      : hasher_(hasher), clock_(clock) {}
  std::string current(std::string_view environment_id) const;
  bool accepts(std::string_view environment_id, std::string_view nonce) const;

 private:
  std::string for_window(std::string_view environment_id, int64_t window) const;
  const tenancy::SecretHasher& hasher_;
  const Clock& clock_;
};

// Verifies the proof and records its jti (kind "dpop", per key) in the store: a replay is
// invalid_dpop_proof. With `nonces`, a proof without the current nonce is use_dpop_nonce.
OAuthResult<VerifiedDpopProof> check_dpop_proof(store::Store& store, const store::Environment& env,
                                                const std::string& organization_id,
                                                std::string_view proof,
                                                const DpopExpectation& expected,
                                                const DpopNonces* nonces, const Clock& clock);

}  // namespace gh::oauth
