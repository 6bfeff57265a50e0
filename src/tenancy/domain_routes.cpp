#include "tenancy/domain_routes.h"

#include "http/api.h"

namespace gh::tenancy {

using http::Response;

void add_domain_routes(AdminApi& api, http::Router& router,
                       std::shared_ptr<DomainService> domains) {
  const std::string list = "/api/v1/environments/{env}/organizations/{org}/domains";
  const std::string one = list + "/{domain}";

  api.add(router, "POST", list, Access::write, Scope::organization, [domains](AdminRequest& r) {
    auto body = http::json_object_body(r.http);
    if (!body) return Response::problem(body.error(), r.http);
    if (auto ok = http::only_fields(*body, {"domain"}); !ok) {
      return Response::problem(ok.error(), r.http);
    }
    // Room for a too-long name to reach the domain check, which says what is wrong with it.
    auto name = http::required_string(*body, "domain", 1024);
    if (!name) return Response::problem(name.error(), r.http);
    auto added = domains->add(r.env, r.http.param("org"), *name, r.actor);
    if (!added) return Response::problem(added.error(), r.http);
    auto res = http::json_response(201, domain_json(*added));
    res.set_header("Location", "/api/v1/environments/" + r.env.name + "/organizations/" +
                                   added->organization_id + "/domains/" + added->name);
    return res;
  });

  api.add(router, "GET", list, Access::read, Scope::organization, [domains](AdminRequest& r) {
    auto all = domains->list(r.env, r.http.param("org"));
    if (!all) return Response::problem(all.error(), r.http);
    nlohmann::json items = nlohmann::json::array();
    for (const auto& d : *all) items.push_back(domain_json(d));
    return http::json_response(200, {{"data", items}});
  });

  api.add(router, "GET", one, Access::read, Scope::organization, [domains](AdminRequest& r) {
    auto d = domains->get(r.env, r.http.param("org"), r.http.param("domain"));
    if (!d) return Response::problem(d.error(), r.http);
    return http::json_response(200, domain_json(*d));
  });

  api.add(router, "DELETE", one, Access::write, Scope::organization, [domains](AdminRequest& r) {
    auto d = domains->remove(r.env, r.http.param("org"), r.http.param("domain"), r.actor);
    if (!d) return Response::problem(d.error(), r.http);
    return http::json_response(200, domain_json(*d));
  });

  api.add(router, "POST", one + "/verify", Access::write, Scope::organization,
          [domains](AdminRequest& r) {
            auto d = domains->verify(r.env, r.http.param("org"), r.http.param("domain"), r.actor);
            if (!d) return Response::problem(d.error(), r.http);
            return http::json_response(200, domain_json(*d));
          });
}

}  // namespace gh::tenancy
