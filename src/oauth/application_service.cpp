#include "oauth/application_service.h"

#include "oauth/application_cache.h"

#include <algorithm>
#include <set>

#include "crypto/jose/algorithm.h"
#include "federation/oidc/provider_metadata.h"
#include "oauth/client_assertion.h"
#include "oauth/client_authentication.h"
#include "oauth/error_codes.h"
#include "oauth/token_issuer.h"

namespace gh::oauth {

namespace {

// Every change is audited, and announced to the token endpoint's cache (application_cache.h)
// in the same transaction.
Result<bool> record_change(tenancy::TenancyService& tenancy, store::Repositories& repos,
                           const store::Environment& env, const std::string& organization_id,
                           const tenancy::Actor& actor, const std::string& action,
                           const std::string& target_type, const std::string& target_id,
                           const nlohmann::json& summary, const nlohmann::json& event_payload) {
  repos.changed(std::string(kApplicationsChangedTopic), env.id);
  return tenancy.record(repos, env, organization_id, actor, action, target_type, target_id, summary,
                        event_payload);
}

constexpr int64_t kMaxRefreshS = 365LL * 24 * 3600;

Error invalid(ErrorCode code, const std::string& field, const std::string& message) {
  Error e(code, message);
  e.extra["field"] = field;
  return e;
}
Error app_invalid(const std::string& field, const std::string& message) {
  return invalid(errc::ApplicationInvalid, field, message);
}
Error resource_invalid(const std::string& field, const std::string& message) {
  return invalid(errc::ResourceInvalid, field, message);
}

std::string lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return s;
}

// RFC 4648 base32, lowercase, no padding: client ids that survive any URL or form.
std::string base32(const std::string& bytes) {
  static const char* alphabet = "abcdefghijklmnopqrstuvwxyz234567";
  std::string out;
  int buffer = 0, bits = 0;
  for (unsigned char c : bytes) {
    buffer = (buffer << 8) | c;
    bits += 8;
    while (bits >= 5) {
      out += alphabet[(buffer >> (bits - 5)) & 31];
      bits -= 5;
    }
  }
  if (bits > 0) out += alphabet[(buffer << (5 - bits)) & 31];
  return out;
}

Result<std::vector<std::string>> string_array(const nlohmann::json& v, const std::string& field,
                                              Error (*err)(const std::string&, const std::string&),
                                              size_t max_items = 50, size_t max_len = 2048) {
  if (!v.is_array()) return fail(err(field, "'" + field + "' must be an array of strings"));
  if (v.size() > max_items) {
    return fail(
        err(field, "'" + field + "' has more than " + std::to_string(max_items) + " entries"));
  }
  std::vector<std::string> out;
  for (const auto& s : v) {
    if (!s.is_string() || s.get<std::string>().empty() || s.get<std::string>().size() > max_len) {
      return fail(err(field, "'" + field + "' must be an array of non-empty strings"));
    }
    if (std::find(out.begin(), out.end(), s.get<std::string>()) == out.end()) {
      out.push_back(s.get<std::string>());
    }
  }
  return out;
}

Result<int64_t> integer_in(const nlohmann::json& v, const std::string& field, int64_t min,
                           int64_t max) {
  if (!v.is_number_integer() || v.get<int64_t>() < min || v.get<int64_t>() > max) {
    return fail(app_invalid(field, "'" + field + "' must be an integer from " +
                                       std::to_string(min) + " to " + std::to_string(max)));
  }
  return v.get<int64_t>();
}

// RFC 3986 absolute URI: scheme ":" then something; returns the scheme (lowercase).
std::optional<std::string> scheme_of(std::string_view uri) {
  const auto colon = uri.find(':');
  if (colon == std::string_view::npos || colon == 0) return std::nullopt;
  for (size_t i = 0; i < colon; ++i) {
    const char c = uri[i];
    const bool ok = std::isalpha(static_cast<unsigned char>(c)) ||
                    (i > 0 && (std::isdigit(static_cast<unsigned char>(c)) || c == '+' ||
                               c == '-' || c == '.'));
    if (!ok) return std::nullopt;
  }
  return lower(std::string(uri.substr(0, colon)));
}

bool has_control_or_space(std::string_view s) {
  return std::any_of(s.begin(), s.end(), [](unsigned char c) { return c <= 0x20 || c == 0x7f; });
}

// Applies the JSON fields to `app` (create: every field may be set; patch: only those given).
Result<bool> apply_fields(store::Application& app, const nlohmann::json& body, bool creating) {
  static const std::set<std::string> allowed = {"name",
                                                "type",
                                                "redirect_uris",
                                                "post_logout_redirect_uris",
                                                "grant_types",
                                                "token_endpoint_auth_method",
                                                "pkce_required",
                                                "id_token_signed_response_alg",
                                                "access_token_ttl_s",
                                                "id_token_ttl_s",
                                                "refresh_token_ttl_s",
                                                "refresh_idle_ttl_s",
                                                "backchannel_logout_uri",
                                                "status",
                                                "client_id",
                                                "jwks",
                                                "dpop_bound_access_tokens",
                                                "dpop_nonce_required",
                                                "require_pushed_authorization_requests",
                                                "jwks_uri",
                                                "backchannel_logout_session_required"};
  for (const auto& [k, v] : body.items()) {
    if (!allowed.count(k)) return fail(app_invalid(k, "Unknown field '" + k + "'"));
    if (k == "client_id" && !creating) {
      return fail(app_invalid(k, "client_id cannot change"));
    }
  }
  if (body.contains("type")) {
    if (!creating) return fail(app_invalid("type", "The type of an application cannot change"));
    if (!body["type"].is_string() || (body["type"] != "confidential" && body["type"] != "public")) {
      return fail(app_invalid("type", "'type' must be confidential or public"));
    }
    app.type = body["type"].get<std::string>();
    if (app.type == "public") app.token_endpoint_auth_method = "none";
  }
  if (body.contains("name")) {
    const auto& n = body["name"];
    if (!n.is_string() || n.get<std::string>().empty() || n.get<std::string>().size() > 200) {
      return fail(app_invalid("name", "'name' must be 1-200 characters"));
    }
    app.name = n.get<std::string>();
  } else if (creating) {
    return fail(app_invalid("name", "'name' is required"));
  }
  if (body.contains("client_id")) {
    const auto& c = body["client_id"];
    if (!c.is_string() || c.get<std::string>().size() < 8 || c.get<std::string>().size() > 100 ||
        has_control_or_space(c.get<std::string>()) ||
        c.get<std::string>().find(':') != std::string::npos) {
      return fail(app_invalid(
          "client_id", "'client_id' must be 8-100 printable characters without ':' or spaces"));
    }
    app.client_id = c.get<std::string>();
  }
  for (const char* field : {"redirect_uris", "post_logout_redirect_uris"}) {
    if (!body.contains(field)) continue;
    auto uris = string_array(body[field], field, app_invalid);
    if (!uris) return fail(uris.error());
    for (const auto& u : *uris) {
      if (auto problem = redirect_uri_problem(u)) {
        return fail(app_invalid(field, "'" + u + "': " + *problem));
      }
    }
    (std::string(field) == "redirect_uris" ? app.redirect_uris : app.post_logout_redirect_uris) =
        *uris;
  }
  if (body.contains("grant_types")) {
    auto types = string_array(body["grant_types"], "grant_types", app_invalid, 4);
    if (!types) return fail(types.error());
    for (const auto& t : *types) {
      if (t != "authorization_code" && t != "refresh_token" && t != "client_credentials" &&
          t != "urn:ietf:params:oauth:grant-type:token-exchange") {
        return fail(app_invalid("grant_types", "Unsupported grant type '" + t +
                                                   "' (authorization_code, refresh_token, "
                                                   "client_credentials, "
                                                   "urn:ietf:params:oauth:grant-type:"
                                                   "token-exchange)"));
      }
    }
    if (types->empty()) return fail(app_invalid("grant_types", "'grant_types' is empty"));
    app.grant_types = *types;
  }
  if (body.contains("token_endpoint_auth_method")) {
    const auto& m = body["token_endpoint_auth_method"];
    if (!m.is_string()) {
      return fail(app_invalid("token_endpoint_auth_method", "must be a string"));
    }
    app.token_endpoint_auth_method = m.get<std::string>();
  }
  if (body.contains("pkce_required")) {
    if (!body["pkce_required"].is_boolean()) {
      return fail(app_invalid("pkce_required", "'pkce_required' must be true or false"));
    }
    app.pkce_required = body["pkce_required"].get<bool>();
  }
  if (body.contains("id_token_signed_response_alg")) {
    const auto& a = body["id_token_signed_response_alg"];
    auto alg = a.is_string() ? jose::parse_alg(a.get<std::string>()) : std::nullopt;
    if (!alg || !jose::is_signing_alg(*alg)) {
      return fail(app_invalid("id_token_signed_response_alg",
                              "'id_token_signed_response_alg' must be RS256, PS256, ES256 or "
                              "EdDSA"));
    }
    app.id_token_signed_response_alg = a.get<std::string>();
  }
  struct Ttl {
    const char* field;
    int64_t* target;
    int64_t min, max;
  };
  for (const Ttl& t : {Ttl{"access_token_ttl_s", &app.access_token_ttl_s, 60, 3600},
                       Ttl{"id_token_ttl_s", &app.id_token_ttl_s, 60, 86400},
                       Ttl{"refresh_token_ttl_s", &app.refresh_token_ttl_s, 60, kMaxRefreshS},
                       Ttl{"refresh_idle_ttl_s", &app.refresh_idle_ttl_s, 60, kMaxRefreshS}}) {
    if (!body.contains(t.field)) continue;
    auto v = integer_in(body[t.field], t.field, t.min, t.max);
    if (!v) return fail(v.error());
    *t.target = *v;
  }
  if (body.contains("backchannel_logout_uri")) {
    const auto& u = body["backchannel_logout_uri"];
    if (u.is_null() || (u.is_string() && u.get<std::string>().empty())) {
      app.backchannel_logout_uri.clear();
    } else if (!u.is_string() || redirect_uri_problem(u.get<std::string>())) {
      return fail(app_invalid("backchannel_logout_uri",
                              "'backchannel_logout_uri' must be an absolute https URI"));
    } else {
      app.backchannel_logout_uri = u.get<std::string>();
    }
  }
  if (body.contains("jwks")) {
    // private_key_jwt: the client's public keys, checked now so a bad set never reaches the
    // token endpoint.
    const auto& j = body["jwks"];
    if (j.is_null()) {
      app.jwks.clear();
    } else {
      auto keys = client_key_set(j.dump());
      if (!keys) return fail(app_invalid("jwks", keys.error().text()));
      app.jwks = j.dump();
    }
  }
  if (body.contains("jwks_uri")) {
    // The reachability and contents are checked outside the transaction (check_jwks_uri).
    const auto& u = body["jwks_uri"];
    if (u.is_null() || (u.is_string() && u.get<std::string>().empty())) {
      app.jwks_uri.clear();
    } else if (!u.is_string() || !federation::oidc::is_allowed_idp_url(u.get<std::string>())) {
      return fail(app_invalid("jwks_uri",
                              "'jwks_uri' must be an https URL (http only to a loopback host)"));
    } else {
      app.jwks_uri = u.get<std::string>();
    }
  }
  for (auto [field, target] : {std::pair{"dpop_bound_access_tokens", &app.dpop_bound_access_tokens},
                               std::pair{"dpop_nonce_required", &app.dpop_nonce_required},
                               std::pair{"require_pushed_authorization_requests",
                                         &app.require_pushed_authorization_requests},
                               std::pair{"backchannel_logout_session_required",
                                         &app.backchannel_logout_session_required}}) {
    if (!body.contains(field)) continue;
    if (!body[field].is_boolean()) {
      return fail(app_invalid(field, "'" + std::string(field) + "' must be true or false"));
    }
    *target = body[field].get<bool>();
  }
  if (body.contains("status")) {
    if (!body["status"].is_string() ||
        (body["status"] != "active" && body["status"] != "disabled")) {
      return fail(app_invalid("status", "'status' must be active or disabled"));
    }
    app.status = body["status"].get<std::string>();
  }
  return true;
}

// The rules between fields, after every change.
Result<bool> check_application(const store::Application& app) {
  const auto has = [&](const char* g) {
    return std::find(app.grant_types.begin(), app.grant_types.end(), g) != app.grant_types.end();
  };
  if (app.type == "public") {
    if (app.token_endpoint_auth_method != "none") {
      return fail(app_invalid("token_endpoint_auth_method",
                              "A public client authenticates with 'none' (it has no secret)"));
    }
    if (!app.pkce_required) {
      return fail(app_invalid("pkce_required", "A public client must use PKCE"));
    }
    if (has("client_credentials")) {
      return fail(app_invalid("grant_types", "A public client cannot use client_credentials"));
    }
  } else if (app.token_endpoint_auth_method != "client_secret_basic" &&
             app.token_endpoint_auth_method != "client_secret_post" &&
             app.token_endpoint_auth_method != "private_key_jwt") {
    return fail(app_invalid("token_endpoint_auth_method",
                            "A confidential client uses client_secret_basic, "
                            "client_secret_post or private_key_jwt"));
  } else if (app.token_endpoint_auth_method == "private_key_jwt" && app.jwks.empty() &&
             app.jwks_uri.empty()) {
    return fail(app_invalid("jwks",
                            "private_key_jwt needs the client's public keys in 'jwks' "
                            "or at 'jwks_uri'"));
  }
  // RFC 7591 §2: jwks and jwks_uri MUST NOT both be present.
  if (!app.jwks.empty() && !app.jwks_uri.empty()) {
    return fail(app_invalid("jwks_uri",
                            "Give the client's keys in 'jwks' or at 'jwks_uri', "
                            "not both"));
  }
  if (!app.organization_id.empty()) {
    if (app.type != "confidential" || has("authorization_code") || has("refresh_token")) {
      return fail(app_invalid("grant_types",
                              "An organization's machine client is confidential and uses "
                              "client_credentials only"));
    }
  }
  if (has("authorization_code") && app.redirect_uris.empty()) {
    return fail(app_invalid("redirect_uris", "authorization_code needs at least one redirect URI"));
  }
  if (has("refresh_token") && !has("authorization_code")) {
    return fail(app_invalid("grant_types", "refresh_token comes with authorization_code"));
  }
  if (app.refresh_idle_ttl_s > app.refresh_token_ttl_s) {
    return fail(app_invalid("refresh_idle_ttl_s",
                            "The idle lifetime cannot exceed the absolute refresh lifetime"));
  }
  return true;
}

Result<store::Resource> apply_resource(store::Resource res, const nlohmann::json& body,
                                       bool creating) {
  for (const auto& [k, v] : body.items()) {
    if (k != "identifier" && k != "name" && k != "permissions") {
      return fail(resource_invalid(k, "Unknown field '" + k + "'"));
    }
  }
  if (body.contains("identifier")) {
    if (!creating) {
      return fail(resource_invalid("identifier", "The identifier (the audience) cannot change"));
    }
    const auto& id = body["identifier"];
    const std::string s = id.is_string() ? id.get<std::string>() : std::string();
    if (s.empty() || s.size() > 2048 || !scheme_of(s) || s.find('#') != std::string::npos ||
        has_control_or_space(s)) {
      return fail(resource_invalid(
          "identifier", "'identifier' must be an absolute URI without a fragment (RFC 8707)"));
    }
    res.identifier = s;
  } else if (creating) {
    return fail(resource_invalid("identifier", "'identifier' is required"));
  }
  if (body.contains("name")) {
    const auto& n = body["name"];
    if (!n.is_string() || n.get<std::string>().empty() || n.get<std::string>().size() > 200) {
      return fail(resource_invalid("name", "'name' must be 1-200 characters"));
    }
    res.name = n.get<std::string>();
  } else if (creating) {
    res.name = res.identifier;
  }
  if (body.contains("permissions")) {
    const auto& ps = body["permissions"];
    if (!ps.is_array() || ps.size() > 500) {
      return fail(resource_invalid("permissions", "'permissions' must be an array (at most 500)"));
    }
    std::vector<store::Permission> out;
    for (const auto& p : ps) {
      std::string name, description;
      if (p.is_string()) {
        name = p.get<std::string>();
      } else if (p.is_object() && p.contains("name") && p["name"].is_string()) {
        name = p["name"].get<std::string>();
        if (p.contains("description")) {
          if (!p["description"].is_string()) {
            return fail(resource_invalid("permissions", "A description must be a string"));
          }
          description = p["description"].get<std::string>();
        }
      } else {
        return fail(
            resource_invalid("permissions", "Each permission is a name or {name, description}"));
      }
      // RFC 6749 §3.3 scope-token: %x21 / %x23-5B / %x5D-7E.
      const bool token_ok =
          !name.empty() && name.size() <= 128 && std::all_of(name.begin(), name.end(), [](char c) {
            const auto u = static_cast<unsigned char>(c);
            return u == 0x21 || (u >= 0x23 && u <= 0x5b) || (u >= 0x5d && u <= 0x7e);
          });
      if (!token_ok || is_oidc_scope(name)) {
        return fail(resource_invalid("permissions", "'" + name +
                                                        "' is not a valid permission name (a "
                                                        "scope token, not an OpenID scope)"));
      }
      if (std::any_of(out.begin(), out.end(),
                      [&](const store::Permission& x) { return x.name == name; })) {
        return fail(resource_invalid("permissions", "'" + name + "' is listed twice"));
      }
      out.push_back({name, description});
    }
    res.permissions = std::move(out);
  }
  return res;
}

// RFC 7591 §2 jwks_uri, checked when it is registered or changed, before any transaction (the
// fetch has a 5 s timeout): it must answer a JWKS of public signing keys we can use, so a typo
// or a wrong document fails now, not at the client's first token request.
Result<bool> check_jwks_uri(const nlohmann::json& body) {
  if (!body.is_object() || !body.contains("jwks_uri") || !body["jwks_uri"].is_string()) {
    return true;
  }
  const std::string url = body["jwks_uri"].get<std::string>();
  if (url.empty() || !federation::oidc::is_allowed_idp_url(url)) return true;  // apply_fields
  auto doc = federation::oidc::fetch_json(url);
  if (!doc) {
    return fail(app_invalid("jwks_uri", "The client's keys could not be fetched from 'jwks_uri' (" +
                                            doc.error().detail + ")"));
  }
  auto keys = client_key_set(doc->dump());
  if (!keys) {
    return fail(app_invalid(
        "jwks_uri", "The document at 'jwks_uri' is not a usable JWKS: " + keys.error().message));
  }
  return true;
}

}  // namespace

std::optional<std::string> redirect_uri_problem(std::string_view uri) {
  if (uri.size() > 2048) return "longer than 2048 characters";
  if (has_control_or_space(uri)) return "contains spaces or control characters";
  if (uri.find('#') != std::string_view::npos) return "must not contain a fragment";
  auto scheme = scheme_of(uri);
  if (!scheme || uri.substr(scheme->size(), 3) != "://") return "must be an absolute URI";
  const std::string_view rest = uri.substr(scheme->size() + 3);
  const std::string_view authority = rest.substr(0, rest.find_first_of("/?"));
  if (authority.empty() || authority.find('@') != std::string_view::npos) {
    return "must name a host (and no user information)";
  }
  if (*scheme == "https") return std::nullopt;
  if (*scheme == "http") {
    std::string host(authority);
    if (host.front() == '[') {
      host = host.substr(0, host.find(']') + 1);
    } else {
      host = host.substr(0, host.find(':'));
    }
    host = lower(host);
    if (host == "127.0.0.1" || host == "[::1]" || host == "localhost") return std::nullopt;
    return "must use https (http only for loopback: 127.0.0.1, [::1], localhost)";
  }
  return "must use https";
}

nlohmann::json application_json(const store::Application& a) {
  return {{"id", a.id},
          {"client_id", a.client_id},
          {"organization_id",
           a.organization_id.empty() ? nlohmann::json(nullptr) : nlohmann::json(a.organization_id)},
          {"name", a.name},
          {"type", a.type},
          {"redirect_uris", a.redirect_uris},
          {"post_logout_redirect_uris", a.post_logout_redirect_uris},
          {"grant_types", a.grant_types},
          {"token_endpoint_auth_method", a.token_endpoint_auth_method},
          {"pkce_required", a.pkce_required},
          {"id_token_signed_response_alg", a.id_token_signed_response_alg},
          {"access_token_ttl_s", a.access_token_ttl_s},
          {"id_token_ttl_s", a.id_token_ttl_s},
          {"refresh_token_ttl_s", a.refresh_token_ttl_s},
          {"refresh_idle_ttl_s", a.refresh_idle_ttl_s},
          {"backchannel_logout_uri", a.backchannel_logout_uri.empty()
                                         ? nlohmann::json(nullptr)
                                         : nlohmann::json(a.backchannel_logout_uri)},
          {"jwks", a.jwks.empty() ? nlohmann::json(nullptr)
                                  : nlohmann::json::parse(a.jwks, nullptr, false)},
          {"jwks_uri", a.jwks_uri.empty() ? nlohmann::json(nullptr) : nlohmann::json(a.jwks_uri)},
          {"backchannel_logout_session_required", a.backchannel_logout_session_required},
          {"dpop_bound_access_tokens", a.dpop_bound_access_tokens},
          {"dpop_nonce_required", a.dpop_nonce_required},
          {"require_pushed_authorization_requests", a.require_pushed_authorization_requests},
          {"status", a.status},
          {"version", a.version},
          {"created_at", format_rfc3339(a.created_at_ms)},
          {"updated_at", format_rfc3339(a.updated_at_ms)}};
}

nlohmann::json client_secret_json(const store::ClientSecret& s, int64_t now_ms) {
  std::string status = "active";
  if (s.revoked_at_ms) {
    status = "revoked";
  } else if (s.expires_at_ms && now_ms >= s.expires_at_ms) {
    status = "expired";
  }
  return {{"id", s.id},
          {"prefix", std::string(kClientSecretPrefix) + s.lookup},
          {"status", status},
          {"created_at", format_rfc3339(s.created_at_ms)},
          {"expires_at", s.expires_at_ms ? nlohmann::json(format_rfc3339(s.expires_at_ms))
                                         : nlohmann::json(nullptr)},
          {"revoked_at", s.revoked_at_ms ? nlohmann::json(format_rfc3339(s.revoked_at_ms))
                                         : nlohmann::json(nullptr)}};
}

nlohmann::json resource_json(const store::Resource& r) {
  nlohmann::json perms = nlohmann::json::array();
  for (const auto& p : r.permissions) {
    perms.push_back({{"name", p.name}, {"description", p.description}});
  }
  return {{"id", r.id},
          {"identifier", r.identifier},
          {"name", r.name},
          {"permissions", perms},
          {"version", r.version},
          {"created_at", format_rfc3339(r.created_at_ms)},
          {"updated_at", format_rfc3339(r.updated_at_ms)}};
}

nlohmann::json grant_json(const store::ResourceGrant& g) {
  return {{"application_id", g.application_id},
          {"resource_id", g.resource_id},
          {"permissions", g.permissions},
          {"updated_at", format_rfc3339(g.updated_at_ms)}};
}

Result<CreatedApplication> ApplicationService::create(const store::Environment& env,
                                                      const std::string& org_id,
                                                      const nlohmann::json& body,
                                                      const tenancy::Actor& actor) {
  store::Application app;
  app.environment_id = env.id;
  app.organization_id = org_id;
  if (!org_id.empty()) app.grant_types = {"client_credentials"};
  if (auto ok = apply_fields(app, body, true); !ok) return fail(ok.error());
  if (app.client_id.empty()) app.client_id = "gh_app_" + base32(random_.bytes(15));
  if (auto ok = check_application(app); !ok) return fail(ok.error());
  if (auto ok = check_jwks_uri(body); !ok) return fail(ok.error());
  return store_.transact<CreatedApplication>([&](store::Repositories& repos)
                                                 -> Result<CreatedApplication> {
    if (!org_id.empty()) {
      if (auto org = repos.organizations().get(env.id, org_id); !org) {
        return fail(org.error());
      }
    }
    auto created = repos.applications().create(app);
    if (!created) return fail(created.error());
    CreatedApplication out{*created, std::nullopt, std::nullopt};
    if (auto rec = record_change(
            tenancy_, repos, env, org_id, actor, "application.created", "application", created->id,
            {{"client_id", created->client_id}, {"name", created->name}, {"type", created->type}},
            {{"application", application_json(*created)}});
        !rec) {
      return fail(rec.error());
    }
    // A private_key_jwt client proves itself with its keys: it gets no secret.
    if (created->type == "confidential" &&
        created->token_endpoint_auth_method != "private_key_jwt") {
      auto secret = add_secret_in(repos, env, *created, 0, actor);
      if (!secret) return fail(secret.error());
      out.client_secret = secret->value;
      out.secret = secret->secret;
    }
    return out;
  });
}

Result<store::Application> ApplicationService::get(const store::Environment& env,
                                                   const std::string& org_id,
                                                   const std::string& id) {
  return store_.read<store::Application>(
      [&](store::Repositories& r) { return r.applications().get(env.id, org_id, id); });
}

Result<store::PageOf<store::Application>> ApplicationService::list(const store::Environment& env,
                                                                   const std::string& org_id,
                                                                   const store::Page& page) {
  return store_.read<store::PageOf<store::Application>>(
      [&](store::Repositories& r) -> Result<store::PageOf<store::Application>> {
        if (!org_id.empty()) {
          if (auto org = r.organizations().get(env.id, org_id); !org) return fail(org.error());
        }
        return r.applications().list(env.id, org_id, page);
      });
}

Result<store::Application> ApplicationService::update(
    const store::Environment& env, const std::string& org_id, const std::string& id,
    const nlohmann::json& patch, int64_t expected_version, const tenancy::Actor& actor) {
  if (auto ok = check_jwks_uri(patch); !ok) return fail(ok.error());
  return store_.transact<store::Application>(
      [&](store::Repositories& repos) -> Result<store::Application> {
        auto current = repos.applications().get(env.id, org_id, id);
        if (!current) return current;
        store::Application app = *current;
        if (auto ok = apply_fields(app, patch, false); !ok) return fail(ok.error());
        if (auto ok = check_application(app); !ok) return fail(ok.error());
        app.version = expected_version;
        auto updated = repos.applications().update(app);
        if (!updated) return updated;
        if (auto rec = record_change(tenancy_, repos, env, org_id, actor, "application.updated",
                                     "application", updated->id, {{"changed", patch}},
                                     {{"application", application_json(*updated)}});
            !rec) {
          return fail(rec.error());
        }
        return updated;
      });
}

Result<store::Application> ApplicationService::remove(const store::Environment& env,
                                                      const std::string& org_id,
                                                      const std::string& id,
                                                      const tenancy::Actor& actor) {
  return store_.transact<store::Application>(
      [&](store::Repositories& repos) -> Result<store::Application> {
        auto removed = repos.applications().remove(env.id, org_id, id);
        if (!removed) return removed;
        if (auto rec =
                record_change(tenancy_, repos, env, org_id, actor, "application.deleted",
                              "application", removed->id, {{"client_id", removed->client_id}},
                              {{"application_id", removed->id}, {"client_id", removed->client_id}});
            !rec) {
          return fail(rec.error());
        }
        return removed;
      });
}

Result<IssuedClientSecret> ApplicationService::add_secret_in(store::Repositories& repos,
                                                             const store::Environment& env,
                                                             const store::Application& app,
                                                             int64_t expires_at_ms,
                                                             const tenancy::Actor& actor) {
  if (app.type != "confidential") {
    return fail(errc::ClientSecretNotAllowed,
                "Public applications have no client secrets; they authenticate with PKCE alone");
  }
  auto issued = tenancy::issue_secret(kClientSecretPrefix, tenancy_.hasher(), random_);
  store::ClientSecret s;
  s.environment_id = env.id;
  s.organization_id = app.organization_id;
  s.application_id = app.id;
  s.lookup = issued.lookup;
  s.hash = issued.hash;
  s.created_at_ms = clock_.now_ms();
  s.expires_at_ms = expires_at_ms;
  auto added = repos.applications().add_secret(s);
  if (!added) return fail(added.error());
  if (auto rec = record_change(
          tenancy_, repos, env, app.organization_id, actor, "application.secret_added",
          "application", app.id, {{"secret_id", added->id}, {"expires_at_ms", expires_at_ms}},
          {{"application_id", app.id}, {"client_id", app.client_id}, {"secret_id", added->id}});
      !rec) {
    return fail(rec.error());
  }
  return IssuedClientSecret{*added, issued.token};
}

Result<IssuedClientSecret> ApplicationService::add_secret(const store::Environment& env,
                                                          const std::string& org_id,
                                                          const std::string& app_id,
                                                          int64_t expires_at_ms,
                                                          const tenancy::Actor& actor) {
  if (expires_at_ms != 0 && expires_at_ms <= clock_.now_ms()) {
    return fail(app_invalid("expires_at", "'expires_at' must be in the future"));
  }
  return store_.transact<IssuedClientSecret>(
      [&](store::Repositories& repos) -> Result<IssuedClientSecret> {
        auto app = repos.applications().get(env.id, org_id, app_id);
        if (!app) return fail(app.error());
        return add_secret_in(repos, env, *app, expires_at_ms, actor);
      });
}

Result<std::vector<store::ClientSecret>> ApplicationService::list_secrets(
    const store::Environment& env, const std::string& org_id, const std::string& app_id) {
  return store_.read<std::vector<store::ClientSecret>>(
      [&](store::Repositories& repos) -> Result<std::vector<store::ClientSecret>> {
        auto app = repos.applications().get(env.id, org_id, app_id);
        if (!app) return fail(app.error());
        return repos.applications().list_secrets(env.id, org_id, app_id);
      });
}

Result<store::ClientSecret> ApplicationService::revoke_secret(const store::Environment& env,
                                                              const std::string& org_id,
                                                              const std::string& app_id,
                                                              const std::string& secret_id,
                                                              const tenancy::Actor& actor) {
  return store_.transact<store::ClientSecret>([&](store::Repositories& repos)
                                                  -> Result<store::ClientSecret> {
    auto app = repos.applications().get(env.id, org_id, app_id);
    if (!app) return fail(app.error());
    auto revoked =
        repos.applications().revoke_secret(env.id, org_id, app_id, secret_id, clock_.now_ms());
    if (!revoked) return revoked;
    if (auto rec = record_change(
            tenancy_, repos, env, org_id, actor, "application.secret_revoked", "application",
            app_id, {{"secret_id", secret_id}},
            {{"application_id", app_id}, {"client_id", app->client_id}, {"secret_id", secret_id}});
        !rec) {
      return fail(rec.error());
    }
    return revoked;
  });
}

Result<store::Resource> ApplicationService::create_resource(const store::Environment& env,
                                                            const nlohmann::json& body,
                                                            const tenancy::Actor& actor) {
  store::Resource base;
  base.environment_id = env.id;
  auto res = apply_resource(base, body, true);
  if (!res) return res;
  return store_.transact<store::Resource>(
      [&](store::Repositories& repos) -> Result<store::Resource> {
        auto created = repos.applications().create_resource(*res);
        if (!created) return created;
        if (auto rec = record_change(tenancy_, repos, env, "", actor, "resource.created",
                                     "resource", created->id, {{"identifier", created->identifier}},
                                     {{"resource", resource_json(*created)}});
            !rec) {
          return fail(rec.error());
        }
        return created;
      });
}

Result<store::Resource> ApplicationService::get_resource(const store::Environment& env,
                                                         const std::string& id) {
  return store_.read<store::Resource>(
      [&](store::Repositories& r) { return r.applications().get_resource(env.id, id); });
}

Result<store::PageOf<store::Resource>> ApplicationService::list_resources(
    const store::Environment& env, const store::Page& page) {
  return store_.read<store::PageOf<store::Resource>>(
      [&](store::Repositories& r) { return r.applications().list_resources(env.id, page); });
}

Result<store::Resource> ApplicationService::update_resource(const store::Environment& env,
                                                            const std::string& id,
                                                            const nlohmann::json& patch,
                                                            int64_t expected_version,
                                                            const tenancy::Actor& actor) {
  return store_.transact<store::Resource>(
      [&](store::Repositories& repos) -> Result<store::Resource> {
        auto current = repos.applications().get_resource(env.id, id);
        if (!current) return current;
        auto res = apply_resource(*current, patch, false);
        if (!res) return res;
        res->version = expected_version;
        auto updated = repos.applications().update_resource(*res);
        if (!updated) return updated;
        if (auto rec = record_change(tenancy_, repos, env, "", actor, "resource.updated",
                                     "resource", updated->id, {{"changed", patch}},
                                     {{"resource", resource_json(*updated)}});
            !rec) {
          return fail(rec.error());
        }
        return updated;
      });
}

Result<store::Resource> ApplicationService::remove_resource(const store::Environment& env,
                                                            const std::string& id,
                                                            const tenancy::Actor& actor) {
  return store_.transact<store::Resource>(
      [&](store::Repositories& repos) -> Result<store::Resource> {
        auto removed = repos.applications().remove_resource(env.id, id);
        if (!removed) return removed;
        if (auto rec =
                record_change(tenancy_, repos, env, "", actor, "resource.deleted", "resource",
                              removed->id, {{"identifier", removed->identifier}},
                              {{"resource_id", removed->id}, {"identifier", removed->identifier}});
            !rec) {
          return fail(rec.error());
        }
        return removed;
      });
}

Result<store::ResourceGrant> ApplicationService::set_grant(
    const store::Environment& env, const std::string& org_id, const std::string& app_id,
    const std::string& resource_id, const std::vector<std::string>& permissions,
    const tenancy::Actor& actor) {
  return store_.transact<store::ResourceGrant>(
      [&](store::Repositories& repos) -> Result<store::ResourceGrant> {
        auto set =
            repos.applications().set_grant({env.id, org_id, app_id, resource_id, permissions, 0});
        if (!set) return set;
        if (auto rec = record_change(
                tenancy_, repos, env, org_id, actor, "application.grant_set", "application", app_id,
                {{"resource_id", resource_id}, {"permissions", set->permissions}},
                {{"grant", grant_json(*set)}});
            !rec) {
          return fail(rec.error());
        }
        return set;
      });
}

Result<std::vector<store::ResourceGrant>> ApplicationService::list_grants(
    const store::Environment& env, const std::string& org_id, const std::string& app_id) {
  return store_.read<std::vector<store::ResourceGrant>>(
      [&](store::Repositories& repos) -> Result<std::vector<store::ResourceGrant>> {
        auto app = repos.applications().get(env.id, org_id, app_id);
        if (!app) return fail(app.error());
        return repos.applications().list_grants(env.id, org_id, app_id);
      });
}

}  // namespace gh::oauth
