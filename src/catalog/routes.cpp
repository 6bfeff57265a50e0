#include "catalog/routes.h"

#include "catalog/cedar_schema.h"
#include "catalog/claims.h"
#include "catalog/error_codes.h"
#include "catalog/public_catalog.h"
#include "catalog/scim_schema.h"
#include "http/api.h"

namespace gh::catalog {

using http::Response;
using tenancy::Access;
using tenancy::AdminRequest;
using tenancy::Scope;

namespace {

nlohmann::json catalog_body(const Catalog& shown, int64_t version, int64_t updated_at_ms,
                            const std::string& name_space) {
  nlohmann::json attrs = nlohmann::json::array();
  for (const auto& a : shown.attributes) attrs.push_back(attribute_json(a));
  nlohmann::json j = {
      {"version", version}, {"updated_at_ms", updated_at_ms}, {"attributes", attrs}};
  if (!name_space.empty()) j["namespace"] = name_space;
  return j;
}

// A version number from a path or query parameter.
Result<int64_t> version_number(const std::string& text, const std::string& field) {
  int64_t n = 0;
  if (text.empty() || text.size() > 18) n = -1;
  for (char c : text) {
    if (c < '0' || c > '9') n = -1;
    if (n < 0) break;
    n = n * 10 + (c - '0');
  }
  if (n < 0) {
    Error e(errc::RequestInvalidParameter, "'" + field + "' must be a version number");
    e.extra["parameter"] = field;
    return fail(std::move(e));
  }
  return n;
}

// After a change: the attribute it touched and the new version (ETag of the catalog).
Response changed_response(int status, const VersionedCatalog& v, const std::string& name) {
  nlohmann::json body = {{"version", v.version}};
  const bool organization = !v.catalog.name_space.empty();
  const Catalog shown = organization ? effective(Catalog{}, &v.catalog) : v.catalog;
  const std::string short_name = CatalogService::unqualified(v.catalog, name);
  const std::string full =
      organization ? qualified_custom_name(v.catalog.name_space, short_name) : short_name;
  if (const auto* a = shown.find(full)) body["attribute"] = attribute_json(*a);
  return http::json_response(status, body, v.version);
}

void add_scope_routes(tenancy::AdminApi& api, http::Router& router, const std::string& base,
                      Scope scope, const std::shared_ptr<CatalogService>& catalog) {
  auto org_of = [scope](AdminRequest& r) {
    return scope == Scope::organization ? r.http.param("org") : std::string();
  };

  api.add(router, "GET", base, Access::read, scope, [catalog, org_of](AdminRequest& r) {
    const std::string org = org_of(r);
    auto own = catalog->get(r.env, org);
    if (!own) return Response::problem(own.error(), r.http);
    auto shown = catalog->effective(r.env, org);
    if (!shown) return Response::problem(shown.error(), r.http);
    auto res = http::json_response(
        200, catalog_body(*shown, own->version, own->updated_at_ms, own->catalog.name_space),
        own->version);
    if (own->version == 0) res.set_header("ETag", http::etag(0));
    return res;
  });

  api.add(router, "GET", base + "/attributes/{name}", Access::read, scope,
          [catalog, org_of](AdminRequest& r) {
            auto shown = catalog->effective(r.env, org_of(r));
            if (!shown) return Response::problem(shown.error(), r.http);
            const auto* a = shown->find(r.http.param("name"));
            if (!a) {
              return Response::problem(
                  Error(errc::CatalogAttributeNotFound,
                        "No attribute '" + r.http.param("name") + "' in this catalog"),
                  r.http);
            }
            return http::json_response(200, attribute_json(*a));
          });

  api.add(router, "POST", base + "/attributes", Access::write, scope,
          [catalog, org_of](AdminRequest& r) {
            auto body = http::json_object_body(r.http);
            if (!body) return Response::problem(body.error(), r.http);
            int64_t expected = -1;
            if (r.http.header("If-Match")) {
              auto v = http::if_match_version(r.http);
              if (!v) return Response::problem(v.error(), r.http);
              expected = *v;
            }
            auto v = catalog->add_attribute(r.env, org_of(r), *body, expected, r.actor);
            if (!v) return Response::problem(v.error(), r.http);
            return changed_response(201, *v, body->value("name", std::string()));
          });

  api.add(router, "PATCH", base + "/attributes/{name}", Access::write, scope,
          [catalog, org_of](AdminRequest& r) {
            auto body = http::json_object_body(r.http);
            if (!body) return Response::problem(body.error(), r.http);
            auto expected = http::if_match_version(r.http);
            if (!expected) return Response::problem(expected.error(), r.http);
            auto v = catalog->update_attribute(r.env, org_of(r), r.http.param("name"), *body,
                                               *expected, r.actor);
            if (!v) return Response::problem(v.error(), r.http);
            return changed_response(200, *v, r.http.param("name"));
          });

  api.add(router, "POST", base + "/attributes/{name}/deprecate", Access::write, scope,
          [catalog, org_of](AdminRequest& r) {
            auto body = r.http.body.empty() ? Result<nlohmann::json>(nlohmann::json::object())
                                            : http::json_object_body(r.http);
            if (!body) return Response::problem(body.error(), r.http);
            if (auto ok = http::only_fields(*body, {"replaced_by"}); !ok) {
              return Response::problem(ok.error(), r.http);
            }
            auto replaced_by = http::optional_string(*body, "replaced_by", 128);
            if (!replaced_by) return Response::problem(replaced_by.error(), r.http);
            int64_t expected = -1;
            if (r.http.header("If-Match")) {
              auto v = http::if_match_version(r.http);
              if (!v) return Response::problem(v.error(), r.http);
              expected = *v;
            }
            auto v = catalog->deprecate_attribute(r.env, org_of(r), r.http.param("name"),
                                                  replaced_by->value_or(""), expected, r.actor);
            if (!v) return Response::problem(v.error(), r.http);
            return changed_response(200, *v, r.http.param("name"));
          });

  api.add(router, "GET", base + "/versions", Access::read, scope,
          [catalog, org_of](AdminRequest& r) {
            auto limit = http::limit_param(r.http, 20, 100);
            if (!limit) return Response::problem(limit.error(), r.http);
            int64_t before = 0;
            if (auto b = r.http.query_param("before")) {
              auto n = version_number(*b, "before");
              if (!n) return Response::problem(n.error(), r.http);
              before = *n;
            }
            auto rows = catalog->versions(r.env, org_of(r), before, *limit);
            if (!rows) return Response::problem(rows.error(), r.http);
            nlohmann::json items = nlohmann::json::array();
            for (const auto& row : *rows) items.push_back(version_json(row));
            nlohmann::json body = {{"data", items}};
            if (static_cast<int>(rows->size()) == *limit && rows->back().version > 1) {
              body["next_before"] = rows->back().version;
            }
            return http::json_response(200, body);
          });

  api.add(router, "GET", base + "/versions/{version}", Access::read, scope,
          [catalog, org_of](AdminRequest& r) {
            auto n = version_number(r.http.param("version"), "version");
            if (!n) return Response::problem(n.error(), r.http);
            auto row = catalog->version(r.env, org_of(r), *n);
            if (!row) return Response::problem(row.error(), r.http);
            nlohmann::json body = version_json(*row);
            body["catalog"] = nlohmann::json::parse(row->document, nullptr, false);
            return http::json_response(200, body);
          });

  api.add(router, "GET", base + "/diff", Access::read, scope, [catalog, org_of](AdminRequest& r) {
    int64_t bounds[2] = {0, 0};
    const char* names[2] = {"from", "to"};
    for (int i = 0; i < 2; ++i) {
      auto text = r.http.query_param(names[i]);
      if (!text) {
        return Response::problem(
            Error(errc::RequestInvalidParameter,
                  std::string("'") + names[i] + "' (a version number) is required"),
            r.http);
      }
      auto n = version_number(*text, names[i]);
      if (!n) return Response::problem(n.error(), r.http);
      bounds[i] = *n;
    }
    auto d = catalog->diff(r.env, org_of(r), bounds[0], bounds[1]);
    if (!d) return Response::problem(d.error(), r.http);
    return http::json_response(200, *d);
  });

  // What the catalog generates, for review before the SCIM, OIDC and authorization consumers
  // serve it.
  api.add(router, "GET", base + "/scim/Schemas", Access::read, scope,
          [catalog, org_of](AdminRequest& r) {
            auto shown = catalog->effective(r.env, org_of(r));
            if (!shown) return Response::problem(shown.error(), r.http);
            auto res = http::json_response(200, scim_schemas_list(*shown, ""));
            res.set_header("Content-Type", "application/scim+json");
            return res;
          });
  api.add(router, "GET", base + "/cedar-schema", Access::read, scope,
          [catalog, org_of](AdminRequest& r) {
            auto shown = catalog->effective(r.env, org_of(r));
            if (!shown) return Response::problem(shown.error(), r.http);
            return http::json_response(200, cedar_schema(*shown));
          });
  api.add(router, "GET", base + "/claims-supported", Access::read, scope,
          [catalog, org_of](AdminRequest& r) {
            auto shown = catalog->effective(r.env, org_of(r));
            if (!shown) return Response::problem(shown.error(), r.http);
            return http::json_response(200, {{"claims_supported", claims_supported(*shown)}});
          });
}

// The public catalog, with its ETag; 304 when the client already has this version.
Response public_response(http::Request& req, const nlohmann::json& doc, int64_t version,
                         bool html) {
  const std::string tag = http::etag(version);
  Response res;
  if (auto inm = req.header("If-None-Match"); inm && *inm == tag) {
    res.status = 304;
  } else if (html) {
    res = Response::text(200, public_catalog_html(doc), "text/html; charset=utf-8");
    res.set_header("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'");
    res.set_header("X-Content-Type-Options", "nosniff");
  } else {
    res = Response::json(200, doc);
  }
  res.set_header("ETag", tag);
  res.set_header("Cache-Control", "public, max-age=60");
  return res;
}

}  // namespace

void add_catalog_routes(tenancy::AdminApi& api, http::Router& router,
                        tenancy::EnvironmentCache& environments,
                        std::shared_ptr<CatalogService> catalog) {
  for (bool html : {false, true}) {
    router.add("GET", html ? "/{env}/catalog" : "/{env}/catalog.json",
               [&environments, catalog, html](http::Request& req) {
                 auto env = environments.get(req.param("env"));
                 if (!env) return Response::problem(env.error(), req);
                 auto c = catalog->get(*env, "");
                 if (!c) return Response::problem(c.error(), req);
                 return public_response(
                     req, public_catalog_json(env->name, c->version, c->updated_at_ms, c->catalog),
                     c->version, html);
               });
  }
  const std::string env_base = "/api/v1/environments/{env}/catalog";
  const std::string org_base = "/api/v1/environments/{env}/organizations/{org}/catalog";
  add_scope_routes(api, router, env_base, Scope::environment, catalog);
  add_scope_routes(api, router, org_base, Scope::organization, catalog);
}

}  // namespace gh::catalog
