// Users, identity bindings and sessions in the server: their admin API routes, and the shared
// services other modules' wiring reaches through identity_module().
#include "app/wire_identity.h"

#include "identity/user_routes.h"
#include "sessions/session_routes.h"
#include "tenancy/service.h"

namespace gh::app {

IdentityModule& identity_module(ServerContext& ctx) {
  return *ctx.shared->get_or_create<IdentityModule>("identity", [&ctx] {
    auto m = std::make_shared<IdentityModule>();
    m->sessions = std::make_shared<sessions::SessionService>(ctx.store, ctx.tenancy.hasher());
    m->identity = std::make_shared<identity::IdentityService>(ctx.store, ctx.tenancy);
    return m;
  });
}

GATEHOUSE_REGISTER_ROUTES(identity, [](ServerContext& ctx, http::Router& router) {
  auto& m = identity_module(ctx);
  identity::add_user_routes(ctx.admin_api, router, m.identity);
  sessions::add_session_routes(ctx.admin_api, router, m.sessions);
});

}  // namespace gh::app
