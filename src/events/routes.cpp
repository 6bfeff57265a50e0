#include "events/routes.h"

#include "events/error_codes.h"
#include "http/api.h"

namespace gh::events {

using http::Response;
using tenancy::Access;
using tenancy::AdminRequest;
using tenancy::Scope;

namespace {

Response problem(const Error& e, const http::Request& req) { return Response::problem(e, req); }

Result<EndpointInput> endpoint_input(const nlohmann::json& body, bool allow_org) {
  if (auto ok = allow_org
                    ? http::only_fields(
                          body, {"url", "description", "event_types", "enabled", "organization_id"})
                    : http::only_fields(body, {"url", "description", "event_types", "enabled"});
      !ok) {
    return fail(ok.error());
  }
  EndpointInput in;
  auto url = http::optional_string(body, "url", 2048);
  if (!url) return fail(url.error());
  in.url = *url;
  auto description = http::optional_string(body, "description", 500);
  if (!description) return fail(description.error());
  in.description = *description;
  if (body.contains("event_types")) {
    const auto& t = body["event_types"];
    if (!t.is_array()) {
      return fail(Error(errc::WebhookInvalidEventTypes, "event_types must be a list"));
    }
    std::vector<std::string> types;
    for (const auto& v : t) {
      if (!v.is_string()) {
        return fail(Error(errc::WebhookInvalidEventTypes, "event_types must be a list of strings"));
      }
      types.push_back(v.get<std::string>());
    }
    in.event_types = types;
  }
  if (body.contains("enabled")) {
    if (!body["enabled"].is_boolean()) {
      return fail(http::invalid_field("enabled", "'enabled' must be true or false"));
    }
    in.enabled = body["enabled"].get<bool>();
  }
  return in;
}

// The organization named by the path exists here (environment keys may name any).
Result<bool> organization_exists(store::Store& store, const AdminRequest& r,
                                 const std::string& org) {
  return store.read<bool>([&](store::Repositories& repos) -> Result<bool> {
    auto o = repos.organizations().get(r.env.id, org);
    if (!o) return fail(o.error());
    return true;
  });
}

}  // namespace

void add_event_routes(tenancy::AdminApi& admin, http::Router& router, store::Store& store,
                      std::shared_ptr<WebhookService> webhooks) {
  const std::string base = "/api/v1/environments/{env}";
  const std::string org_base = base + "/organizations/{org}";

  // ---- events: commit order, complete; the cursor is opaque.
  auto events = [&store](AdminRequest& r, const std::string& org) -> Response {
    auto limit = http::limit_param(r.http, 100, 1000);
    if (!limit) return problem(limit.error(), r.http);
    const std::string after = r.http.query_param("after").value_or("");
    auto cursor = store::OutboxCursor::decode(after);
    if (!cursor) {
      Error e = cursor.error();
      e.extra["parameter"] = "after";
      return problem(e, r.http);
    }
    if (!org.empty()) {
      if (auto ok = organization_exists(store, r, org); !ok) return problem(ok.error(), r.http);
    }
    auto rows = store.read<std::vector<store::OutboxEvent>>([&](store::Repositories& repos) {
      return repos.outbox().read(r.env.id, org, *cursor, *limit);
    });
    if (!rows) return problem(rows.error(), r.http);
    nlohmann::json data = nlohmann::json::array();
    for (const auto& e : *rows) data.push_back(event_json(e));
    // With nothing new the cursor stays where it was: poll again with it.
    const std::string next = rows->empty()
                                 ? (after.empty() ? store::OutboxCursor{}.encode() : after)
                                 : store::OutboxCursor{rows->back().tx, rows->back().seq}.encode();
    return http::json_response(200, {{"data", data}, {"next_cursor", next}});
  };
  admin.add(router, "GET", base + "/events", Access::read, Scope::environment,
            [events](AdminRequest& r) { return events(r, ""); });
  admin.add(router, "GET", org_base + "/events", Access::read, Scope::organization,
            [events](AdminRequest& r) { return events(r, r.http.param("org")); });

  // ---- webhooks: `org` is the path's organization (organization routes) or empty.
  auto scope_of = [](AdminRequest& r, const std::string& org) { return WebhookScope{r.env, org}; };

  auto create = [webhooks, scope_of](AdminRequest& r, const std::string& org) -> Response {
    auto body = http::json_object_body(r.http);
    if (!body) return problem(body.error(), r.http);
    auto in = endpoint_input(*body, org.empty());
    if (!in) return problem(in.error(), r.http);
    std::string scope_org = org;
    if (org.empty()) {
      auto o = http::optional_string(*body, "organization_id", 64);
      if (!o) return problem(o.error(), r.http);
      scope_org = o->value_or("");
    }
    auto created = webhooks->create(scope_of(r, scope_org), *in, r.actor);
    if (!created) return problem(created.error(), r.http);
    auto j = endpoint_json(created->endpoint);
    j["secret"] = created->secret;  // shown once
    auto res = http::json_response(201, j, created->endpoint.version);
    res.set_header("Location",
                   "/api/v1/environments/" + r.env.name + "/webhooks/" + created->endpoint.id);
    return res;
  };
  auto list = [webhooks, &store, scope_of](AdminRequest& r, const std::string& org) -> Response {
    if (!org.empty()) {
      if (auto ok = organization_exists(store, r, org); !ok) return problem(ok.error(), r.http);
    }
    auto all = webhooks->list(scope_of(r, org));
    if (!all) return problem(all.error(), r.http);
    nlohmann::json data = nlohmann::json::array();
    for (const auto& e : *all) data.push_back(endpoint_json(e));
    return http::json_response(200, {{"data", data}});
  };
  auto get = [webhooks, scope_of](AdminRequest& r, const std::string& org) -> Response {
    auto e = webhooks->get(scope_of(r, org), r.http.param("id"));
    if (!e) return problem(e.error(), r.http);
    return http::json_response(200, endpoint_json(*e), e->version);
  };
  auto update = [webhooks, scope_of](AdminRequest& r, const std::string& org) -> Response {
    auto body = http::json_object_body(r.http);
    if (!body) return problem(body.error(), r.http);
    auto in = endpoint_input(*body, false);
    if (!in) return problem(in.error(), r.http);
    int64_t expected = -1;  // If-Match is optional here; when sent it must match.
    if (r.http.header("If-Match")) {
      auto v = http::if_match_version(r.http);
      if (!v) return problem(v.error(), r.http);
      expected = *v;
    }
    auto e = webhooks->update(scope_of(r, org), r.http.param("id"), *in, expected, r.actor);
    if (!e) return problem(e.error(), r.http);
    return http::json_response(200, endpoint_json(*e), e->version);
  };
  auto remove = [webhooks, scope_of](AdminRequest& r, const std::string& org) -> Response {
    auto ok = webhooks->remove(scope_of(r, org), r.http.param("id"), r.actor);
    if (!ok) return problem(ok.error(), r.http);
    Response res;
    res.status = 204;
    return res;
  };
  auto rotate = [webhooks, scope_of](AdminRequest& r, const std::string& org) -> Response {
    int64_t overlap = 24 * 3600;
    if (!r.http.body.empty()) {
      auto body = http::json_object_body(r.http);
      if (!body) return problem(body.error(), r.http);
      if (auto ok = http::only_fields(*body, {"overlap_seconds"}); !ok) {
        return problem(ok.error(), r.http);
      }
      if (body->contains("overlap_seconds")) {
        const auto& v = (*body)["overlap_seconds"];
        if (!v.is_number_integer()) return problem(Error(errc::WebhookInvalidRotation), r.http);
        overlap = v.get<int64_t>();
      }
    }
    auto rotated = webhooks->rotate_secret(scope_of(r, org), r.http.param("id"), overlap, r.actor);
    if (!rotated) return problem(rotated.error(), r.http);
    auto j = endpoint_json(rotated->endpoint);
    j["secret"] = rotated->secret;
    return http::json_response(200, j, rotated->endpoint.version);
  };
  auto deliveries = [webhooks, scope_of](AdminRequest& r, const std::string& org) -> Response {
    auto limit = http::limit_param(r.http, 50, 1000);
    if (!limit) return problem(limit.error(), r.http);
    const std::string before = r.http.query_param("before").value_or("");
    auto rows = webhooks->deliveries(scope_of(r, org), r.http.param("id"), before, *limit);
    if (!rows) return problem(rows.error(), r.http);
    nlohmann::json data = nlohmann::json::array();
    for (const auto& d : *rows) data.push_back(delivery_json(d));
    nlohmann::json out = {{"data", data}};
    out["next_before"] = static_cast<int>(rows->size()) == *limit && !rows->empty()
                             ? nlohmann::json(rows->back().id)
                             : nlohmann::json(nullptr);
    return http::json_response(200, out);
  };
  auto redeliver = [webhooks, scope_of](AdminRequest& r, const std::string& org) -> Response {
    auto d = webhooks->redeliver(scope_of(r, org), r.http.param("id"), r.http.param("delivery"),
                                 r.actor);
    if (!d) return problem(d.error(), r.http);
    return http::json_response(202, delivery_json(*d));
  };

  struct Prefix {
    std::string path;
    Scope scope;
    bool org;
  };
  for (const auto& p : {Prefix{base + "/webhooks", Scope::environment, false},
                        Prefix{org_base + "/webhooks", Scope::organization, true}}) {
    const bool by_org = p.org;
    auto org_of = [by_org](AdminRequest& r) {
      return by_org ? r.http.param("org") : std::string();
    };
    const std::string one = p.path + "/{id}";
    admin.add(router, "POST", p.path, Access::write, p.scope,
              [create, org_of](AdminRequest& r) { return create(r, org_of(r)); });
    admin.add(router, "GET", p.path, Access::read, p.scope,
              [list, org_of](AdminRequest& r) { return list(r, org_of(r)); });
    admin.add(router, "GET", one, Access::read, p.scope,
              [get, org_of](AdminRequest& r) { return get(r, org_of(r)); });
    admin.add(router, "PATCH", one, Access::write, p.scope,
              [update, org_of](AdminRequest& r) { return update(r, org_of(r)); });
    admin.add(router, "DELETE", one, Access::write, p.scope,
              [remove, org_of](AdminRequest& r) { return remove(r, org_of(r)); });
    admin.add(router, "POST", one + "/rotate-secret", Access::write, p.scope,
              [rotate, org_of](AdminRequest& r) { return rotate(r, org_of(r)); });
    admin.add(router, "GET", one + "/deliveries", Access::read, p.scope,
              [deliveries, org_of](AdminRequest& r) { return deliveries(r, org_of(r)); });
    admin.add(router, "POST", one + "/deliveries/{delivery}/redeliver", Access::write, p.scope,
              [redeliver, org_of](AdminRequest& r) { return redeliver(r, org_of(r)); });
  }

  // OIDC Back-Channel Logout deliveries (issue 7): each receiver's status, newest first;
  // ?application={application id} for one receiver.
  auto logout_deliveries = [webhooks, scope_of](AdminRequest& r,
                                                const std::string& org) -> Response {
    auto limit = http::limit_param(r.http, 50, 1000);
    if (!limit) return problem(limit.error(), r.http);
    const std::string before = r.http.query_param("before").value_or("");
    const std::string app = r.http.query_param("application").value_or("");
    auto rows = webhooks->logout_deliveries(scope_of(r, org), app, before, *limit);
    if (!rows) return problem(rows.error(), r.http);
    nlohmann::json data = nlohmann::json::array();
    for (const auto& d : *rows) {
      auto j = delivery_json(d);
      j["application_id"] = d.endpoint_id;
      if (auto n = parse_notice(d.body)) {
        j["client_id"] = n->client_id;
        j["sid"] = n->sid;
        j["sub"] = n->sub;
        j["jti"] = n->jti;
      }
      data.push_back(j);
    }
    nlohmann::json out = {{"data", data}};
    out["next_before"] = static_cast<int>(rows->size()) == *limit && !rows->empty()
                             ? nlohmann::json(rows->back().id)
                             : nlohmann::json(nullptr);
    return http::json_response(200, out);
  };
  admin.add(router, "GET", base + "/backchannel-logout/deliveries", Access::read,
            Scope::environment,
            [logout_deliveries](AdminRequest& r) { return logout_deliveries(r, std::string()); });
  admin.add(
      router, "GET", org_base + "/backchannel-logout/deliveries", Access::read, Scope::organization,
      [logout_deliveries](AdminRequest& r) { return logout_deliveries(r, r.http.param("org")); });
}

}  // namespace gh::events
