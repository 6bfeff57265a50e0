// SCIM directories in the server: the admin API of directories and tokens, and the SCIM 2.0
// endpoints under /scim/v2/{directory_id}. Deactivation goes through the one IdentityService
// (identity_module) so the revocation fan-out ends the user's sessions. The lifecycle worker
// suspends just-in-time users unseen for the policy's number of days.
#include <chrono>

#include "app/extensions.h"
#include "app/wire_identity.h"
#include "core/log.h"
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

GATEHOUSE_REGISTER_WORKERS(directory, [](ServerContext& ctx) {
  auto identity = identity_module(ctx).identity;
  std::vector<BackgroundWorker> workers;
  // Days are the policy's unit: a pass an hour is plenty. 100 suspensions per tick keep the
  // shared scheduler responsive; a full batch means more are due, so come back at once.
  workers.push_back(
      {.name = "jit-inactivity", .tick = [identity]() -> std::chrono::milliseconds {
         constexpr int kBudget = 100;
         auto n = identity->suspend_unseen_jit_users(kBudget);
         if (!n) {
           log::warn("jit inactivity sweep", {{"error", std::string(n.error().code_name())}});
           return std::chrono::minutes(5);
         }
         if (*n > 0) log::info("jit inactivity sweep", {{"suspended", *n}});
         return *n >= kBudget ? std::chrono::milliseconds(0)
                              : std::chrono::milliseconds(std::chrono::hours(1));
       }});
  return workers;
});

}  // namespace gh::app
