// private_key_jwt from Gatehouse to the IdP (RFC 7523 §2.2, OIDC Core §9): an OIDC connection
// with token_endpoint_auth_method "private_key_jwt" authenticates its code exchange with a JWT
// signed by a key of its own, made when the method is first chosen: RSA 2048 / RS256 (what every
// IdP accepts), its private JWK sealed under the organization's data key (bound to the
// connection: `connections/{id}/client_key`), never stored or shown in clear. Its public JWKS is
// served at a stable URL per connection, `{public_url}/{env}/oidc/{org}/{connection}/jwks.json`,
// for the IdP to register (settings.client_jwks_uri; settings.client_jwks shows it too).
//
// The settings member "client_key" is server-owned: {"kid", "alg", "sealed", "jwks"}; a new
// connection cannot bring one, a changed one keeps its own (ConnectionService::update), and
// validate() opens it to prove it belongs to this connection.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

#include "core/random.h"
#include "core/result.h"
#include "crypto/jose/key_set.h"

namespace gh::tenancy {
class Sealing;
}  // namespace gh::tenancy

namespace gh::federation::oidc {

// Short-lived: the assertion is made just before the one request that uses it.
inline constexpr int64_t kClientAssertionLifetimeS = 60;

struct ClientKeyOwner {
  std::string environment_id;
  std::string organization_id;
  std::string connection_id;
};

// A new key: the "client_key" settings member (private half sealed).
Result<nlohmann::json> new_client_key(tenancy::Sealing& sealing, const ClientKeyOwner& owner);

// The signing key of a stored "client_key" member: server.internal when it does not open under
// this connection's context or does not match its published public key.
Result<jose::KeyEntry> open_client_key(tenancy::Sealing& sealing, const ClientKeyOwner& owner,
                                       const nlohmann::json& member);

// The client assertion (RFC 7523 §3): iss = sub = client_id, aud the IdP's issuer or token
// endpoint (which one the IdP expects: settings.client_assertion_audience), a random jti,
// iat = now, exp = now + kClientAssertionLifetimeS; header kid and alg of the key.
Result<std::string> make_client_assertion(const jose::KeyEntry& key, std::string_view client_id,
                                          std::string_view audience, int64_t now_s, Random& random);

// The stable public URL of a connection's JWKS.
std::string client_jwks_uri(std::string_view public_url, std::string_view environment_name,
                            std::string_view organization_id, std::string_view connection_id);

}  // namespace gh::federation::oidc
