// Users, identity bindings and sessions in the server. Other modules' wiring (hosted login:
// IdentityResolver + SessionStarter; the OIDC provider: UserDirectory + SessionLookup) reach the
// one instance of each service through identity_module(ctx).
#pragma once

#include <memory>

#include "app/extensions.h"
#include "identity/identity_service.h"
#include "sessions/session_service.h"

namespace gh::app {

struct IdentityModule {
  std::shared_ptr<sessions::SessionService> sessions;
  std::shared_ptr<identity::IdentityService> identity;
};

// Created on first use, one per server (ServerContext::shared), shared by every caller.
IdentityModule& identity_module(ServerContext& ctx);

}  // namespace gh::app
