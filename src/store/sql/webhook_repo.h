#pragma once

#include "store/sql/sql_store.h"
#include "store/webhooks.h"

namespace gh::store {

class SqlWebhookRepository final : public WebhookRepository {
 public:
  explicit SqlWebhookRepository(SqlContext& ctx) : ctx_(ctx) {}
  Result<WebhookEndpoint> create_endpoint(const WebhookEndpoint& endpoint) override;
  Result<WebhookEndpoint> get_endpoint(std::string_view environment_id,
                                       std::string_view organization_id,
                                       std::string_view id) override;
  Result<std::vector<WebhookEndpoint>> list_endpoints(std::string_view environment_id,
                                                      std::string_view organization_id) override;
  Result<WebhookEndpoint> update_endpoint(const WebhookEndpoint& endpoint,
                                          int64_t expected_version) override;
  Result<bool> delete_endpoint(std::string_view environment_id, std::string_view organization_id,
                               std::string_view id) override;
  Result<bool> add_delivery(const WebhookDelivery& delivery) override;
  Result<WebhookDelivery> get_delivery(std::string_view environment_id,
                                       std::string_view organization_id,
                                       std::string_view id) override;
  Result<std::vector<WebhookDelivery>> list_deliveries(std::string_view environment_id,
                                                       std::string_view organization_id,
                                                       std::string_view endpoint_id,
                                                       std::string_view before, int limit) override;
  Result<std::vector<WebhookDelivery>> list_deliveries_of_type(std::string_view environment_id,
                                                               std::string_view organization_id,
                                                               std::string_view event_type,
                                                               std::string_view receiver_id,
                                                               std::string_view before,
                                                               int limit) override;
  Result<std::vector<WebhookDelivery>> claim_due(int64_t now_ms, int64_t lease_ms,
                                                 std::string_view owner, int limit) override;
  Result<bool> record_attempt(std::string_view id, std::string_view owner,
                              const DeliveryAttempt& attempt, int64_t now_ms) override;
  Result<WebhookDelivery> redeliver(std::string_view environment_id,
                                    std::string_view organization_id, std::string_view id,
                                    int64_t now_ms) override;

 private:
  Result<std::vector<WebhookEndpoint>> select_endpoints(const std::string& where,
                                                        const std::string& env,
                                                        const std::string& org,
                                                        const std::string& id);
  Result<std::vector<WebhookDelivery>> select_deliveries(const std::string& sql,
                                                         std::vector<std::string> params,
                                                         int limit);
  SqlContext& ctx_;
};

}  // namespace gh::store
