// Admin API for verified domains, under
// /api/v1/environments/{env}/organizations/{org}/domains[/{domain}[/verify]].
#pragma once

#include <memory>

#include "http/router.h"
#include "tenancy/admin_routes.h"
#include "tenancy/domains.h"

namespace gh::tenancy {

// The routes share `domains` (and keep it alive as long as the router).
void add_domain_routes(AdminApi& api, http::Router& router, std::shared_ptr<DomainService> domains);

}  // namespace gh::tenancy
