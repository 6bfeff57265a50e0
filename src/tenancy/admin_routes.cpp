#include "tenancy/admin_routes.h"

#include <charconv>

#include "http/api.h"
#include "tenancy/error_codes.h"

namespace gh::tenancy {

using http::Response;

namespace {

Response problem(const Error& e, const http::Request& req) { return Response::problem(e, req); }

Result<OrganizationInput> organization_input(const nlohmann::json& body) {
  if (auto ok = http::only_fields(body, {"name", "slug", "metadata", "status"}); !ok) {
    return fail(ok.error());
  }
  OrganizationInput in;
  auto name = http::optional_string(body, "name", 200);
  if (!name) return fail(name.error());
  in.name = *name;
  auto slug = http::optional_string(body, "slug", 64);
  if (!slug) return fail(slug.error());
  in.slug = *slug;
  auto metadata = http::optional_object(body, "metadata");
  if (!metadata) return fail(metadata.error());
  in.metadata = *metadata;
  auto status = http::optional_string(body, "status", 20);
  if (!status) return fail(status.error());
  in.status = *status;
  if (in.name && in.name->empty()) {
    return fail(http::invalid_field("name", "'name' must not be empty"));
  }
  return in;
}

// RFC 3339 "2026-12-31T00:00:00Z" → epoch ms (seconds precision, UTC only).
std::optional<int64_t> parse_rfc3339(const std::string& s) {
  std::tm tm{};
  if (s.size() < 20 || s.back() != 'Z') return std::nullopt;
  if (!strptime(s.c_str(), "%Y-%m-%dT%H:%M:%S", &tm)) return std::nullopt;
  return static_cast<int64_t>(timegm(&tm)) * 1000;
}

}  // namespace

AdminApi::AdminApi(TenancyService& service, EnvironmentCache& environments, store::Store& store,
                   RateLimiter& limiter)
    : service_(service), environments_(environments), store_(store), limiter_(limiter) {}

void AdminApi::add(http::Router& router, const std::string& method, const std::string& pattern,
                   Access access, Scope scope, AdminHandler handler, int64_t max_body_bytes) {
  router.add(
      method, pattern,
      [this, access, scope, handler = std::move(handler)](http::Request& req) -> Response {
        auto principal = service_.authenticate(req.header("Authorization"));
        if (!principal) {
          auto r = problem(principal.error(), req);
          r.set_header("WWW-Authenticate", "Bearer realm=\"gatehouse\"");
          return r;
        }
        auto env = environments_.get(req.param("env"));
        if (!env) return problem(env.error(), req);
        if (principal->environment_id != env->id) {
          return problem(Error(errc::AuthForbidden, "This API key belongs to another environment"),
                         req);
        }
        const std::string& org = req.param("org");
        if (!principal->organization_id.empty()) {
          if (scope == Scope::environment) {
            return problem(Error(errc::AuthForbidden,
                                 "Organization keys can only reach their own organization"),
                           req);
          }
          // Another organization's id looks exactly like an unknown one.
          if (org != principal->organization_id) {
            return problem(
                Error(errc::TenantNotFound, "No organization '" + org + "' in this environment"),
                req);
          }
        }
        if (access == Access::write && principal->role == "read_only") {
          return problem(Error(errc::AuthForbidden, "This API key is read-only"), req);
        }
        // Limits: the key's bucket, and the organization's (whoever calls on its behalf).
        auto limited = limiter_.take("key:" + principal->key_id);
        if (limited.allowed && !org.empty()) limited = limiter_.take("org:" + org);
        if (!limited.allowed) {
          auto r = problem(Error(errc::TenantRateLimited), req);
          r.set_header("Retry-After", std::to_string(limited.retry_after_s));
          return r;
        }
        AdminRequest ar{req, *env, *principal, principal->actor(req.request_id, req.client_ip)};
        return handler(ar);
      },
      {.max_body_bytes = max_body_bytes, .route_class = "admin"});
}

void AdminApi::add_routes(http::Router& router) {
  const std::string base = "/api/v1/environments/{env}";
  const std::string orgs = base + "/organizations";
  const std::string one = orgs + "/{org}";

  // ---- organizations
  add(router, "POST", orgs, Access::write, Scope::environment, [this](AdminRequest& r) {
    auto body = http::json_object_body(r.http);
    if (!body) return problem(body.error(), r.http);
    auto in = organization_input(*body);
    if (!in) return problem(in.error(), r.http);
    if (!in->name) return problem(http::invalid_field("name", "'name' is required"), r.http);
    if (!in->slug) return problem(http::invalid_field("slug", "'slug' is required"), r.http);
    auto created = service_.create_organization(r.env, *in, r.actor);
    if (!created) return problem(created.error(), r.http);
    auto res = http::json_response(201, organization_json(*created), created->version);
    res.set_header("Location",
                   "/api/v1/environments/" + r.env.name + "/organizations/" + created->id);
    return res;
  });

  add(router, "GET", orgs, Access::read, Scope::environment, [this](AdminRequest& r) {
    auto limit = http::limit_param(r.http);
    if (!limit) return problem(limit.error(), r.http);
    store::Page page{r.http.query_param("after").value_or(""), *limit};
    const bool deleted = r.http.query_param("include_deleted").value_or("") == "true";
    auto list = store_.read<store::PageOf<store::Organization>>([&](store::Repositories& repos) {
      return repos.organizations().list(r.env.id, page, deleted);
    });
    if (!list) return problem(list.error(), r.http);
    nlohmann::json items = nlohmann::json::array();
    for (const auto& o : list->items) items.push_back(organization_json(o));
    nlohmann::json out = {{"data", items}};
    out["next_cursor"] = list->next.empty() ? nlohmann::json(nullptr) : nlohmann::json(list->next);
    return http::json_response(200, out);
  });

  add(router, "GET", one, Access::read, Scope::organization, [this](AdminRequest& r) {
    auto org = store_.read<store::Organization>([&](store::Repositories& repos) {
      return repos.organizations().get(r.env.id, r.http.param("org"));
    });
    if (!org) return problem(org.error(), r.http);
    return http::json_response(200, organization_json(*org), org->version);
  });

  add(router, "PATCH", one, Access::write, Scope::organization, [this](AdminRequest& r) {
    auto version = http::if_match_version(r.http);
    if (!version) return problem(version.error(), r.http);
    auto body = http::json_object_body(r.http);
    if (!body) return problem(body.error(), r.http);
    auto in = organization_input(*body);
    if (!in) return problem(in.error(), r.http);
    auto updated = service_.update_organization(r.env, r.http.param("org"), *in, *version, r.actor);
    if (!updated) return problem(updated.error(), r.http);
    return http::json_response(200, organization_json(*updated), updated->version);
  });

  add(router, "DELETE", one, Access::write, Scope::environment, [this](AdminRequest& r) {
    auto deleted = service_.delete_organization(r.env, r.http.param("org"), r.actor);
    if (!deleted) return problem(deleted.error(), r.http);
    return http::json_response(200, organization_json(*deleted));
  });

  add(router, "POST", one + "/restore", Access::write, Scope::environment, [this](AdminRequest& r) {
    auto restored = service_.restore_organization(r.env, r.http.param("org"), r.actor);
    if (!restored) return problem(restored.error(), r.http);
    return http::json_response(200, organization_json(*restored), restored->version);
  });

  // ---- API keys (environment-wide, and per organization)
  auto create_key = [this](AdminRequest& r, const std::string& org) {
    auto body = http::json_object_body(r.http);
    if (!body) return problem(body.error(), r.http);
    if (auto ok = http::only_fields(*body, {"name", "role", "expires_at"}); !ok) {
      return problem(ok.error(), r.http);
    }
    auto name = http::required_string(*body, "name", 200);
    if (!name) return problem(name.error(), r.http);
    auto role = http::optional_string(*body, "role", 20);
    if (!role) return problem(role.error(), r.http);
    auto expires = http::optional_string(*body, "expires_at", 40);
    if (!expires) return problem(expires.error(), r.http);
    NewApiKey in{*name, role->value_or(org.empty() ? "admin" : "organization"), org, 0};
    if (*expires) {
      auto ms = parse_rfc3339(**expires);
      if (!ms) {
        return problem(http::invalid_field("expires_at",
                                           "'expires_at' must be RFC 3339 UTC, "
                                           "e.g. 2027-01-31T00:00:00Z"),
                       r.http);
      }
      in.expires_at_ms = *ms;
    }
    // An organization key may create keys for its own organization only (the guard has
    // checked the path); an environment key can do both.
    auto issued = service_.create_api_key(r.env, in, r.actor);
    if (!issued) return problem(issued.error(), r.http);
    auto j = api_key_json(issued->key);
    j["secret"] = issued->token;  // shown once
    return http::json_response(201, j);
  };
  auto list_keys = [this](AdminRequest& r, const std::string& org) {
    auto keys = store_.read<std::vector<store::ApiKey>>(
        [&](store::Repositories& repos) -> Result<std::vector<store::ApiKey>> {
          if (!org.empty()) {
            auto o = repos.organizations().get(r.env.id, org);
            if (!o) return fail(o.error());
          }
          return repos.api_keys().list(r.env.id, org);
        });
    if (!keys) return problem(keys.error(), r.http);
    nlohmann::json items = nlohmann::json::array();
    for (const auto& k : *keys) {
      if (org.empty() && !k.organization_id.empty()) continue;
      items.push_back(api_key_json(k));
    }
    return http::json_response(200, {{"data", items}});
  };
  auto revoke_key = [this](AdminRequest& r, const std::string& org) {
    // An environment-wide listing must not revoke organization keys by accident, and an
    // organization's route only reaches its own keys.
    auto key = store_.read<store::ApiKey>([&](store::Repositories& repos) {
      return repos.api_keys().get(r.env.id, org, r.http.param("key"));
    });
    if (!key) return problem(key.error(), r.http);
    if (org.empty() && !key->organization_id.empty()) {
      return problem(Error(errc::ApiKeyNotFound), r.http);
    }
    auto revoked = service_.revoke_api_key(r.env, org, r.http.param("key"), r.actor);
    if (!revoked) return problem(revoked.error(), r.http);
    return http::json_response(200, api_key_json(*revoked));
  };
  add(router, "POST", base + "/api-keys", Access::write, Scope::environment,
      [create_key](AdminRequest& r) { return create_key(r, ""); });
  add(router, "GET", base + "/api-keys", Access::read, Scope::environment,
      [list_keys](AdminRequest& r) { return list_keys(r, ""); });
  add(router, "DELETE", base + "/api-keys/{key}", Access::write, Scope::environment,
      [revoke_key](AdminRequest& r) { return revoke_key(r, ""); });
  add(router, "POST", one + "/api-keys", Access::write, Scope::organization,
      [create_key](AdminRequest& r) { return create_key(r, r.http.param("org")); });
  add(router, "GET", one + "/api-keys", Access::read, Scope::organization,
      [list_keys](AdminRequest& r) { return list_keys(r, r.http.param("org")); });
  add(router, "DELETE", one + "/api-keys/{key}", Access::write, Scope::organization,
      [revoke_key](AdminRequest& r) { return revoke_key(r, r.http.param("org")); });

  // ---- security policies
  auto get_policy = [this](AdminRequest& r, const std::string& org) {
    auto doc = store_.read<std::optional<store::PolicyDocument>>(
        [&](store::Repositories& repos) -> Result<std::optional<store::PolicyDocument>> {
          if (!org.empty()) {
            auto o = repos.organizations().get(r.env.id, org);
            if (!o) return fail(o.error());
          }
          return repos.policies().get(r.env.id, org);
        });
    if (!doc) return problem(doc.error(), r.http);
    auto effective = service_.policy_for(r.env, org);
    if (!effective) return problem(effective.error(), r.http);
    const int64_t version = *doc ? (*doc)->version : 0;
    auto res =
        http::json_response(200, {{"policy", *doc ? (*doc)->document : nlohmann::json::object()},
                                  {"version", version},
                                  {"effective", effective->to_json()}});
    res.set_header("ETag", http::etag(version));
    return res;
  };
  auto put_policy = [this](AdminRequest& r, const std::string& org) {
    auto version = http::if_match_version(r.http);
    if (!version) return problem(version.error(), r.http);
    auto body = http::json_object_body(r.http);
    if (!body) return problem(body.error(), r.http);
    auto saved = service_.put_policy(r.env, org, *body, *version, r.actor);
    if (!saved) return problem(saved.error(), r.http);
    auto effective = service_.policy_for(r.env, org);
    if (!effective) return problem(effective.error(), r.http);
    auto res = http::json_response(200, {{"policy", saved->document},
                                         {"version", saved->version},
                                         {"effective", effective->to_json()}});
    res.set_header("ETag", http::etag(saved->version));
    return res;
  };
  add(router, "GET", base + "/policy", Access::read, Scope::environment,
      [get_policy](AdminRequest& r) { return get_policy(r, ""); });
  add(router, "PUT", base + "/policy", Access::write, Scope::environment,
      [put_policy](AdminRequest& r) { return put_policy(r, ""); });
  add(router, "GET", one + "/policy", Access::read, Scope::organization,
      [get_policy](AdminRequest& r) { return get_policy(r, r.http.param("org")); });
  add(router, "PUT", one + "/policy", Access::write, Scope::organization,
      [put_policy](AdminRequest& r) { return put_policy(r, r.http.param("org")); });

  // ---- audit trail
  auto list_audit = [this](AdminRequest& r, const std::string& org) {
    auto limit = http::limit_param(r.http, 100, 1000);
    if (!limit) return problem(limit.error(), r.http);
    int64_t after = 0;
    if (auto a = r.http.query_param("after")) {
      auto [p, ec] = std::from_chars(a->data(), a->data() + a->size(), after);
      if (ec != std::errc() || p != a->data() + a->size() || after < 0) {
        return problem(Error(errc::RequestInvalidParameter,
                             "after must be the seq of the last record you read"),
                       r.http);
      }
    }
    auto records = store_.read<std::vector<store::AuditRecord>>(
        [&](store::Repositories& repos) -> Result<std::vector<store::AuditRecord>> {
          if (!org.empty()) {
            auto o = repos.organizations().get(r.env.id, org, true);
            if (!o) return fail(o.error());
          }
          return repos.audit().list(r.env.id, org, after, *limit);
        });
    if (!records) return problem(records.error(), r.http);
    nlohmann::json items = nlohmann::json::array();
    for (const auto& a : *records) {
      items.push_back({{"seq", a.seq},
                       {"occurred_at", format_rfc3339(a.occurred_at_ms)},
                       {"organization_id", a.organization_id},
                       {"actor", {{"type", a.actor_type}, {"id", a.actor_id}}},
                       {"action", a.action},
                       {"target", {{"type", a.target_type}, {"id", a.target_id}}},
                       {"request_id", a.request_id},
                       {"source_ip", a.source_ip},
                       {"outcome", a.outcome},
                       {"summary", a.summary}});
    }
    return http::json_response(200, {{"data", items}});
  };
  add(router, "GET", base + "/audit", Access::read, Scope::environment,
      [list_audit](AdminRequest& r) { return list_audit(r, ""); });
  add(router, "GET", one + "/audit", Access::read, Scope::organization,
      [list_audit](AdminRequest& r) { return list_audit(r, r.http.param("org")); });
}

}  // namespace gh::tenancy
