// Admin API for users and identity bindings, under
// /api/v1/environments/{env}/organizations/{org}/users:
//   GET    /users                          paged (?limit, ?after = next_cursor)
//   GET    /users/{user}                   the user with its bindings (ETag "v{version}")
//   PATCH  /users/{user}                   {"state": "active"|"suspended"} with If-Match;
//                                          suspending revokes the user's sessions
//   GET    /users/{user}/bindings
//   POST   /users/{user}/bindings          {connection_id, issuer, subject}: explicit re-binding
//   DELETE /users/{user}/bindings/{binding}
// Other organizations' and environments' ids answer 404 like unknown ones.
#pragma once

#include <memory>

#include "http/router.h"
#include "identity/identity_service.h"
#include "tenancy/admin_routes.h"

namespace gh::identity {

void add_user_routes(tenancy::AdminApi& api, http::Router& router,
                     std::shared_ptr<IdentityService> identity);

}  // namespace gh::identity
