// The admin API of applications, client secrets, resources and grants:
//   /api/v1/environments/{env}/applications[/{app}[/secrets[/{secret}/revoke]|/grants[/{res}]]]
//   /api/v1/environments/{env}/organizations/{org}/applications/... (organization machine
//   clients; the organization's own API key may manage them)
//   /api/v1/environments/{env}/resources[/{resource}]
// PATCH needs If-Match; client secrets are shown once, on creation.
#pragma once

#include <memory>

#include "http/router.h"
#include "oauth/application_service.h"
#include "tenancy/admin_routes.h"

namespace gh::oauth {

void add_application_routes(tenancy::AdminApi& api, http::Router& router,
                            std::shared_ptr<ApplicationService> service);

}  // namespace gh::oauth
