// The OIDC relying party's public face: GET /{env}/oidc/{org}/{connection}/jwks.json serves the
// public JWKS of a connection that authenticates to its IdP with private_key_jwt (client_key.h),
// for the IdP to register as the client's jwks_uri. Public and cacheable; 404
// connection.not_found for an unknown connection, another type, or one without a key.
#pragma once

#include <memory>

#include "federation/connection_service.h"
#include "http/router.h"
#include "tenancy/environment_cache.h"

namespace gh::federation::oidc {

void add_oidc_routes(http::Router& router, tenancy::EnvironmentCache& environments,
                     std::shared_ptr<ConnectionService> connections);

}  // namespace gh::federation::oidc
