// ID token validation for an OIDC connection (OpenID Connect Core 1.0 §3.1.3.7), as a pure
// function over the token, the IdP's key set, the clock and what this login expects. Every
// failure is one named oidc.* code, checked in this order:
//   shape → signature (key by kid from the IdP's JWKS only; the alg comes from the key entry and
//   must also be in the IdP's advertised allow-list: never "none", never HS* — a token naming
//   HS256 with the IdP's public key finds no HMAC verifier) → exp/iat with skew → iss exact →
//   aud contains client_id, azp (when several audiences or present) equals it → nonce →
//   auth_time against max_age.
#pragma once

#include <chrono>
#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/clock.h"
#include "core/result.h"
#include "crypto/jose/key_set.h"

namespace gh::federation::oidc {

struct IdTokenExpectations {
  std::string issuer;  // exact (a tenant-templated issuer already pinned to the tenant id)
  std::string client_id;
  std::string nonce;
  std::vector<jose::Alg> allowed_algs = {jose::Alg::RS256};
  std::chrono::seconds skew{120};
  std::optional<int64_t> max_age_s;  // when the login asked for max_age: auth_time required
};

struct IdTokenClaims {
  std::string iss;
  std::string sub;
  std::string acr;
  std::vector<std::string> amr;
  int64_t auth_time_s = 0;  // 0: absent
  std::string kid;
  std::string alg;
  nlohmann::json all;  // every claim
};

// The kid in the token's protected header ("" when absent or unreadable): lets the caller
// re-fetch the JWKS once when the IdP signs with a key it has not seen yet.
std::string peek_kid(std::string_view token);

Result<IdTokenClaims> verify_id_token(std::string_view token, const jose::KeySet& keys,
                                      const Clock& clock, const IdTokenExpectations& expect);

// Issuers with a {tenantid} placeholder (Entra ID's multi-tenant metadata,
// https://login.microsoftonline.com/{tenantid}/v2.0) pinned to the configured tenant.
bool is_templated_issuer(std::string_view issuer);
std::string pin_issuer(std::string_view issuer, std::string_view tenant_id);

}  // namespace gh::federation::oidc
