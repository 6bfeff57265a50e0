#include "oauth/admin_routes.h"

#include "http/api.h"

namespace gh::oauth {

using http::Response;
using tenancy::Access;
using tenancy::AdminRequest;
using tenancy::Scope;

namespace {

Response problem(const Error& e, const http::Request& req) { return Response::problem(e, req); }

Response app_response(int status, const store::Application& app) {
  return http::json_response(status, application_json(app), app.version);
}

Result<store::Page> page_of(const http::Request& req) {
  auto limit = http::limit_param(req);
  if (!limit) return fail(limit.error());
  return store::Page{req.query_param("after").value_or(""), *limit};
}

template <class T, class F>
Response page_response(const store::PageOf<T>& page, F to_json) {
  nlohmann::json items = nlohmann::json::array();
  for (const auto& x : page.items) items.push_back(to_json(x));
  nlohmann::json out = {{"data", items}};
  out["next_cursor"] = page.next.empty() ? nlohmann::json(nullptr) : nlohmann::json(page.next);
  return http::json_response(200, out);
}

// The routes of one owner: the environment (prefix .../{env}) or an organization
// (prefix .../organizations/{org}).
void add_owner_routes(tenancy::AdminApi& api, http::Router& router, const std::string& prefix,
                      Scope scope, const std::shared_ptr<ApplicationService>& apps) {
  auto org_of = [scope](AdminRequest& r) {
    return scope == Scope::organization ? r.http.param("org") : std::string();
  };
  const std::string list = prefix + "/applications";
  const std::string one = list + "/{app}";

  api.add(router, "POST", list, Access::write, scope, [apps, org_of, list](AdminRequest& r) {
    auto body = http::json_object_body(r.http);
    if (!body) return problem(body.error(), r.http);
    auto created = apps->create(r.env, org_of(r), *body, r.actor);
    if (!created) return problem(created.error(), r.http);
    nlohmann::json out = application_json(created->app);
    if (created->client_secret) {
      out["client_secret"] = *created->client_secret;  // shown once
      out["client_secret_id"] = created->secret->id;
    }
    auto res = http::json_response(201, out, created->app.version);
    res.set_header("Cache-Control", "no-store");
    std::string location = r.http.path + "/" + created->app.id;
    res.set_header("Location", location);
    return res;
  });

  api.add(router, "GET", list, Access::read, scope, [apps, org_of](AdminRequest& r) {
    auto page = page_of(r.http);
    if (!page) return problem(page.error(), r.http);
    auto all = apps->list(r.env, org_of(r), *page);
    if (!all) return problem(all.error(), r.http);
    return page_response(*all, application_json);
  });

  api.add(router, "GET", one, Access::read, scope, [apps, org_of](AdminRequest& r) {
    auto app = apps->get(r.env, org_of(r), r.http.param("app"));
    if (!app) return problem(app.error(), r.http);
    return app_response(200, *app);
  });

  api.add(router, "PATCH", one, Access::write, scope, [apps, org_of](AdminRequest& r) {
    auto body = http::json_object_body(r.http);
    if (!body) return problem(body.error(), r.http);
    auto version = http::if_match_version(r.http);
    if (!version) return problem(version.error(), r.http);
    auto app = apps->update(r.env, org_of(r), r.http.param("app"), *body, *version, r.actor);
    if (!app) return problem(app.error(), r.http);
    return app_response(200, *app);
  });

  api.add(router, "DELETE", one, Access::write, scope, [apps, org_of](AdminRequest& r) {
    auto app = apps->remove(r.env, org_of(r), r.http.param("app"), r.actor);
    if (!app) return problem(app.error(), r.http);
    return app_response(200, *app);
  });

  api.add(router, "POST", one + "/secrets", Access::write, scope, [apps, org_of](AdminRequest& r) {
    auto body = r.http.body.empty() ? Result<nlohmann::json>(nlohmann::json::object())
                                    : http::json_object_body(r.http);
    if (!body) return problem(body.error(), r.http);
    if (auto ok = http::only_fields(*body, {"expires_in_s"}); !ok) {
      return problem(ok.error(), r.http);
    }
    auto ttl = http::optional_integer(*body, "expires_in_s", 60, 5LL * 365 * 24 * 3600);
    if (!ttl) return problem(ttl.error(), r.http);
    const int64_t expires = *ttl ? SystemClock::instance().now_ms() + **ttl * 1000 : 0;
    auto s = apps->add_secret(r.env, org_of(r), r.http.param("app"), expires, r.actor);
    if (!s) return problem(s.error(), r.http);
    nlohmann::json out = client_secret_json(s->secret, SystemClock::instance().now_ms());
    out["client_secret"] = s->value;  // shown once
    auto res = http::json_response(201, out);
    res.set_header("Cache-Control", "no-store");
    return res;
  });

  api.add(router, "GET", one + "/secrets", Access::read, scope, [apps, org_of](AdminRequest& r) {
    auto all = apps->list_secrets(r.env, org_of(r), r.http.param("app"));
    if (!all) return problem(all.error(), r.http);
    nlohmann::json items = nlohmann::json::array();
    const int64_t now = SystemClock::instance().now_ms();
    for (const auto& s : *all) items.push_back(client_secret_json(s, now));
    return http::json_response(200, {{"data", items}});
  });

  api.add(router, "POST", one + "/secrets/{secret}/revoke", Access::write, scope,
          [apps, org_of](AdminRequest& r) {
            auto s = apps->revoke_secret(r.env, org_of(r), r.http.param("app"),
                                         r.http.param("secret"), r.actor);
            if (!s) return problem(s.error(), r.http);
            return http::json_response(200,
                                       client_secret_json(*s, SystemClock::instance().now_ms()));
          });

  api.add(router, "GET", one + "/grants", Access::read, scope, [apps, org_of](AdminRequest& r) {
    auto all = apps->list_grants(r.env, org_of(r), r.http.param("app"));
    if (!all) return problem(all.error(), r.http);
    nlohmann::json items = nlohmann::json::array();
    for (const auto& g : *all) items.push_back(grant_json(g));
    return http::json_response(200, {{"data", items}});
  });

  api.add(router, "PUT", one + "/grants/{resource}", Access::write, scope,
          [apps, org_of](AdminRequest& r) {
            auto body = http::json_object_body(r.http);
            if (!body) return problem(body.error(), r.http);
            if (auto ok = http::only_fields(*body, {"permissions"}); !ok) {
              return problem(ok.error(), r.http);
            }
            std::vector<std::string> perms;
            const auto& p =
                body->contains("permissions") ? (*body)["permissions"] : nlohmann::json();
            if (!p.is_array()) {
              return problem(
                  http::invalid_field("permissions", "'permissions' must be an array of names"),
                  r.http);
            }
            for (const auto& x : p) {
              if (!x.is_string()) {
                return problem(
                    http::invalid_field("permissions", "'permissions' must be an array of names"),
                    r.http);
              }
              perms.push_back(x.get<std::string>());
            }
            auto g = apps->set_grant(r.env, org_of(r), r.http.param("app"),
                                     r.http.param("resource"), perms, r.actor);
            if (!g) return problem(g.error(), r.http);
            return http::json_response(200, grant_json(*g));
          });
}

}  // namespace

void add_application_routes(tenancy::AdminApi& api, http::Router& router,
                            std::shared_ptr<ApplicationService> apps) {
  const std::string env_prefix = "/api/v1/environments/{env}";
  add_owner_routes(api, router, env_prefix, Scope::environment, apps);
  add_owner_routes(api, router, env_prefix + "/organizations/{org}", Scope::organization, apps);

  const std::string list = env_prefix + "/resources";
  const std::string one = list + "/{resource}";
  api.add(router, "POST", list, Access::write, Scope::environment, [apps](AdminRequest& r) {
    auto body = http::json_object_body(r.http);
    if (!body) return problem(body.error(), r.http);
    auto res = apps->create_resource(r.env, *body, r.actor);
    if (!res) return problem(res.error(), r.http);
    auto out = http::json_response(201, resource_json(*res), res->version);
    out.set_header("Location", r.http.path + "/" + res->id);
    return out;
  });
  api.add(router, "GET", list, Access::read, Scope::environment, [apps](AdminRequest& r) {
    auto page = page_of(r.http);
    if (!page) return problem(page.error(), r.http);
    auto all = apps->list_resources(r.env, *page);
    if (!all) return problem(all.error(), r.http);
    return page_response(*all, resource_json);
  });
  api.add(router, "GET", one, Access::read, Scope::environment, [apps](AdminRequest& r) {
    auto res = apps->get_resource(r.env, r.http.param("resource"));
    if (!res) return problem(res.error(), r.http);
    return http::json_response(200, resource_json(*res), res->version);
  });
  api.add(router, "PATCH", one, Access::write, Scope::environment, [apps](AdminRequest& r) {
    auto body = http::json_object_body(r.http);
    if (!body) return problem(body.error(), r.http);
    auto version = http::if_match_version(r.http);
    if (!version) return problem(version.error(), r.http);
    auto res = apps->update_resource(r.env, r.http.param("resource"), *body, *version, r.actor);
    if (!res) return problem(res.error(), r.http);
    return http::json_response(200, resource_json(*res), res->version);
  });
  api.add(router, "DELETE", one, Access::write, Scope::environment, [apps](AdminRequest& r) {
    auto res = apps->remove_resource(r.env, r.http.param("resource"), r.actor);
    if (!res) return problem(res.error(), r.http);
    return http::json_response(200, resource_json(*res));
  });
}

}  // namespace gh::oauth
