#include "federation/oidc/oidc_routes.h"

#include "federation/error_codes.h"

namespace gh::federation::oidc {

void add_oidc_routes(http::Router& router, tenancy::EnvironmentCache& environments,
                     std::shared_ptr<ConnectionService> connections) {
  router.add("GET", "/{env}/oidc/{org}/{connection}/jwks.json",
             [&environments, connections](http::Request& req) {
               auto env = environments.get(req.param("env"));
               if (!env) return http::Response::problem(env.error(), req);
               auto c = connections->get(*env, req.param("org"), req.param("connection"));
               if (!c) return http::Response::problem(c.error(), req);
               const auto& s = c->settings;
               if (c->type != "oidc" || !s.is_object() || !s.contains("client_key") ||
                   !s["client_key"].is_object() || !s["client_key"].contains("jwks")) {
                 return http::Response::problem(Error(errc::ConnectionNotFound), req);
               }
               // Public members only: the key's private half is sealed and never read here.
               auto res = http::Response::json(200, s["client_key"]["jwks"]);
               res.set_header("Cache-Control", "public, max-age=300");
               return res;
             });
}

}  // namespace gh::federation::oidc
