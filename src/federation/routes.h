// Hosted login's HTTP face (GET/POST /{env}/login, the callback, the test IdP form, the test
// link) and the connections admin API (/api/v1/environments/{env}/organizations/{org}/
// connections..., login-traces/{request_id}).
#pragma once

#include <memory>

#include "federation/connection_service.h"
#include "federation/hosted_login.h"
#include "http/router.h"
#include "tenancy/admin_routes.h"
#include "tenancy/environment_cache.h"

namespace gh::federation {

void add_connection_routes(tenancy::AdminApi& api, http::Router& router,
                           std::shared_ptr<ConnectionService> connections);

void add_hosted_login_routes(http::Router& router, tenancy::EnvironmentCache& environments,
                             std::shared_ptr<HostedLogin> login);

// A LoginStep as an HTTP response: the page (HTML with its CSP), a 303, or an auto-posted form.
http::Response render_step(const LoginStep& step, Random& random = SecureRandom::instance());

}  // namespace gh::federation
