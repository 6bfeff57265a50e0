// The events API and the webhook admin API, behind the admin API guard:
//   GET    {env}/events?after=&limit=                 (environment keys)
//   GET    {env}/organizations/{org}/events            (also that organization's key)
//   POST   {env}/webhooks | GET {env}/webhooks         (environment keys; organization_id in the
//                                                       body scopes an endpoint to one org)
//   GET|PATCH|DELETE {env}/webhooks/{id}
//   POST   {env}/webhooks/{id}/rotate-secret
//   GET    {env}/webhooks/{id}/deliveries
//   POST   {env}/webhooks/{id}/deliveries/{delivery}/redeliver
// and the same webhook routes under {env}/organizations/{org}/webhooks for one organization.
#pragma once

#include <memory>

#include "events/webhook_service.h"
#include "http/router.h"
#include "tenancy/admin_routes.h"

namespace gh::events {

void add_event_routes(tenancy::AdminApi& admin, http::Router& router, store::Store& store,
                      std::shared_ptr<WebhookService> webhooks);

}  // namespace gh::events
