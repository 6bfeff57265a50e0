#include "oauth/routes.h"

#include "oauth/pushed_authorization.h"

namespace gh::oauth {

namespace {

using Endpoint = http::Response (*)(Provider&, const store::Environment&, const http::Request&);

http::Handler per_environment(tenancy::EnvironmentCache& environments,
                              std::shared_ptr<Provider> provider, Endpoint endpoint) {
  return [&environments, provider, endpoint](http::Request& req) {
    auto env = environments.get(req.param("env"));
    if (!env) return http::Response::problem(env.error(), req);
    return endpoint(*provider, *env, req);
  };
}

}  // namespace

void add_oauth_routes(http::Router& router, tenancy::EnvironmentCache& environments,
                      std::shared_ptr<Provider> provider) {
  http::RouteOptions oauth;
  oauth.route_class = "oauth";
  oauth.max_body_bytes = 16 * 1024;
  // Warm caches answer these without the store (core/blocking.h): tried on the I/O thread first.
  http::RouteOptions fast = oauth;
  fast.fast_path = true;
  router.add("GET", "/{env}/.well-known/openid-configuration",
             per_environment(environments, provider, discovery_endpoint), fast);
  router.add("GET", "/{env}/o/{org}/.well-known/openid-configuration",
             per_environment(environments, provider, discovery_endpoint), fast);
  router.add("POST", "/{env}/oauth2/token", per_environment(environments, provider, token_endpoint),
             fast);
  router.add("POST", "/{env}/oauth2/introspect",
             per_environment(environments, provider, introspection_endpoint), fast);
  router.add("POST", "/{env}/oauth2/revoke",
             per_environment(environments, provider, revocation_endpoint), oauth);
  router.add("POST", "/{env}/oauth2/par",
             per_environment(environments, provider, pushed_authorization_endpoint), oauth);
  router.add("GET", "/{env}/oauth2/userinfo",
             per_environment(environments, provider, userinfo_endpoint), oauth);
  router.add("POST", "/{env}/oauth2/userinfo",
             per_environment(environments, provider, userinfo_endpoint), oauth);
}

}  // namespace gh::oauth
