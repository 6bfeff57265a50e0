// The `oidc` connection type: Gatehouse as an OpenID Connect relying party of a customer's IdP
// (Okta, Entra ID, Google Workspace, Auth0, Keycloak, any certified OP).
//
// settings (admin API, POST/PATCH .../connections with "type": "oidc"):
//   discovery_url                       or explicit: issuer, authorization_endpoint,
//                                       token_endpoint, jwks_uri[, userinfo_endpoint]
//   client_id, client_secret            the secret is sealed (organization data key) and never
//                                       shown again; a PATCH of settings must send it again
//   token_endpoint_auth_method          client_secret_basic (default) | client_secret_post |
//                                       private_key_jwt (client_key.h: a key per connection,
//                                       its JWKS at settings.client_jwks_uri; no secret)
//   client_assertion_audience           private_key_jwt: token_endpoint (default) | issuer
//   scopes                              default ["openid", "email", "profile"]
//   use_userinfo                        merge the UserInfo answer (same sub) into the claims
//   tenant_id                           pins a {tenantid}-templated issuer (Entra ID common)
//   preset                              okta | entra_id | google_workspace | auth0 | keycloak:
//                                       default claim names under attribute_mapping
//   acr_enforcement                     fail_closed (default) | report
// acr_mapping: {"<IdP acr>": "<Gatehouse acr>"}; requests go upstream through its inverse.
// The API answers settings.redirect_uri: {public_url}/{env}/login/callback/{connection}, one per
// connection (a shared callback invites IdP mix-up), to register at the IdP.
//
// A login: authorization code + PKCE S256 (the verifier derived from the server key and the
// transaction, so nothing extra is stored), a signed `state` (federation/signed_state.h) naming
// the organization, connection and transaction (and what the application required: acr,
// essential, max_age), the transaction's `nonce`; the callback checks state, RFC 9207 `iss`,
// the IdP's error, exchanges the code (client_secret_basic, client_secret_post or
// private_key_jwt), validates the ID token (id_token.h), merges UserInfo, maps claims through
// the catalog and the authentication level through acr_mapping.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "federation/connection.h"
#include "federation/oidc/id_token.h"
#include "federation/oidc/provider_metadata.h"

namespace gh::federation::oidc {

inline constexpr int64_t kStateLifetimeMs = 10 * 60 * 1000;

// The presets' default claim names ({attribute: claim}); an empty object for unknown names.
const nlohmann::json& preset_claims(std::string_view preset);

// What the signed state carries.
struct StateClaims {
  std::string organization_id;
  std::string connection_id;
  std::string transaction_id;
  std::string transaction_state;
  std::vector<std::string> acr_values;  // Gatehouse acr values the application asked for
  bool acr_essential = false;
  std::optional<int64_t> max_age_s;
  int64_t expires_at_ms = 0;
};
std::string sign_state(const ConnectionDeps& deps, const StateClaims& claims);
// login.state_invalid when malformed, not signed by this server, or expired.
Result<StateClaims> verify_state(const ConnectionDeps& deps, std::string_view token);

// RFC 7636: the verifier (43+ unreserved characters) and its S256 challenge.
std::string pkce_verifier(const ConnectionDeps& deps, const store::LoginTransaction& t);
std::string pkce_challenge(std::string_view verifier);

// The upstream acr values for Gatehouse ones (acr_mapping inverted; identity when empty), and a
// Gatehouse acr for an upstream one ("" when the mapping has none).
std::vector<std::string> upstream_acr_values(const nlohmann::json& acr_mapping,
                                             const std::vector<std::string>& gatehouse_acr);
std::string gatehouse_acr(const nlohmann::json& acr_mapping, const std::string& upstream);

// The connection's effective metadata (stored copy, refreshed through the cache when it came
// from discovery), with a templated issuer pinned to tenant_id.
ProviderMetadata effective_metadata(const store::Connection& c, const Clock& clock);

class OidcConnection final : public Connection {
 public:
  OidcConnection(store::Connection row, const ConnectionDeps& deps)
      : row_(std::move(row)), deps_(deps) {}
  Result<StartResult> start(const StartRequest& request, Trace& trace) override;
  Result<TransactionRef> transaction_ref(const store::Environment& environment,
                                         const CallbackParams& params) override;
  Result<VerifiedLogin> finish(const FinishRequest& request, Trace& trace) override;

 private:
  Result<std::string> client_secret(const store::Environment& environment) const;
  // private_key_jwt: a fresh assertion for the IdP's token endpoint (client_key.h).
  Result<std::string> client_assertion(const ProviderMetadata& m) const;
  store::Connection row_;
  ConnectionDeps deps_;
};

class OidcFactory final : public ConnectionFactory {
 public:
  std::string_view type() const override { return "oidc"; }
  Result<bool> validate(const store::Environment& environment, store::Connection& c,
                        const ConnectionDeps& deps) const override;
  nlohmann::json public_settings(const store::Connection& c) const override;
  std::unique_ptr<Connection> open(const store::Connection& c,
                                   const ConnectionDeps& deps) const override;
};

}  // namespace gh::federation::oidc
