// SCIM directories in the server: the admin API of directories and tokens, and the SCIM 2.0
// endpoints under /scim/v2/{directory_id}. Deactivation goes through the one IdentityService
// (identity_module) so the revocation fan-out ends the user's sessions.
#include "app/extensions.h"
#include "app/wire_identity.h"
#include "directory/routes.h"

namespace gh::app {

GATEHOUSE_REGISTER_ROUTES(directory, [](ServerContext& ctx, http::Router& router) {
  auto directories =
      std::make_shared<directory::DirectoryService>(ctx.store, ctx.tenancy, &ctx.sealing);
  auto catalog = std::make_shared<catalog::CatalogService>(ctx.store, ctx.tenancy);
  auto scim = std::make_shared<directory::ScimService>(
      ctx.store, ctx.tenancy, identity_module(ctx).identity, std::move(catalog));
  directory::add_directory_routes(ctx.admin_api, router, directories, ctx.config.public_url);
  directory::add_scim_routes(router, directories, std::move(scim), ctx.config.public_url);
});

}  // namespace gh::app
