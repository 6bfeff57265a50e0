// Admin API for verified domains, under
// /api/v1/environments/{env}/organizations/{org}/domains[/{domain}[/verify]].
#pragma once

#include "http/router.h"
#include "tenancy/admin_routes.h"
#include "tenancy/domains.h"

namespace gh::tenancy {

void add_domain_routes(AdminApi& api, http::Router& router, DomainService& domains);

}  // namespace gh::tenancy
