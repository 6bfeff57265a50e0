// The attribute catalog in the server: its admin API and the public catalog of each
// environment.
#include "app/extensions.h"
#include "catalog/routes.h"

namespace gh::app {

GATEHOUSE_REGISTER_ROUTES(catalog, [](ServerContext& ctx, http::Router& router) {
  auto service = std::make_shared<catalog::CatalogService>(ctx.store, ctx.tenancy);
  catalog::add_catalog_routes(ctx.admin_api, router, ctx.environments, std::move(service));
});

}  // namespace gh::app
