#include "identity/user_routes.h"

#include "http/api.h"

namespace gh::identity {

using http::Response;
using tenancy::Access;
using tenancy::AdminRequest;
using tenancy::Scope;

void add_user_routes(tenancy::AdminApi& api, http::Router& router,
                     std::shared_ptr<IdentityService> identity) {
  const std::string list = "/api/v1/environments/{env}/organizations/{org}/users";
  const std::string one = list + "/{user}";

  api.add(router, "GET", list, Access::read, Scope::organization, [identity](AdminRequest& r) {
    auto limit = http::limit_param(r.http);
    if (!limit) return Response::problem(limit.error(), r.http);
    store::Page page{r.http.query_param("after").value_or(""), *limit};
    auto users = identity->list_users(r.env, r.http.param("org"), page);
    if (!users) return Response::problem(users.error(), r.http);
    nlohmann::json items = nlohmann::json::array();
    for (const auto& u : users->items) items.push_back(user_json(u));
    nlohmann::json out = {{"data", items}};
    out["next_cursor"] =
        users->next.empty() ? nlohmann::json(nullptr) : nlohmann::json(users->next);
    return http::json_response(200, out);
  });

  api.add(router, "GET", one, Access::read, Scope::organization, [identity](AdminRequest& r) {
    auto user = identity->get_user(r.env, r.http.param("org"), r.http.param("user"));
    if (!user) return Response::problem(user.error(), r.http);
    auto bindings = identity->bindings(r.env, r.http.param("org"), r.http.param("user"));
    if (!bindings) return Response::problem(bindings.error(), r.http);
    auto j = user_json(*user);
    j["bindings"] = nlohmann::json::array();
    for (const auto& b : *bindings) j["bindings"].push_back(binding_json(b));
    return http::json_response(200, j, user->version);
  });

  api.add(router, "PATCH", one, Access::write, Scope::organization, [identity](AdminRequest& r) {
    auto version = http::if_match_version(r.http);
    if (!version) return Response::problem(version.error(), r.http);
    auto body = http::json_object_body(r.http);
    if (!body) return Response::problem(body.error(), r.http);
    if (auto ok = http::only_fields(*body, {"state"}); !ok) {
      return Response::problem(ok.error(), r.http);
    }
    auto state = http::required_string(*body, "state", 20);
    if (!state) return Response::problem(state.error(), r.http);
    // If-Match: * reads as -1, which set_state takes as "any version".
    auto user = identity->set_state(r.env, r.http.param("org"), r.http.param("user"), *state,
                                    *version, r.actor);
    if (!user) return Response::problem(user.error(), r.http);
    return http::json_response(200, user_json(*user), user->version);
  });

  api.add(router, "GET", one + "/bindings", Access::read, Scope::organization,
          [identity](AdminRequest& r) {
            auto bindings = identity->bindings(r.env, r.http.param("org"), r.http.param("user"));
            if (!bindings) return Response::problem(bindings.error(), r.http);
            nlohmann::json items = nlohmann::json::array();
            for (const auto& b : *bindings) items.push_back(binding_json(b));
            return http::json_response(200, {{"data", items}});
          });

  api.add(
      router, "POST", one + "/bindings", Access::write, Scope::organization,
      [identity](AdminRequest& r) {
        auto body = http::json_object_body(r.http);
        if (!body) return Response::problem(body.error(), r.http);
        if (auto ok = http::only_fields(*body, {"connection_id", "issuer", "subject"}); !ok) {
          return Response::problem(ok.error(), r.http);
        }
        NewBinding in;
        for (auto [field, out, max] : {std::tuple{"connection_id", &in.connection_id, size_t{64}},
                                       std::tuple{"issuer", &in.issuer, size_t{1024}},
                                       std::tuple{"subject", &in.subject, size_t{1024}}}) {
          auto v = http::required_string(*body, field, max);
          if (!v) return Response::problem(v.error(), r.http);
          *out = *v;
        }
        auto bound =
            identity->add_binding(r.env, r.http.param("org"), r.http.param("user"), in, r.actor);
        if (!bound) return Response::problem(bound.error(), r.http);
        return http::json_response(201, binding_json(*bound));
      });

  api.add(router, "DELETE", one + "/bindings/{binding}", Access::write, Scope::organization,
          [identity](AdminRequest& r) {
            auto removed = identity->remove_binding(
                r.env, r.http.param("org"), r.http.param("user"), r.http.param("binding"), r.actor);
            if (!removed) return Response::problem(removed.error(), r.http);
            return http::json_response(200, binding_json(*removed));
          });
}

}  // namespace gh::identity
