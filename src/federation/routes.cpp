#include "federation/routes.h"

#include "core/encoding.h"
#include "http/api.h"
#include "ui/pages.h"

namespace gh::federation {

using http::Response;

namespace {

// The values of the cookies whose name starts with `prefix`, from the Cookie header.
std::vector<std::string> cookie_values(const http::Request& req, std::string_view prefix) {
  std::vector<std::string> out;
  auto header = req.header("Cookie");
  if (!header) return out;
  std::string_view h = *header;
  while (!h.empty()) {
    size_t end = h.find(';');
    std::string_view pair = h.substr(0, end);
    while (!pair.empty() && pair.front() == ' ') pair.remove_prefix(1);
    const size_t eq = pair.find('=');
    if (eq != std::string_view::npos && pair.substr(0, eq).substr(0, prefix.size()) == prefix) {
      out.emplace_back(pair.substr(eq + 1));
    }
    if (end == std::string_view::npos) break;
    h.remove_prefix(end + 1);
  }
  return out;
}

// Query (GET) or form body (POST) parameters.
std::optional<CallbackParams> params_of(const http::Request& req) {
  CallbackParams out;
  auto q = parse_query(req.query);
  if (!q) return std::nullopt;
  for (auto& [k, v] : *q) out.values.emplace(k, v);
  if (req.method == "POST") {
    auto ct = req.header("Content-Type");
    if (!ct || ct->find("application/x-www-form-urlencoded") == std::string_view::npos) {
      return std::nullopt;
    }
    if (!is_valid_utf8(req.body)) return std::nullopt;
    auto f = parse_query(req.body);
    if (!f) return std::nullopt;
    for (auto& [k, v] : *f) out.values.emplace(k, v);
  }
  return out;
}

Response bad_form(const http::Request& req) {
  return render_step(HostedLogin::error_page(
      Error(errc::RequestInvalidParameter,
            "The form could not be read: send it as application/x-www-form-urlencoded UTF-8"),
      req.request_id));
}

}  // namespace

Response render_step(const LoginStep& step, Random& random) {
  Response res;
  res.status = step.status;
  for (const auto& c : step.set_cookies) res.headers.emplace_back("Set-Cookie", c);
  res.set_header("Cache-Control", "no-store");
  res.set_header("Referrer-Policy", "no-referrer");
  res.set_header("X-Content-Type-Options", "nosniff");
  if (step.kind == LoginStep::Kind::redirect) {
    res.set_header("Location", step.url);
    return res;
  }
  const std::string nonce = random.base64url(16);
  std::string html;
  if (step.kind == LoginStep::Kind::auto_post) {
    nlohmann::json fields = nlohmann::json::array();
    for (const auto& [k, v] : step.form) fields.push_back({{"name", k}, {"value", v}});
    html = ui::render_page("auto_post", {{"action", step.url}, {"fields", fields}}, nonce);
  } else {
    html = ui::render_page(step.page, step.view, nonce);
  }
  res.set_header("Content-Type", "text/html; charset=utf-8");
  res.set_header("Content-Security-Policy", ui::content_security_policy(nonce));
  res.body = std::move(html);
  return res;
}

void add_hosted_login_routes(http::Router& router, tenancy::EnvironmentCache& environments,
                             std::shared_ptr<HostedLogin> login) {
  auto with_env = [&environments](http::Request& req) -> std::optional<store::Environment> {
    auto env = environments.get(req.param("env"));
    if (!env) return std::nullopt;
    return *env;
  };
  auto no_env = [](http::Request& req) {
    return render_step(HostedLogin::error_page(
        Error(errc::EnvironmentNotFound, "No such environment"), req.request_id));
  };
  http::RouteOptions form_options;
  form_options.max_body_bytes = 64 * 1024;
  form_options.route_class = "login";

  router.add("GET", "/{env}/login", [=](http::Request& req) {
    auto env = with_env(req);
    if (!env) return no_env(req);
    return render_step(login->show(*env, req.query_param("request").value_or(""), req.request_id));
  });
  router.add(
      "POST", "/{env}/login",
      [=](http::Request& req) {
        auto env = with_env(req);
        if (!env) return no_env(req);
        auto p = params_of(req);
        if (!p) return bad_form(req);
        return render_step(login->submit(*env, p->first("request"), p->first("email"),
                                         p->first("connection"), req.request_id));
      },
      form_options);
  for (const char* method : {"GET", "POST"}) {
    router.add(
        method, "/{env}/login/callback/{connection}",
        [=](http::Request& req) {
          auto env = with_env(req);
          if (!env) return no_env(req);
          auto p = params_of(req);
          if (!p) return bad_form(req);
          return render_step(login->callback(*env, req.param("connection"), *p,
                                             cookie_values(req, login_cookie_prefix(env->name)),
                                             req.request_id));
        },
        form_options);
  }
  router.add("GET", "/{env}/login/testidp/{connection}", [=](http::Request& req) {
    auto env = with_env(req);
    if (!env) return no_env(req);
    return render_step(
        login->test_idp_form(*env, req.param("connection"), req.query_param("state").value_or(""),
                             req.query_param("login_hint").value_or(""), req.request_id));
  });
  router.add("GET", "/{env}/login/test/{org}/{transaction}", [=](http::Request& req) {
    auto env = with_env(req);
    if (!env) return no_env(req);
    return render_step(
        login->start_test(*env, req.param("org"), req.param("transaction"), req.request_id));
  });
}

void add_connection_routes(tenancy::AdminApi& api, http::Router& router,
                           std::shared_ptr<ConnectionService> connections) {
  using tenancy::Access;
  using tenancy::AdminRequest;
  using tenancy::Scope;
  const std::string org_base = "/api/v1/environments/{env}/organizations/{org}";
  const std::string list = org_base + "/connections";
  const std::string one = list + "/{id}";
  auto location = [](const AdminRequest& r, const store::Connection& c) {
    return "/api/v1/environments/" + r.env.name + "/organizations/" + c.organization_id +
           "/connections/" + c.id;
  };

  api.add(router, "POST", list, Access::write, Scope::organization,
          [connections, location](AdminRequest& r) {
            auto body = http::json_object_body(r.http);
            if (!body) return Response::problem(body.error(), r.http);
            auto in = parse_connection_input(*body, true);
            if (!in) return Response::problem(in.error(), r.http);
            auto c = connections->create(r.env, r.http.param("org"), *in, r.actor);
            if (!c) return Response::problem(c.error(), r.http);
            auto res = http::json_response(201, connection_json(*c), c->version);
            res.set_header("Location", location(r, *c));
            return res;
          });

  api.add(router, "GET", list, Access::read, Scope::organization, [connections](AdminRequest& r) {
    auto all = connections->list(r.env, r.http.param("org"));
    if (!all) return Response::problem(all.error(), r.http);
    nlohmann::json items = nlohmann::json::array();
    for (const auto& c : *all) items.push_back(connection_json(c));
    return http::json_response(200, {{"data", items}});
  });

  api.add(router, "GET", one, Access::read, Scope::organization, [connections](AdminRequest& r) {
    auto c = connections->get(r.env, r.http.param("org"), r.http.param("id"));
    if (!c) return Response::problem(c.error(), r.http);
    return http::json_response(200, connection_json(*c), c->version);
  });

  api.add(router, "PATCH", one, Access::write, Scope::organization, [connections](AdminRequest& r) {
    auto version = http::if_match_version(r.http);
    if (!version) return Response::problem(version.error(), r.http);
    auto body = http::json_object_body(r.http);
    if (!body) return Response::problem(body.error(), r.http);
    auto in = parse_connection_input(*body, false);
    if (!in) return Response::problem(in.error(), r.http);
    auto c =
        connections->update(r.env, r.http.param("org"), r.http.param("id"), *in, *version, r.actor);
    if (!c) return Response::problem(c.error(), r.http);
    return http::json_response(200, connection_json(*c), c->version);
  });

  api.add(router, "DELETE", one, Access::write, Scope::organization,
          [connections](AdminRequest& r) {
            auto c = connections->remove(r.env, r.http.param("org"), r.http.param("id"), r.actor);
            if (!c) return Response::problem(c.error(), r.http);
            return http::json_response(200, connection_json(*c));
          });

  for (auto [verb, status] : {std::pair{"activate", "active"}, std::pair{"disable", "disabled"}}) {
    const std::string to = status;
    api.add(router, "POST", one + "/" + verb, Access::write, Scope::organization,
            [connections, to](AdminRequest& r) {
              auto c = connections->set_status(r.env, r.http.param("org"), r.http.param("id"), to,
                                               r.actor);
              if (!c) return Response::problem(c.error(), r.http);
              return http::json_response(200, connection_json(*c), c->version);
            });
  }

  api.add(
      router, "POST", one + "/test", Access::write, Scope::organization,
      [connections](AdminRequest& r) {
        auto t = connections->start_test(r.env, r.http.param("org"), r.http.param("id"), r.actor);
        if (!t) return Response::problem(t.error(), r.http);
        auto res = http::json_response(
            201,
            {{"url", t->url}, {"request_id", t->request_id}, {"expires_at_ms", t->expires_at_ms}});
        res.set_header("Cache-Control", "no-store");
        return res;
      });

  api.add(router, "GET", org_base + "/login-traces/{request_id}", Access::read, Scope::organization,
          [connections](AdminRequest& r) {
            auto t = connections->trace(r.env, r.http.param("org"), r.http.param("request_id"));
            if (!t) return Response::problem(t.error(), r.http);
            auto res = http::json_response(200, *t);
            res.set_header("Cache-Control", "no-store");
            return res;
          });
}

}  // namespace gh::federation
