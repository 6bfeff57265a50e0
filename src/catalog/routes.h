// Routes of the attribute catalog: the admin API of the environment's catalog
// (/api/v1/environments/{env}/catalog) and of each organization's custom attributes
// (.../organizations/{org}/catalog), with versions, diffs and what is generated from the
// catalog; and the public catalog of an environment (GET /{env}/catalog.json, and the HTML page
// GET /{env}/catalog), unauthenticated like the JWKS and cacheable with an ETag.
#pragma once

#include <memory>

#include "catalog/service.h"
#include "http/router.h"
#include "tenancy/admin_routes.h"
#include "tenancy/environment_cache.h"

namespace gh::catalog {

void add_catalog_routes(tenancy::AdminApi& api, http::Router& router,
                        tenancy::EnvironmentCache& environments,
                        std::shared_ptr<CatalogService> catalog);

}  // namespace gh::catalog
