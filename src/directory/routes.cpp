#include "directory/routes.h"

#include "directory/bulk.h"
#include "http/api.h"

namespace gh::directory {

using http::Response;

namespace {

constexpr int64_t kDayMs = 24LL * 3600 * 1000;
constexpr int64_t kScimMaxBody = 1024 * 1024;

std::string trim_slash(std::string s) {
  while (!s.empty() && s.back() == '/') s.pop_back();
  return s;
}

nlohmann::json issued_json(const IssuedToken& t, int64_t now_ms) {
  nlohmann::json j = token_json(t.token, now_ms);
  j["token"] = t.secret;
  return j;
}

Result<int64_t> expiry(const nlohmann::json& body, std::string_view field, int64_t now_ms) {
  auto days = http::optional_integer(body, field, 1, 3650);
  if (!days) return fail(days.error());
  return *days ? now_ms + **days * kDayMs : 0;
}

Response scim_json(int status, const nlohmann::json& body) {
  Response res;
  res.status = status;
  if (status != 204) res.body = body.dump();
  res.set_header("Content-Type", "application/scim+json");
  return res;
}

}  // namespace

void add_directory_routes(tenancy::AdminApi& api, http::Router& router,
                          std::shared_ptr<DirectoryService> dirs, std::string public_url) {
  const std::string list = "/api/v1/environments/{env}/organizations/{org}/directories";
  const std::string one = list + "/{directory}";
  using tenancy::Access;
  using tenancy::AdminRequest;
  using tenancy::Scope;

  api.add(router, "POST", list, Access::write, Scope::organization,
          [dirs, public_url](AdminRequest& r) {
            auto body = http::json_object_body(r.http);
            if (!body) return Response::problem(body.error(), r.http);
            if (auto ok = http::only_fields(*body, {"name", "token_name", "token_expires_in_days"});
                !ok) {
              return Response::problem(ok.error(), r.http);
            }
            auto name = http::required_string(*body, "name", 1024);
            if (!name) return Response::problem(name.error(), r.http);
            auto token_name = http::optional_string(*body, "token_name", 1024);
            if (!token_name) return Response::problem(token_name.error(), r.http);
            const int64_t now = dirs->clock().now_ms();
            auto exp = expiry(*body, "token_expires_in_days", now);
            if (!exp) return Response::problem(exp.error(), r.http);
            NewDirectory in;
            in.name = *name;
            if (*token_name) in.token_name = **token_name;
            in.token_expires_at_ms = *exp;
            auto created = dirs->create(r.env, r.http.param("org"), in, r.actor);
            if (!created) return Response::problem(created.error(), r.http);
            nlohmann::json j = directory_json(created->first, public_url);
            j["token"] = issued_json(created->second, now);
            auto res = http::json_response(201, j, created->first.version);
            res.set_header("Location", "/api/v1/environments/" + r.env.name + "/organizations/" +
                                           created->first.organization_id + "/directories/" +
                                           created->first.id);
            res.set_header("Cache-Control", "no-store");
            return res;
          });

  api.add(router, "GET", list, Access::read, Scope::organization,
          [dirs, public_url](AdminRequest& r) {
            auto all = dirs->list(r.env, r.http.param("org"));
            if (!all) return Response::problem(all.error(), r.http);
            nlohmann::json items = nlohmann::json::array();
            for (const auto& d : *all) items.push_back(directory_json(d, public_url));
            return http::json_response(200, {{"data", items}});
          });

  api.add(router, "GET", one, Access::read, Scope::organization,
          [dirs, public_url](AdminRequest& r) {
            auto d = dirs->get(r.env, r.http.param("org"), r.http.param("directory"));
            if (!d) return Response::problem(d.error(), r.http);
            return http::json_response(200, directory_json(*d, public_url), d->version);
          });

  api.add(router, "PATCH", one, Access::write, Scope::organization,
          [dirs, public_url](AdminRequest& r) {
            auto body = http::json_object_body(r.http);
            if (!body) return Response::problem(body.error(), r.http);
            if (auto ok = http::only_fields(*body, {"status"}); !ok) {
              return Response::problem(ok.error(), r.http);
            }
            auto status = http::required_string(*body, "status", 32);
            if (!status) return Response::problem(status.error(), r.http);
            auto d = dirs->set_status(r.env, r.http.param("org"), r.http.param("directory"),
                                      *status, r.actor);
            if (!d) return Response::problem(d.error(), r.http);
            return http::json_response(200, directory_json(*d, public_url), d->version);
          });

  api.add(router, "DELETE", one, Access::write, Scope::organization,
          [dirs, public_url](AdminRequest& r) {
            auto d = dirs->remove(r.env, r.http.param("org"), r.http.param("directory"), r.actor);
            if (!d) return Response::problem(d.error(), r.http);
            return http::json_response(200, directory_json(*d, public_url));
          });

  api.add(router, "POST", one + "/tokens", Access::write, Scope::organization,
          [dirs](AdminRequest& r) {
            auto body = http::json_object_body(r.http);
            if (!body) return Response::problem(body.error(), r.http);
            if (auto ok = http::only_fields(*body, {"name", "expires_in_days"}); !ok) {
              return Response::problem(ok.error(), r.http);
            }
            auto name = http::optional_string(*body, "name", 1024);
            if (!name) return Response::problem(name.error(), r.http);
            const int64_t now = dirs->clock().now_ms();
            auto exp = expiry(*body, "expires_in_days", now);
            if (!exp) return Response::problem(exp.error(), r.http);
            auto t = dirs->issue_token(r.env, r.http.param("org"), r.http.param("directory"),
                                       name->value_or("rotated"), *exp, r.actor);
            if (!t) return Response::problem(t.error(), r.http);
            auto res = http::json_response(201, issued_json(*t, now));
            res.set_header("Cache-Control", "no-store");
            return res;
          });

  api.add(router, "GET", one + "/tokens", Access::read, Scope::organization,
          [dirs](AdminRequest& r) {
            auto all = dirs->tokens(r.env, r.http.param("org"), r.http.param("directory"));
            if (!all) return Response::problem(all.error(), r.http);
            nlohmann::json items = nlohmann::json::array();
            const int64_t now = dirs->clock().now_ms();
            for (const auto& t : *all) items.push_back(token_json(t, now));
            return http::json_response(200, {{"data", items}});
          });

  api.add(router, "DELETE", one + "/tokens/{token}", Access::write, Scope::organization,
          [dirs](AdminRequest& r) {
            auto t = dirs->revoke_token(r.env, r.http.param("org"), r.http.param("directory"),
                                        r.http.param("token"), r.actor);
            if (!t) return Response::problem(t.error(), r.http);
            return http::json_response(200, token_json(*t, dirs->clock().now_ms()));
          });

  // Reconciliation report (docs/scim.md): ?untouched_days=N (default 30), ?limit= for lists.
  api.add(router, "GET", one + "/reconciliation", Access::read, Scope::organization,
          [dirs](AdminRequest& r) {
            auto limit = http::limit_param(r.http, 50, 500);
            if (!limit) return Response::problem(limit.error(), r.http);
            int days = 30;
            if (auto d = r.http.query_param("untouched_days")) {
              size_t used = 0;
              long long v = -1;
              try {
                v = std::stoll(*d, &used);
              } catch (...) {
                v = -1;
              }
              if (used != d->size() || v < 0 || v > 3650) {
                Error e(errc::RequestInvalidParameter,
                        "'untouched_days' must be an integer from 0 to 3650");
                e.extra["parameter"] = "untouched_days";
                return Response::problem(e, r.http);
              }
              days = static_cast<int>(v);
            }
            auto report = dirs->reconciliation(r.env, r.http.param("org"),
                                               r.http.param("directory"), days, *limit);
            if (!report) return Response::problem(report.error(), r.http);
            return http::json_response(200, *report);
          });

  // The connection's directory link rule (a setting on the connection, kept by this module).
  const std::string link =
      "/api/v1/environments/{env}/organizations/{org}/connections/{id}/directory-link";
  api.add(router, "GET", link, Access::read, Scope::organization, [dirs](AdminRequest& r) {
    auto rule = dirs->link_rule(r.env, r.http.param("org"), r.http.param("id"));
    if (!rule) return Response::problem(rule.error(), r.http);
    return http::json_response(200, {{"connection_id", r.http.param("id")}, {"rule", *rule}});
  });
  api.add(router, "PUT", link, Access::write, Scope::organization, [dirs](AdminRequest& r) {
    auto body = http::json_object_body(r.http);
    if (!body) return Response::problem(body.error(), r.http);
    if (auto ok = http::only_fields(*body, {"rule"}); !ok) {
      return Response::problem(ok.error(), r.http);
    }
    auto rule = http::required_string(*body, "rule", 32);
    if (!rule) return Response::problem(rule.error(), r.http);
    auto saved =
        dirs->set_link_rule(r.env, r.http.param("org"), r.http.param("id"), *rule, r.actor);
    if (!saved) return Response::problem(saved.error(), r.http);
    return http::json_response(200, {{"connection_id", r.http.param("id")}, {"rule", *saved}});
  });

  api.add(router, "GET", one + "/requests", Access::read, Scope::organization,
          [dirs](AdminRequest& r) {
            auto limit = http::limit_param(r.http, 50, 500);
            if (!limit) return Response::problem(limit.error(), r.http);
            int64_t before = 0;
            if (auto b = r.http.query_param("before")) {
              try {
                before = std::stoll(*b);
              } catch (...) {
                Error e(errc::RequestInvalidParameter, "'before' must be a sequence number");
                e.extra["parameter"] = "before";
                return Response::problem(e, r.http);
              }
            }
            auto log = dirs->request_log(r.env, r.http.param("org"), r.http.param("directory"),
                                         before, *limit);
            if (!log) return Response::problem(log.error(), r.http);
            return http::json_response(200, *log);
          });
}

void add_scim_routes(http::Router& router, std::shared_ptr<DirectoryService> dirs,
                     std::shared_ptr<ScimService> scim, std::string public_url) {
  public_url = trim_slash(public_url);
  using Fn = std::function<ScimResult<ScimReply>(const ScimCaller&, const std::string& base,
                                                 const tenancy::Actor&, const nlohmann::json&)>;
  // Authentication, body parsing, the SCIM error schema and the request log around `fn`.
  auto wrap = [dirs, public_url](bool has_body, Fn fn) {
    return [dirs, public_url, has_body, fn](http::Request& req) -> Response {
      const std::string dir = req.param("directory");
      auto auth = dirs->authenticate(dir, req.header("Authorization"));
      if (!auth.caller) {
        auto res = scim_json(auth.status, scim_error_body({auth.status, "", auth.detail}));
        if (auth.status == 401) res.set_header("WWW-Authenticate", "Bearer");
        return res;
      }
      const std::string base = public_url + "/scim/v2/" + dir;
      const tenancy::Actor actor{"scim_directory", auth.caller->token.id, req.request_id,
                                 req.client_ip};
      nlohmann::json body;
      ScimResult<ScimReply> result = scim_fail(500, "", "");
      if (has_body) {
        body = nlohmann::json::parse(req.body, nullptr, false);
        if (body.is_discarded()) {
          result = scim_fail(400, "invalidSyntax", "the body is not valid JSON");
        } else {
          result = fn(*auth.caller, base, actor, body);
        }
      } else {
        result = fn(*auth.caller, base, actor, body);
      }
      Response res;
      std::string error_type;
      if (!result) {
        error_type = result.error().scim_type.empty() ? std::to_string(result.error().status)
                                                      : result.error().scim_type;
        res = scim_json(result.error().status, scim_error_body(result.error()));
      } else {
        res = scim_json(result->status, result->body);
        if (result->version)
          res.set_header("ETag", "W/\"" + std::to_string(result->version) + "\"");
        if (!result->location.empty()) res.set_header("Location", result->location);
      }
      nlohmann::json logged = nlohmann::json::object();
      if (!req.query.empty()) logged["query"] = req.query;
      if (has_body) {
        logged["body"] = body.is_discarded() ? nlohmann::json("(not JSON)") : redact(body);
      }
      dirs->log_request(*auth.caller, req.method, req.path, res.status, error_type,
                        logged.empty() ? std::string() : logged.dump());
      return res;
    };
  };
  http::RouteOptions opts;
  opts.max_body_bytes = kScimMaxBody;
  opts.route_class = "scim";
  const std::string root = "/scim/v2/{directory}";

  auto query_of = [](const http::Request& req) -> ScimResult<ScimQuery> {
    ScimQuery q;
    if (auto f = req.query_param("filter")) q.filter = *f;
    if (auto s = req.query_param("sortBy")) q.sort_by = *s;
    if (auto o = req.query_param("sortOrder")) q.descending = lower(*o) == "descending";
    auto number = [&](const char* name, int64_t& out) -> bool {
      auto v = req.query_param(name);
      if (!v) return true;
      try {
        size_t used = 0;
        out = std::stoll(*v, &used);
        return used == v->size();
      } catch (...) {
        return false;
      }
    };
    int64_t count = 100;
    if (!number("startIndex", q.start_index)) {
      return scim_fail(400, "invalidValue", "startIndex must be an integer");
    }
    if (!number("count", count)) return scim_fail(400, "invalidValue", "count must be an integer");
    q.count = static_cast<int>(std::clamp<int64_t>(count, 0, kScimMaxResults));
    auto split = [](const std::string& s) {
      std::vector<std::string> out;
      size_t start = 0;
      while (start <= s.size()) {
        size_t comma = s.find(',', start);
        if (comma == std::string::npos) comma = s.size();
        std::string part = s.substr(start, comma - start);
        while (!part.empty() && part.front() == ' ') part.erase(part.begin());
        while (!part.empty() && part.back() == ' ') part.pop_back();
        if (!part.empty()) out.push_back(part);
        start = comma + 1;
      }
      return out;
    };
    if (auto a = req.query_param("attributes")) q.attributes = split(*a);
    if (auto e = req.query_param("excludedAttributes")) q.excluded = split(*e);
    return q;
  };

  for (const std::string type : {"User", "Group"}) {
    const std::string coll = root + "/" + type + "s";
    router.add("POST", coll,
               wrap(true,
                    [scim, type](const ScimCaller& c, const std::string& base,
                                 const tenancy::Actor& actor, const nlohmann::json& body) {
                      return scim->create(c, base, type, body, actor);
                    }),
               opts);
    router.add(
        "GET", coll,
        [wrap, scim, type, query_of](http::Request& req) {
          return wrap(false,
                      [&req, scim, type, query_of](const ScimCaller& c, const std::string& base,
                                                   const tenancy::Actor&, const nlohmann::json&) {
                        auto q = query_of(req);
                        if (!q) return ScimResult<ScimReply>(tl::unexpected<ScimError>(q.error()));
                        auto r = scim->list(c, base, type, *q);
                        return r;
                      })(req);
        },
        opts);
    router.add(
        "GET", coll + "/{id}",
        [wrap, scim, type, query_of](http::Request& req) {
          return wrap(false,
                      [&req, scim, type, query_of](const ScimCaller& c, const std::string& base,
                                                   const tenancy::Actor&, const nlohmann::json&) {
                        auto q = query_of(req);
                        if (!q) return ScimResult<ScimReply>(tl::unexpected<ScimError>(q.error()));
                        auto r = scim->get(c, base, type, req.param("id"));
                        if (r) r->body = project(r->body, q->attributes, q->excluded);
                        return r;
                      })(req);
        },
        opts);
    auto if_match = [](const http::Request& req) -> std::optional<std::string> {
      if (auto h = req.header("If-Match")) return std::string(*h);
      return std::nullopt;
    };
    router.add(
        "PUT", coll + "/{id}",
        [wrap, scim, type, if_match](http::Request& req) {
          return wrap(true, [&req, scim, type, if_match](
                                const ScimCaller& c, const std::string& base,
                                const tenancy::Actor& actor, const nlohmann::json& body) {
            return scim->replace(c, base, type, req.param("id"), body, if_match(req), actor);
          })(req);
        },
        opts);
    router.add(
        "PATCH", coll + "/{id}",
        [wrap, scim, type, if_match](http::Request& req) {
          return wrap(true, [&req, scim, type, if_match](
                                const ScimCaller& c, const std::string& base,
                                const tenancy::Actor& actor, const nlohmann::json& body) {
            return scim->patch(c, base, type, req.param("id"), body, if_match(req), actor);
          })(req);
        },
        opts);
    router.add(
        "DELETE", coll + "/{id}",
        [wrap, scim, type, if_match](http::Request& req) {
          return wrap(false, [&req, scim, type, if_match](const ScimCaller& c, const std::string&,
                                                          const tenancy::Actor& actor,
                                                          const nlohmann::json&) {
            return scim->remove(c, type, req.param("id"), if_match(req), actor);
          })(req);
        },
        opts);
  }

  // RFC 7644 §3.7. The route admits a little more than maxPayloadSize so that a body over it
  // gets the SCIM 413 (beyond that the router's own 413 answers).
  http::RouteOptions bulk_opts = opts;
  bulk_opts.max_body_bytes = static_cast<int64_t>(kBulkMaxPayloadBytes) + 64 * 1024;
  router.add(
      "POST", root + "/Bulk",
      [wrap, scim](http::Request& req) {
        return wrap(
            true,
            [&req, scim](const ScimCaller& c, const std::string& base, const tenancy::Actor& actor,
                         const nlohmann::json& body) -> ScimResult<ScimReply> {
              if (req.body.size() > kBulkMaxPayloadBytes) {
                return scim_fail(413, "tooMany",
                                 "the request is " + std::to_string(req.body.size()) +
                                     " bytes; maxPayloadSize is " +
                                     std::to_string(kBulkMaxPayloadBytes));
              }
              return scim->bulk(c, base, body, actor);
            })(req);
      },
      bulk_opts);

  router.add("GET", root + "/ServiceProviderConfig",
             wrap(false,
                  [scim](const ScimCaller&, const std::string& base, const tenancy::Actor&,
                         const nlohmann::json&) -> ScimResult<ScimReply> {
                    return ScimReply{200, scim->service_provider_config(base), 0, ""};
                  }),
             opts);
  router.add("GET", root + "/ResourceTypes",
             wrap(false,
                  [scim](const ScimCaller&, const std::string& base, const tenancy::Actor&,
                         const nlohmann::json&) -> ScimResult<ScimReply> {
                    return ScimReply{200, scim->resource_types(base), 0, ""};
                  }),
             opts);
  router.add("GET", root + "/Schemas",
             wrap(false,
                  [scim](const ScimCaller& c, const std::string& base, const tenancy::Actor&,
                         const nlohmann::json&) -> ScimResult<ScimReply> {
                    auto s = scim->schemas(c, base);
                    if (!s) return tl::unexpected<ScimError>(s.error());
                    return ScimReply{200, *s, 0, ""};
                  }),
             opts);
}

}  // namespace gh::directory
