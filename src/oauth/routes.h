// The OIDC provider's public endpoints per environment:
//   GET  /{env}/.well-known/openid-configuration
//   POST /{env}/oauth2/token, /{env}/oauth2/introspect, /{env}/oauth2/revoke
//   GET|POST /{env}/oauth2/userinfo
// (The JWKS is the keys module's /{env}/.well-known/jwks.json; the authorization endpoint is
// the front channel's.)
#pragma once

#include <memory>

#include "http/router.h"
#include "oauth/provider.h"
#include "tenancy/environment_cache.h"

namespace gh::oauth {

void add_oauth_routes(http::Router& router, tenancy::EnvironmentCache& environments,
                      std::shared_ptr<Provider> provider);

}  // namespace gh::oauth
