// Webhook endpoints and their deliveries. The fan-out turns each outbox event into one
// delivery row per interested endpoint in the same transaction that advances its consumer
// cursor, so a crash never loses or doubles a fan-out; deliverers claim due rows with a lease
// (PostgreSQL: FOR UPDATE SKIP LOCKED), so two nodes never send the same attempt, and a node
// that dies mid-send only delays that attempt until its lease runs out (at least once).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"

namespace gh::store {

// A signing secret. Stored as issued: signing needs the secret itself (see docs/security.md).
struct WebhookSecret {
  std::string id;
  std::string secret;
  int64_t created_at_ms = 0;
  int64_t expires_at_ms = 0;  // 0: current; else still signs until then (rotation overlap)
};

struct WebhookEndpoint {
  std::string id;
  std::string environment_id;
  std::string organization_id;  // empty: every organization's and environment-level events
  std::string url;
  std::string description;
  std::vector<std::string> event_types;  // empty: all
  bool enabled = true;
  std::vector<WebhookSecret> secrets;
  int64_t version = 0;
  int64_t created_at_ms = 0;
  int64_t updated_at_ms = 0;
};

struct WebhookDelivery {
  std::string id;
  std::string endpoint_id;
  std::string environment_id;
  std::string organization_id;
  std::string event_id;
  std::string event_type;
  std::string body;                // the exact JSON sent, frozen at fan-out
  std::string status = "pending";  // pending | succeeded | failed
  int64_t attempts = 0;
  int64_t next_attempt_at_ms = 0;
  int64_t lease_until_ms = 0;
  std::string lease_owner;
  int64_t last_status = 0;  // HTTP status of the last attempt, 0: none or no answer
  std::string last_error;
  int64_t last_response_ms = 0;
  int64_t created_at_ms = 0;
  int64_t updated_at_ms = 0;
};

// The result of one attempt, as the deliverer records it.
struct DeliveryAttempt {
  std::string status;  // succeeded | pending (retry at next_attempt_at_ms) | failed
  int64_t next_attempt_at_ms = 0;
  int64_t http_status = 0;
  std::string error;
  int64_t response_ms = 0;
};

class WebhookRepository {
 public:
  virtual ~WebhookRepository() = default;
  virtual Result<WebhookEndpoint> create_endpoint(const WebhookEndpoint& endpoint) = 0;
  // organization_id empty: any endpoint of the environment; else only that organization's.
  virtual Result<WebhookEndpoint> get_endpoint(std::string_view environment_id,
                                               std::string_view organization_id,
                                               std::string_view id) = 0;
  virtual Result<std::vector<WebhookEndpoint>> list_endpoints(std::string_view environment_id,
                                                              std::string_view organization_id) = 0;
  // webhook.precondition: request.precondition_failed when the version moved.
  virtual Result<WebhookEndpoint> update_endpoint(const WebhookEndpoint& endpoint,
                                                  int64_t expected_version) = 0;
  // Removes the endpoint and its deliveries.
  virtual Result<bool> delete_endpoint(std::string_view environment_id,
                                       std::string_view organization_id, std::string_view id) = 0;

  virtual Result<bool> add_delivery(const WebhookDelivery& delivery) = 0;
  virtual Result<WebhookDelivery> get_delivery(std::string_view environment_id,
                                               std::string_view organization_id,
                                               std::string_view id) = 0;
  // One endpoint's deliveries, newest first, id < before (empty: from the newest).
  virtual Result<std::vector<WebhookDelivery>> list_deliveries(std::string_view environment_id,
                                                               std::string_view organization_id,
                                                               std::string_view endpoint_id,
                                                               std::string_view before,
                                                               int limit) = 0;
  // Deliveries of one type (e.g. oidc.backchannel_logout, whose endpoint_id is the receiving
  // application's id) newest first, id < before; organization_id empty: any organization's,
  // else only that one's; receiver_id empty: every receiver.
  virtual Result<std::vector<WebhookDelivery>> list_deliveries_of_type(
      std::string_view environment_id, std::string_view organization_id,
      std::string_view event_type, std::string_view receiver_id, std::string_view before,
      int limit) = 0;
  // Due pending deliveries whose lease ran out: leased to `owner` until now + lease_ms, with
  // attempts counted. Never hands one attempt to two callers at once.
  virtual Result<std::vector<WebhookDelivery>> claim_due(int64_t now_ms, int64_t lease_ms,
                                                         std::string_view owner, int limit) = 0;
  // Records an attempt of a delivery leased to `owner` (false: the lease was lost).
  virtual Result<bool> record_attempt(std::string_view id, std::string_view owner,
                                      const DeliveryAttempt& attempt, int64_t now_ms) = 0;
  // Makes a delivery due again now, with a fresh attempt budget (manual redelivery).
  virtual Result<WebhookDelivery> redeliver(std::string_view environment_id,
                                            std::string_view organization_id, std::string_view id,
                                            int64_t now_ms) = 0;
};

}  // namespace gh::store
