// The connection interface every upstream IdP type implements (in the spirit of dex's
// connector.go): start a login (a redirect URL or an auto-posted form), then finish it from
// the IdP's callback (a verified identity, or a typed error with its stable code). Each check
// a connection makes is recorded on the login's trace.
//
// One folder per type (federation/testidp/ now; saml/ and oidc/ later): a type plugs in with a
// ConnectionFactory and one line in connection_types.cpp. Hosted login (hosted_login.h) owns
// everything around a connection: discovery, the login transaction and its browser binding,
// the domain guard, identity resolution and the session.
#pragma once

#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "catalog/attribute.h"
#include "core/clock.h"
#include "core/random.h"
#include "core/result.h"
#include "federation/trace.h"
#include "identity/login_identity.h"
#include "store/connections.h"
#include "store/environments.h"

namespace gh::store {
class Store;
}  // namespace gh::store

namespace gh::tenancy {
class Sealing;
class SecretHasher;
}  // namespace gh::tenancy

namespace gh::federation {

// What a connection may use: time, randomness, the server key for signing state, the sealing
// of organization data (secrets in settings), and the public URL.
struct ConnectionDeps {
  const Clock& clock;
  Random& random;
  const tenancy::SecretHasher& server_key;
  tenancy::Sealing* sealing = nullptr;
  std::string public_url;
  store::Store* store = nullptr;  // for state shared by all nodes (SAML assertion IDs)
};

// The IdP's answer as the browser brought it: query (GET) or form (POST) parameters.
struct CallbackParams {
  std::multimap<std::string, std::string> values;
  std::string first(std::string_view name) const;
  std::vector<std::string> all(std::string_view name) const;
  bool has(std::string_view name) const;
};

// Where the browser goes to start: a redirect, or a form auto-posted to `url` (SAML POST).
struct StartResult {
  std::string url;
  std::vector<std::pair<std::string, std::string>> form;  // empty: redirect (303) to `url`
  bool is_form() const { return !form.empty(); }
};

struct StartRequest {
  const store::Environment& environment;
  const store::Connection& connection;
  const store::LoginTransaction& transaction;
  std::string callback_url;  // {public_url}/{env}/login/callback/{connection}
  std::string login_hint;
  std::vector<std::string> acr_values;  // what the application asked for, in preference order
  bool force_authn = false;             // prompt=login or max_age: the IdP must re-authenticate
  bool acr_essential = false;           // the `claims` parameter marked acr essential
  std::optional<int64_t> max_age_s;     // the application's max_age, forwarded upstream
  std::string prompt;                   // "login" when the application forces authentication
};

// Which login transaction a callback belongs to, as the connection reads it from the answer
// (OIDC `state`, SAML `RelayState`, the test IdP's signed state). login.state_invalid when the
// answer carries none, or one that fails the connection's own integrity check.
struct TransactionRef {
  std::string organization_id;
  std::string transaction_id;
};

struct FinishRequest {
  const store::Environment& environment;
  const store::Connection& connection;
  const store::LoginTransaction& transaction;
  const CallbackParams& params;
  const catalog::Catalog& catalog;           // the organization's effective attribute catalog
  std::vector<std::string> acr_values = {};  // what the application asked for (empty in tests)
};

// A finished upstream login: who (through the catalog) and how strongly.
struct VerifiedLogin {
  identity::LoginIdentity identity;
  std::string acr;               // Gatehouse's level after acr_mapping
  std::vector<std::string> amr;  // RFC 8176 method values
  int64_t auth_time_ms = 0;
};

class Connection {
 public:
  virtual ~Connection() = default;
  virtual Result<StartResult> start(const StartRequest& request, Trace& trace) = 0;
  virtual Result<TransactionRef> transaction_ref(const store::Environment& environment,
                                                 const CallbackParams& params) = 0;
  // Verifies the answer against the transaction (state, nonce, signatures, time windows), maps
  // attributes through the catalog (invalid values dropped and recorded unless required) and
  // the authentication level through acr_mapping.
  virtual Result<VerifiedLogin> finish(const FinishRequest& request, Trace& trace) = 0;
};

// One per connection type.
class ConnectionFactory {
 public:
  virtual ~ConnectionFactory() = default;
  virtual std::string_view type() const = 0;
  // Checks and normalizes the type-specific fields of a new or changed connection (settings,
  // acr_mapping), sealing any secret in settings under the organization's data key.
  // connection.invalid naming the field; connection.sandbox_only where the type is refused.
  virtual Result<bool> validate(const store::Environment& environment, store::Connection& c,
                                const ConnectionDeps& deps) const = 0;
  // settings as the admin API shows them (sealed secrets left out).
  virtual nlohmann::json public_settings(const store::Connection& c) const = 0;
  virtual std::unique_ptr<Connection> open(const store::Connection& c,
                                           const ConnectionDeps& deps) const = 0;
};

// Every type this build supports, and the lookup by type name.
const std::vector<const ConnectionFactory*>& connection_factories();
const ConnectionFactory* find_connection_factory(std::string_view type);

// Status moves: draft → active, active → disabled, disabled → active, draft → disabled.
bool is_allowed_transition(std::string_view from, std::string_view to);

}  // namespace gh::federation
