// Webhooks: endpoints (per environment, optionally one organization's), their signing secrets,
// the fan-out from the outbox into deliveries, and the deliverer that sends them.
//
//   outbox ──fan_out()──▶ webhook_deliveries ──deliver_due()──▶ HTTP POST (signed)
//
// fan_out() reads the outbox after the consumer's persisted position, adds one delivery per
// interested endpoint and moves the position, all in one transaction. deliver_due() leases due
// deliveries (so nodes never send the same attempt together), sends them outside any
// transaction, and records each attempt: success, a retry time from the RetryPolicy, or failed.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/clock.h"
#include "core/random.h"
#include "events/backchannel_logout.h"
#include "events/retry_policy.h"
#include "http/client.h"
#include "store/store.h"
#include "tenancy/sealing.h"
#include "tenancy/service.h"

namespace gh::events {

struct EndpointInput {
  std::optional<std::string> url;
  std::optional<std::string> description;
  std::optional<std::vector<std::string>> event_types;  // ["*"] or empty list: all
  std::optional<bool> enabled;
};

// The endpoint and, on creation and rotation only, the new secret.
struct IssuedEndpoint {
  store::WebhookEndpoint endpoint;
  std::string secret;
};

// Who may see what: organization_id empty means the whole environment.
struct WebhookScope {
  const store::Environment& env;
  std::string organization_id;
};

class WebhookService {
 public:
  // Signing secrets are stored sealed under the endpoint's organization (or environment) data
  // key, bound to the endpoint and secret id.
  WebhookService(store::Store& store, tenancy::Sealing& sealing, RetryPolicy retry,
                 const Clock& clock = SystemClock::instance(),
                 Random& random = SecureRandom::instance());

  Result<IssuedEndpoint> create(const WebhookScope& scope, const EndpointInput& in,
                                const tenancy::Actor& actor);
  Result<store::WebhookEndpoint> get(const WebhookScope& scope, const std::string& id);
  Result<std::vector<store::WebhookEndpoint>> list(const WebhookScope& scope);
  // expected_version < 0: whatever the current version is.
  Result<store::WebhookEndpoint> update(const WebhookScope& scope, const std::string& id,
                                        const EndpointInput& in, int64_t expected_version,
                                        const tenancy::Actor& actor);
  Result<bool> remove(const WebhookScope& scope, const std::string& id,
                      const tenancy::Actor& actor);
  // A new current secret; older ones keep signing for at most `overlap_s` more seconds.
  Result<IssuedEndpoint> rotate_secret(const WebhookScope& scope, const std::string& id,
                                       int64_t overlap_s, const tenancy::Actor& actor);
  Result<std::vector<store::WebhookDelivery>> deliveries(const WebhookScope& scope,
                                                         const std::string& endpoint_id,
                                                         const std::string& before, int limit);
  Result<store::WebhookDelivery> redeliver(const WebhookScope& scope,
                                           const std::string& endpoint_id,
                                           const std::string& delivery_id,
                                           const tenancy::Actor& actor);

  // Back-channel logout deliveries (events/backchannel_logout.h) are signed with this; without
  // one they stay pending (retried) rather than being sent unsigned.
  void set_logout_token_signer(LogoutTokenSigner signer) { logout_signer_ = std::move(signer); }
  // Back-channel logout deliveries, newest first: every receiver's, or one application's.
  Result<std::vector<store::WebhookDelivery>> logout_deliveries(const WebhookScope& scope,
                                                                const std::string& application_id,
                                                                const std::string& before,
                                                                int limit);

  // One fan-out step for one environment; returns the number of events consumed.
  Result<int> fan_out(const std::string& environment_id, int batch = 500);
  // Fan-out for every environment; returns events consumed.
  Result<int> fan_out_all();
  // Leases up to `batch` due deliveries to `owner`, sends them with `client`, records the
  // attempts; returns how many were sent.
  Result<int> deliver_due(http::HttpClient& client, const std::string& owner, int batch,
                          int64_t timeout_ms);

  // Input checks (also used by the CLI).
  static Result<bool> check_url(const std::string& url);
  static Result<std::vector<std::string>> check_event_types(const std::vector<std::string>& types);

 private:
  store::WebhookSecret new_secret(int64_t now_ms);
  Result<store::WebhookSecret> seal_secret(const store::WebhookEndpoint& e,
                                           store::WebhookSecret secret);
  void audit(store::Repositories& repos, const WebhookScope& scope, const tenancy::Actor& actor,
             const std::string& action, const std::string& target_id,
             const nlohmann::json& summary);

  store::Store& store_;
  tenancy::Sealing& sealing_;
  RetryPolicy retry_;
  const Clock& clock_;
  Random& random_;
  LogoutTokenSigner logout_signer_;
};

// The JSON the API shows (secrets never, only their ids and expiry).
nlohmann::json endpoint_json(const store::WebhookEndpoint& e);
nlohmann::json delivery_json(const store::WebhookDelivery& d);
// An outbox event as the events API and webhook bodies carry it.
nlohmann::json event_json(const store::OutboxEvent& e);

}  // namespace gh::events
