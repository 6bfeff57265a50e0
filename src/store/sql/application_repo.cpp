#include "store/sql/application_repo.h"

#include <algorithm>
#include <nlohmann/json.hpp>

#include "core/ids.h"
#include "oauth/error_codes.h"

namespace gh::store {

namespace {

constexpr const char* kAppInsertColumns =
    "organization_id, environment_id, id, client_id, name, type, redirect_uris, "
    "post_logout_redirect_uris, grant_types, token_endpoint_auth_method, pkce_required, "
    "id_token_signed_response_alg, access_token_ttl_s, id_token_ttl_s, refresh_token_ttl_s, "
    "refresh_idle_ttl_s, backchannel_logout_uri, status, version, created_at, updated_at";
// What every read selects: the columns above and issue 7's (written by write_client_keys).
constexpr const char* kAppColumns =
    "organization_id, environment_id, id, client_id, name, type, redirect_uris, "
    "post_logout_redirect_uris, grant_types, token_endpoint_auth_method, pkce_required, "
    "id_token_signed_response_alg, access_token_ttl_s, id_token_ttl_s, refresh_token_ttl_s, "
    "refresh_idle_ttl_s, backchannel_logout_uri, status, version, created_at, updated_at, "
    "jwks, dpop_bound_access_tokens, dpop_nonce_required, require_par, jwks_uri, "
    "backchannel_logout_session_required";

std::string strings_text(const std::vector<std::string>& v) { return nlohmann::json(v).dump(); }

std::vector<std::string> parse_strings(const std::string& text) {
  std::vector<std::string> out;
  auto a = nlohmann::json::parse(text, nullptr, false);
  if (!a.is_array()) return out;
  for (const auto& s : a) {
    if (s.is_string()) out.push_back(s.get<std::string>());
  }
  return out;
}

std::string permissions_text(const std::vector<Permission>& v) {
  nlohmann::json a = nlohmann::json::array();
  for (const auto& p : v) a.push_back({{"name", p.name}, {"description", p.description}});
  return a.dump();
}

std::vector<Permission> parse_permissions(const std::string& text) {
  std::vector<Permission> out;
  auto a = nlohmann::json::parse(text, nullptr, false);
  if (!a.is_array()) return out;
  for (const auto& p : a) {
    if (p.is_object()) out.push_back({p.value("name", ""), p.value("description", "")});
  }
  return out;
}

struct AppRow {
  std::string organization_id, environment_id, id, client_id, name, type, redirect_uris,
      post_logout, grant_types, auth_method, alg, backchannel, status, jwks, jwks_uri;
  long long dpop = 0, dpop_nonce = 0, require_par = 0, bcl_sid = 0;
  long long pkce = 1, access_ttl = 0, id_ttl = 0, refresh_ttl = 0, idle_ttl = 0, version = 0,
            created = 0, updated = 0;

  Application to_app() const {
    Application a;
    a.id = id;
    a.environment_id = environment_id;
    a.organization_id = organization_id;
    a.client_id = client_id;
    a.name = name;
    a.type = type;
    a.redirect_uris = parse_strings(redirect_uris);
    a.post_logout_redirect_uris = parse_strings(post_logout);
    a.grant_types = parse_strings(grant_types);
    a.token_endpoint_auth_method = auth_method;
    a.pkce_required = pkce != 0;
    a.id_token_signed_response_alg = alg;
    a.access_token_ttl_s = access_ttl;
    a.id_token_ttl_s = id_ttl;
    a.refresh_token_ttl_s = refresh_ttl;
    a.refresh_idle_ttl_s = idle_ttl;
    a.backchannel_logout_uri = backchannel;
    a.status = status;
    a.version = version;
    a.created_at_ms = created;
    a.updated_at_ms = updated;
    a.jwks = jwks;
    a.dpop_bound_access_tokens = dpop != 0;
    a.dpop_nonce_required = dpop_nonce != 0;
    a.require_pushed_authorization_requests = require_par != 0;
    a.jwks_uri = jwks_uri;
    a.backchannel_logout_session_required = bcl_sid != 0;
    return a;
  }
};

// Every column of kAppColumns, in order.
#define GH_APP_INTO(r)                                                                            \
  soci::into(r.organization_id), soci::into(r.environment_id), soci::into(r.id),                  \
      soci::into(r.client_id), soci::into(r.name), soci::into(r.type),                            \
      soci::into(r.redirect_uris), soci::into(r.post_logout), soci::into(r.grant_types),          \
      soci::into(r.auth_method), soci::into(r.pkce), soci::into(r.alg), soci::into(r.access_ttl), \
      soci::into(r.id_ttl), soci::into(r.refresh_ttl), soci::into(r.idle_ttl),                    \
      soci::into(r.backchannel), soci::into(r.status), soci::into(r.version),                     \
      soci::into(r.created), soci::into(r.updated), soci::into(r.jwks), soci::into(r.dpop),       \
      soci::into(r.dpop_nonce), soci::into(r.require_par), soci::into(r.jwks_uri),                \
      soci::into(r.bcl_sid)

struct ResourceRow {
  std::string environment_id, id, identifier, name, permissions;
  long long version = 0, created = 0, updated = 0;
  Resource to_resource() const {
    return {id,      environment_id, identifier, name, parse_permissions(permissions),
            version, created,        updated};
  }
};

constexpr const char* kResourceColumns =
    "environment_id, id, identifier, name, permissions, version, created_at, updated_at";

#define GH_RESOURCE_INTO(r)                                                                     \
  soci::into(r.environment_id), soci::into(r.id), soci::into(r.identifier), soci::into(r.name), \
      soci::into(r.permissions), soci::into(r.version), soci::into(r.created),                  \
      soci::into(r.updated)

Error app_not_found(std::string_view what) {
  return Error(errc::ApplicationNotFound,
               "No application '" + std::string(what) + "' in this environment or organization");
}

// Issue 7's columns (v14), written apart from the statements above so that they stay as they
// were.
void write_client_keys(SqlContext& ctx, const Application& a) {
  long long dpop = a.dpop_bound_access_tokens ? 1 : 0, nonce = a.dpop_nonce_required ? 1 : 0,
            par = a.require_pushed_authorization_requests ? 1 : 0,
            bcl_sid = a.backchannel_logout_session_required ? 1 : 0;
  ctx.sql << "UPDATE applications SET jwks = :jwks, dpop_bound_access_tokens = :dpop, "
             "dpop_nonce_required = :nonce, require_par = :par, jwks_uri = :jwks_uri, "
             "backchannel_logout_session_required = :bcl_sid WHERE organization_id = :org AND "
             "environment_id = :env AND id = :id",
      soci::use(a.jwks), soci::use(dpop), soci::use(nonce), soci::use(par), soci::use(a.jwks_uri),
      soci::use(bcl_sid), soci::use(a.organization_id), soci::use(a.environment_id),
      soci::use(a.id);
}

Error resource_not_found(std::string_view what) {
  return Error(errc::ResourceNotFound,
               "No resource '" + std::string(what) + "' in this environment");
}

}  // namespace

Result<Application> SqlApplicationRepository::create(const Application& in) {
  Application a = in;
  if (a.id.empty()) a.id = new_uuid_v7(ctx_.clock);
  a.version = 1;
  a.created_at_ms = a.updated_at_ms = ctx_.clock.now_ms();
  AppRow r;
  r.redirect_uris = strings_text(a.redirect_uris);
  r.post_logout = strings_text(a.post_logout_redirect_uris);
  r.grant_types = strings_text(a.grant_types);
  r.pkce = a.pkce_required ? 1 : 0;
  r.access_ttl = a.access_token_ttl_s;
  r.id_ttl = a.id_token_ttl_s;
  r.refresh_ttl = a.refresh_token_ttl_s;
  r.idle_ttl = a.refresh_idle_ttl_s;
  r.version = a.version;
  r.created = r.updated = a.created_at_ms;
  // ON CONFLICT keeps PostgreSQL's transaction usable when the client_id is taken.
  soci::statement st =
      (ctx_.sql.prepare << "INSERT INTO applications (" << kAppInsertColumns
                        << ") VALUES (:org, :env, :id, :cid, :name, :type, :ru, :plru, :gt, :am, "
                           ":pkce, :alg, :at, :it, :rt, :idle, :bcl, :status, :v, :c, :u) "
                           "ON CONFLICT DO NOTHING",
       soci::use(a.organization_id), soci::use(a.environment_id), soci::use(a.id),
       soci::use(a.client_id), soci::use(a.name), soci::use(a.type), soci::use(r.redirect_uris),
       soci::use(r.post_logout), soci::use(r.grant_types), soci::use(a.token_endpoint_auth_method),
       soci::use(r.pkce), soci::use(a.id_token_signed_response_alg), soci::use(r.access_ttl),
       soci::use(r.id_ttl), soci::use(r.refresh_ttl), soci::use(r.idle_ttl),
       soci::use(a.backchannel_logout_uri), soci::use(a.status), soci::use(r.version),
       soci::use(r.created), soci::use(r.updated));
  st.execute(true);
  if (st.get_affected_rows() == 0) {
    return fail(
        errc::ApplicationAlreadyExists,
        "Another application in this environment already has the client_id '" + a.client_id + "'");
  }
  write_client_keys(ctx_, a);
  return a;
}

Result<Application> SqlApplicationRepository::select_one(const std::string& where,
                                                         const std::string& a, const std::string& b,
                                                         const std::string& c) {
  AppRow r;
  soci::statement st =
      (ctx_.sql.prepare << "SELECT " << kAppColumns << " FROM applications WHERE " << where,
       soci::use(a), soci::use(b), soci::use(c), GH_APP_INTO(r));
  st.execute(true);
  if (!st.got_data()) return fail(app_not_found(c));
  return r.to_app();
}

Result<Application> SqlApplicationRepository::get(std::string_view environment_id,
                                                  std::string_view organization_id,
                                                  std::string_view id) {
  return select_one("organization_id = :org AND environment_id = :env AND id = :id",
                    std::string(organization_id), std::string(environment_id), std::string(id));
}

Result<Application> SqlApplicationRepository::find_by_client_id(std::string_view environment_id,
                                                                std::string_view client_id) {
  AppRow r;
  std::string env(environment_id), cid(client_id);
  soci::statement st = (ctx_.sql.prepare << "SELECT " << kAppColumns
                                         << " FROM applications WHERE environment_id = :env AND "
                                            "client_id = :cid",
                        soci::use(env), soci::use(cid), GH_APP_INTO(r));
  st.execute(true);
  if (!st.got_data()) return fail(app_not_found(client_id));
  return r.to_app();
}

Result<PageOf<Application>> SqlApplicationRepository::list(std::string_view environment_id,
                                                           std::string_view organization_id,
                                                           const Page& page) {
  PageOf<Application> out;
  AppRow r;
  std::string env(environment_id), org(organization_id), after(page.after);
  const int limit = std::clamp(page.limit, 1, 100);
  const int fetch = limit + 1;
  soci::statement st =
      (ctx_.sql.prepare << "SELECT " << kAppColumns
                        << " FROM applications WHERE organization_id = :org AND "
                           "environment_id = :env AND id > :after ORDER BY id "
                           "LIMIT :lim",
       soci::use(org), soci::use(env), soci::use(after), soci::use(fetch), GH_APP_INTO(r));
  st.execute();
  while (st.fetch()) out.items.push_back(r.to_app());
  if (static_cast<int>(out.items.size()) > limit) {
    out.items.pop_back();
    out.next = out.items.back().id;
  }
  return out;
}

Result<Application> SqlApplicationRepository::update(const Application& app) {
  auto current = get(app.environment_id, app.organization_id, app.id);
  if (!current) return current;
  Application a = app;
  a.client_id = current->client_id;  // immutable
  a.created_at_ms = current->created_at_ms;
  a.updated_at_ms = ctx_.clock.now_ms();
  a.version = app.version + 1;
  std::string ru = strings_text(a.redirect_uris), plru = strings_text(a.post_logout_redirect_uris),
              gt = strings_text(a.grant_types);
  long long pkce = a.pkce_required ? 1 : 0, at = a.access_token_ttl_s, it = a.id_token_ttl_s,
            rt = a.refresh_token_ttl_s, idle = a.refresh_idle_ttl_s, v = a.version,
            expected = app.version, u = a.updated_at_ms;
  soci::statement st =
      (ctx_.sql.prepare
           << "UPDATE applications SET name = :name, type = :type, redirect_uris = :ru, "
              "post_logout_redirect_uris = :plru, grant_types = :gt, "
              "token_endpoint_auth_method = :am, pkce_required = :pkce, "
              "id_token_signed_response_alg = :alg, access_token_ttl_s = :at, id_token_ttl_s = "
              ":it, refresh_token_ttl_s = :rt, refresh_idle_ttl_s = :idle, "
              "backchannel_logout_uri = :bcl, status = :status, version = :v, updated_at = :u "
              "WHERE organization_id = :org AND environment_id = :env AND id = :id AND version = "
              ":expected",
       soci::use(a.name), soci::use(a.type), soci::use(ru), soci::use(plru), soci::use(gt),
       soci::use(a.token_endpoint_auth_method), soci::use(pkce),
       soci::use(a.id_token_signed_response_alg), soci::use(at), soci::use(it), soci::use(rt),
       soci::use(idle), soci::use(a.backchannel_logout_uri), soci::use(a.status), soci::use(v),
       soci::use(u), soci::use(a.organization_id), soci::use(a.environment_id), soci::use(a.id),
       soci::use(expected));
  st.execute(true);
  if (st.get_affected_rows() == 0) {
    return fail(errc::RequestPreconditionFailed,
                "The application changed since you read it (now at version " +
                    std::to_string(current->version) + "); read it again and retry");
  }
  write_client_keys(ctx_, a);
  return a;
}

Result<Application> SqlApplicationRepository::remove(std::string_view environment_id,
                                                     std::string_view organization_id,
                                                     std::string_view id) {
  auto current = get(environment_id, organization_id, id);
  if (!current) return current;
  for (const char* table : {"client_secrets", "resource_grants"}) {
    ctx_.sql << "DELETE FROM " << table
             << " WHERE organization_id = :org AND environment_id = :env AND application_id = :id",
        soci::use(current->organization_id), soci::use(current->environment_id),
        soci::use(current->id);
  }
  ctx_.sql << "DELETE FROM applications WHERE organization_id = :org AND environment_id = :env "
              "AND id = :id",
      soci::use(current->organization_id), soci::use(current->environment_id),
      soci::use(current->id);
  return current;
}

Result<ClientSecret> SqlApplicationRepository::add_secret(const ClientSecret& in) {
  auto app = get(in.environment_id, in.organization_id, in.application_id);
  if (!app) return fail(app.error());
  ClientSecret s = in;
  if (s.id.empty()) s.id = new_uuid_v7(ctx_.clock);
  if (s.created_at_ms == 0) s.created_at_ms = ctx_.clock.now_ms();
  s.revoked_at_ms = 0;
  long long created = s.created_at_ms, expires = s.expires_at_ms, revoked = 0;
  ctx_.sql << "INSERT INTO client_secrets (organization_id, environment_id, application_id, id, "
              "lookup, hash, created_at, expires_at, revoked_at) VALUES (:org, :env, :app, :id, "
              ":lookup, :hash, :c, :e, :r)",
      soci::use(s.organization_id), soci::use(s.environment_id), soci::use(s.application_id),
      soci::use(s.id), soci::use(s.lookup), soci::use(s.hash), soci::use(created),
      soci::use(expires), soci::use(revoked);
  return s;
}

Result<std::vector<ClientSecret>> SqlApplicationRepository::list_secrets(
    std::string_view environment_id, std::string_view organization_id,
    std::string_view application_id) {
  std::vector<ClientSecret> out;
  ClientSecret s;
  long long created = 0, expires = 0, revoked = 0;
  std::string env(environment_id), org(organization_id), app(application_id);
  soci::statement st =
      (ctx_.sql.prepare << "SELECT organization_id, environment_id, application_id, id, lookup, "
                           "hash, created_at, expires_at, revoked_at FROM client_secrets WHERE "
                           "organization_id = :org AND environment_id = :env AND application_id "
                           "= :app ORDER BY id",
       soci::use(org), soci::use(env), soci::use(app), soci::into(s.organization_id),
       soci::into(s.environment_id), soci::into(s.application_id), soci::into(s.id),
       soci::into(s.lookup), soci::into(s.hash), soci::into(created), soci::into(expires),
       soci::into(revoked));
  st.execute();
  while (st.fetch()) {
    s.created_at_ms = created;
    s.expires_at_ms = expires;
    s.revoked_at_ms = revoked;
    out.push_back(s);
  }
  return out;
}

Result<ClientSecret> SqlApplicationRepository::revoke_secret(std::string_view environment_id,
                                                             std::string_view organization_id,
                                                             std::string_view application_id,
                                                             std::string_view secret_id,
                                                             int64_t now_ms) {
  auto secrets = list_secrets(environment_id, organization_id, application_id);
  if (!secrets) return fail(secrets.error());
  for (auto s : *secrets) {
    if (s.id != secret_id) continue;
    if (s.revoked_at_ms == 0) {
      long long now = now_ms;
      ctx_.sql << "UPDATE client_secrets SET revoked_at = :now WHERE organization_id = :org AND "
                  "environment_id = :env AND application_id = :app AND id = :id AND revoked_at "
                  "= 0",
          soci::use(now), soci::use(s.organization_id), soci::use(s.environment_id),
          soci::use(s.application_id), soci::use(s.id);
      s.revoked_at_ms = now_ms;
    }
    return s;
  }
  return fail(errc::ClientSecretNotFound,
              "No client secret '" + std::string(secret_id) + "' on this application");
}

Result<Resource> SqlApplicationRepository::create_resource(const Resource& in) {
  Resource res = in;
  if (res.id.empty()) res.id = new_uuid_v7(ctx_.clock);
  res.version = 1;
  res.created_at_ms = res.updated_at_ms = ctx_.clock.now_ms();
  std::string perms = permissions_text(res.permissions);
  long long v = res.version, c = res.created_at_ms;
  soci::statement st =
      (ctx_.sql.prepare << "INSERT INTO resources (" << kResourceColumns
                        << ") VALUES (:env, :id, :ident, :name, :perms, :v, :c, :u) "
                           "ON CONFLICT DO NOTHING",
       soci::use(res.environment_id), soci::use(res.id), soci::use(res.identifier),
       soci::use(res.name), soci::use(perms), soci::use(v), soci::use(c), soci::use(c));
  st.execute(true);
  if (st.get_affected_rows() == 0) {
    return fail(
        errc::ResourceAlreadyExists,
        "Another resource in this environment already has the identifier '" + res.identifier + "'");
  }
  return res;
}

Result<Resource> SqlApplicationRepository::select_resource(const std::string& column,
                                                           const std::string& env,
                                                           const std::string& value) {
  ResourceRow r;
  soci::statement st =
      (ctx_.sql.prepare << "SELECT " << kResourceColumns
                        << " FROM resources WHERE environment_id = :env AND " << column << " = :v",
       soci::use(env), soci::use(value), GH_RESOURCE_INTO(r));
  st.execute(true);
  if (!st.got_data()) return fail(resource_not_found(value));
  return r.to_resource();
}

Result<Resource> SqlApplicationRepository::get_resource(std::string_view environment_id,
                                                        std::string_view id) {
  return select_resource("id", std::string(environment_id), std::string(id));
}

Result<Resource> SqlApplicationRepository::find_resource(std::string_view environment_id,
                                                         std::string_view identifier) {
  return select_resource("identifier", std::string(environment_id), std::string(identifier));
}

Result<PageOf<Resource>> SqlApplicationRepository::list_resources(std::string_view environment_id,
                                                                  const Page& page) {
  PageOf<Resource> out;
  ResourceRow r;
  std::string env(environment_id), after(page.after);
  const int limit = std::clamp(page.limit, 1, 100);
  const int fetch = limit + 1;
  soci::statement st = (ctx_.sql.prepare << "SELECT " << kResourceColumns
                                         << " FROM resources WHERE environment_id = :env AND id "
                                            "> :after ORDER BY id LIMIT :lim",
                        soci::use(env), soci::use(after), soci::use(fetch), GH_RESOURCE_INTO(r));
  st.execute();
  while (st.fetch()) out.items.push_back(r.to_resource());
  if (static_cast<int>(out.items.size()) > limit) {
    out.items.pop_back();
    out.next = out.items.back().id;
  }
  return out;
}

Result<Resource> SqlApplicationRepository::update_resource(const Resource& in) {
  auto current = get_resource(in.environment_id, in.id);
  if (!current) return current;
  Resource res = in;
  res.identifier = current->identifier;  // the audience of issued tokens: immutable
  res.created_at_ms = current->created_at_ms;
  res.updated_at_ms = ctx_.clock.now_ms();
  res.version = in.version + 1;
  std::string perms = permissions_text(res.permissions);
  long long v = res.version, expected = in.version, u = res.updated_at_ms;
  soci::statement st =
      (ctx_.sql.prepare << "UPDATE resources SET name = :name, permissions = :perms, version = "
                           ":v, updated_at = :u WHERE environment_id = :env AND id = :id AND "
                           "version = :expected",
       soci::use(res.name), soci::use(perms), soci::use(v), soci::use(u),
       soci::use(res.environment_id), soci::use(res.id), soci::use(expected));
  st.execute(true);
  if (st.get_affected_rows() == 0) {
    return fail(errc::RequestPreconditionFailed,
                "The resource changed since you read it (now at version " +
                    std::to_string(current->version) + "); read it again and retry");
  }
  // Permissions removed from the resource leave every grant that named them.
  std::vector<std::tuple<std::string, std::string, std::string>> keys;
  std::vector<std::string> grant_perms;
  {
    std::string org, app, p;
    soci::statement gs =
        (ctx_.sql.prepare << "SELECT organization_id, application_id, permissions FROM "
                             "resource_grants WHERE environment_id = :env AND resource_id = :rid",
         soci::use(res.environment_id), soci::use(res.id), soci::into(org), soci::into(app),
         soci::into(p));
    gs.execute();
    while (gs.fetch()) {
      keys.emplace_back(org, app, p);
    }
  }
  for (auto& [org, app, p] : keys) {
    std::vector<std::string> kept;
    for (auto& name : parse_strings(p)) {
      if (std::any_of(res.permissions.begin(), res.permissions.end(),
                      [&](const Permission& x) { return x.name == name; })) {
        kept.push_back(name);
      }
    }
    std::string text = strings_text(kept);
    if (text == p) continue;
    ctx_.sql << "UPDATE resource_grants SET permissions = :p, updated_at = :u WHERE "
                "organization_id = :org AND environment_id = :env AND application_id = :app AND "
                "resource_id = :rid",
        soci::use(text), soci::use(u), soci::use(org), soci::use(res.environment_id),
        soci::use(app), soci::use(res.id);
  }
  return res;
}

Result<Resource> SqlApplicationRepository::remove_resource(std::string_view environment_id,
                                                           std::string_view id) {
  auto current = get_resource(environment_id, id);
  if (!current) return current;
  ctx_.sql << "DELETE FROM resource_grants WHERE environment_id = :env AND resource_id = :id",
      soci::use(current->environment_id), soci::use(current->id);
  ctx_.sql << "DELETE FROM resources WHERE environment_id = :env AND id = :id",
      soci::use(current->environment_id), soci::use(current->id);
  return current;
}

Result<ResourceGrant> SqlApplicationRepository::set_grant(const ResourceGrant& in) {
  auto app = get(in.environment_id, in.organization_id, in.application_id);
  if (!app) return fail(app.error());
  auto res = get_resource(in.environment_id, in.resource_id);
  if (!res) return fail(res.error());
  ResourceGrant g = in;
  std::sort(g.permissions.begin(), g.permissions.end());
  g.permissions.erase(std::unique(g.permissions.begin(), g.permissions.end()), g.permissions.end());
  for (const auto& name : g.permissions) {
    if (std::none_of(res->permissions.begin(), res->permissions.end(),
                     [&](const Permission& p) { return p.name == name; })) {
      return fail(errc::GrantInvalid,
                  "The resource '" + res->identifier + "' defines no permission '" + name + "'");
    }
  }
  g.updated_at_ms = ctx_.clock.now_ms();
  ctx_.sql << "DELETE FROM resource_grants WHERE organization_id = :org AND environment_id = :env "
              "AND application_id = :app AND resource_id = :rid",
      soci::use(g.organization_id), soci::use(g.environment_id), soci::use(g.application_id),
      soci::use(g.resource_id);
  if (!g.permissions.empty()) {
    std::string perms = strings_text(g.permissions);
    long long u = g.updated_at_ms;
    ctx_.sql << "INSERT INTO resource_grants (organization_id, environment_id, application_id, "
                "resource_id, permissions, updated_at) VALUES (:org, :env, :app, :rid, :p, :u)",
        soci::use(g.organization_id), soci::use(g.environment_id), soci::use(g.application_id),
        soci::use(g.resource_id), soci::use(perms), soci::use(u);
  }
  return g;
}

Result<std::vector<ResourceGrant>> SqlApplicationRepository::list_grants(
    std::string_view environment_id, std::string_view organization_id,
    std::string_view application_id) {
  std::vector<ResourceGrant> out;
  std::string env(environment_id), org(organization_id), app(application_id), rid, perms;
  long long u = 0;
  soci::statement st =
      (ctx_.sql.prepare << "SELECT resource_id, permissions, updated_at FROM resource_grants "
                           "WHERE organization_id = :org AND environment_id = :env AND "
                           "application_id = :app ORDER BY resource_id",
       soci::use(org), soci::use(env), soci::use(app), soci::into(rid), soci::into(perms),
       soci::into(u));
  st.execute();
  while (st.fetch()) {
    out.push_back({env, org, app, rid, parse_strings(perms), u});
  }
  return out;
}

}  // namespace gh::store
