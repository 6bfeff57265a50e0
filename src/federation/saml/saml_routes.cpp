#include "federation/saml/saml_routes.h"

#include <optional>

#include "federation/error_codes.h"
#include "federation/saml/saml_connection.h"

namespace gh::federation::saml {

void add_saml_routes(http::Router& router, tenancy::EnvironmentCache& environments,
                     std::shared_ptr<ConnectionService> connections,
                     catalog::CatalogService* catalogs) {
  router.add("GET", "/{env}/saml/{org}/{connection}/metadata",
             [&environments, connections, catalogs](http::Request& req) {
               auto env = environments.get(req.param("env"));
               if (!env) return http::Response::problem(env.error(), req);
               auto c = connections->get(*env, req.param("org"), req.param("connection"));
               if (!c) return http::Response::problem(c.error(), req);
               if (c->type != "saml") {
                 return http::Response::problem(Error(errc::ConnectionNotFound), req);
               }
               // The organization's effective catalog gives the RequestedAttributes.
               std::optional<catalog::Catalog> effective;
               if (catalogs) {
                 auto eff = catalogs->effective(*env, c->organization_id);
                 if (!eff) return http::Response::problem(eff.error(), req);
                 effective = std::move(*eff);
               }
               auto res = http::Response::text(
                   200, sp_metadata("", "", *c, effective ? &*effective : nullptr),
                   "application/samlmetadata+xml");
               res.set_header("Cache-Control", "public, max-age=300");
               return res;
             });
}

}  // namespace gh::federation::saml
