#include "tenancy/key_routes.h"

#include "http/api.h"

namespace gh::tenancy {

using http::Response;

namespace {

Response jwks_response(const IssuerKeys& k) {
  Response res = Response::text(200, k.jwks_body, "application/json");
  res.set_header("Cache-Control",
                 "public, max-age=" + std::to_string(k.settings.rotation.jwks_max_age().count()));
  return res;
}

Response settings_response(const VersionedKeySettings& s, const std::string& issuer) {
  nlohmann::json j = s.settings.public_json();
  j["issuer"] = issuer;
  Response res = http::json_response(200, j, s.version);
  // Settings never written are version 0: still an ETag, so the first PATCH can send it.
  if (s.version == 0) res.set_header("ETag", http::etag(0));
  return res;
}

// The routes of one issuer: the environment's (prefix .../{env}) or an organization's
// (prefix .../organizations/{org}).
void add_issuer_routes(AdminApi& api, http::Router& router, const std::string& prefix, Scope scope,
                       const std::shared_ptr<KeyService>& keys) {
  auto org_of = [scope](AdminRequest& r) {
    return scope == Scope::organization ? r.http.param("org") : std::string();
  };

  api.add(router, "GET", prefix + "/keys", Access::read, scope, [keys, org_of](AdminRequest& r) {
    const std::string org = org_of(r);
    auto rows = keys->list(r.env, org);
    if (!rows) return Response::problem(rows.error(), r.http);
    nlohmann::json items = nlohmann::json::array();
    for (const auto& row : *rows) items.push_back(signing_key_json(row));
    return http::json_response(200, {{"issuer", keys->issuer_url(r.env, org)}, {"data", items}});
  });

  api.add(router, "POST", prefix + "/keys/rotate", Access::write, scope,
          [keys, org_of](AdminRequest& r) {
            auto body = r.http.body.empty() ? Result<nlohmann::json>(nlohmann::json::object())
                                            : http::json_object_body(r.http);
            if (!body) return Response::problem(body.error(), r.http);
            if (auto ok = http::only_fields(*body, {"alg"}); !ok) {
              return Response::problem(ok.error(), r.http);
            }
            auto alg_name = http::optional_string(*body, "alg", 16);
            if (!alg_name) return Response::problem(alg_name.error(), r.http);
            const std::string org = org_of(r);
            jose::Alg alg = jose::Alg::RS256;
            if (*alg_name) {
              auto parsed = jose::parse_alg(**alg_name);
              if (!parsed || !jose::is_signing_alg(*parsed)) {
                return Response::problem(
                    http::invalid_field("alg", "'alg' must be RS256, PS256, ES256 or EdDSA"),
                    r.http);
              }
              alg = *parsed;
            } else {
              auto s = keys->settings(r.env, org);
              if (!s) return Response::problem(s.error(), r.http);
              alg = s->settings.default_alg;
            }
            auto row = keys->rotate(r.env, org, alg, r.actor);
            if (!row) return Response::problem(row.error(), r.http);
            return http::json_response(201, signing_key_json(*row));
          });

  api.add(router, "POST", prefix + "/keys/{kid}/revoke", Access::write, scope,
          [keys, org_of](AdminRequest& r) {
            auto row = keys->revoke(r.env, org_of(r), r.http.param("kid"), r.actor);
            if (!row) return Response::problem(row.error(), r.http);
            return http::json_response(200, signing_key_json(*row));
          });

  api.add(router, "GET", prefix + "/key-settings", Access::read, scope,
          [keys, org_of](AdminRequest& r) {
            const std::string org = org_of(r);
            auto s = keys->settings(r.env, org);
            if (!s) return Response::problem(s.error(), r.http);
            return settings_response(*s, keys->issuer_url(r.env, org));
          });

  api.add(router, "PATCH", prefix + "/key-settings", Access::write, scope,
          [keys, org_of](AdminRequest& r) {
            auto body = http::json_object_body(r.http);
            if (!body) return Response::problem(body.error(), r.http);
            auto version = http::if_match_version(r.http);
            if (!version) return Response::problem(version.error(), r.http);
            const std::string org = org_of(r);
            auto s = keys->update_settings(r.env, org, *body, *version, r.actor);
            if (!s) return Response::problem(s.error(), r.http);
            return settings_response(*s, keys->issuer_url(r.env, org));
          });
}

}  // namespace

void add_key_routes(AdminApi& api, http::Router& router, EnvironmentCache& environments,
                    std::shared_ptr<KeyService> keys) {
  // Public: relying parties fetch these without credentials. Cached key sets answer on the I/O
  // thread (core/blocking.h).
  http::RouteOptions fast;
  fast.fast_path = true;
  router.add(
      "GET", "/{env}/.well-known/jwks.json",
      [&environments, keys](http::Request& req) {
        auto env = environments.get(req.param("env"));
        if (!env) return Response::problem(env.error(), req);
        auto k = keys->keys(*env, "");
        if (!k) return Response::problem(k.error(), req);
        return jwks_response(**k);
      },
      fast);
  router.add(
      "GET", "/{env}/o/{org}/.well-known/jwks.json",
      [&environments, keys](http::Request& req) {
        auto env = environments.get(req.param("env"));
        if (!env) return Response::problem(env.error(), req);
        auto k = keys->keys(*env, req.param("org"));
        if (!k) return Response::problem(k.error(), req);
        return jwks_response(**k);
      },
      fast);

  const std::string env_prefix = "/api/v1/environments/{env}";
  const std::string org_prefix = env_prefix + "/organizations/{org}";
  add_issuer_routes(api, router, env_prefix, Scope::environment, keys);
  add_issuer_routes(api, router, org_prefix, Scope::organization, keys);

  api.add(router, "GET", org_prefix + "/kek", Access::read, Scope::organization,
          [keys](AdminRequest& r) {
            return http::json_response(200, keys->sealing().status(r.env.id, r.http.param("org")));
          });
  api.add(router, "PUT", org_prefix + "/kek", Access::write, Scope::organization,
          [keys](AdminRequest& r) {
            auto body = http::json_object_body(r.http);
            if (!body) return Response::problem(body.error(), r.http);
            if (auto ok = http::only_fields(
                    *body, {"provider", "module", "token_label", "key_label", "pin"});
                !ok) {
              return Response::problem(ok.error(), r.http);
            }
            auto provider = http::required_string(*body, "provider", 16);
            if (!provider) return Response::problem(provider.error(), r.http);
            if (*provider != "pkcs11") {
              return Response::problem(
                  http::invalid_field("provider",
                                      "'provider' must be pkcs11 (DELETE returns the "
                                      "organization to the environment's master key)"),
                  r.http);
            }
            CustomerKeyInput in;
            for (auto [field, out] : std::initializer_list<std::pair<const char*, std::string*>>{
                     {"module", &in.module_path},
                     {"token_label", &in.token_label},
                     {"key_label", &in.key_label},
                     {"pin", &in.pin}}) {
              auto v = http::required_string(*body, field, 1024);
              if (!v) return Response::problem(v.error(), r.http);
              *out = *v;
            }
            auto status = keys->set_customer_key(r.env, r.http.param("org"), in, r.actor);
            if (!status) return Response::problem(status.error(), r.http);
            return http::json_response(200, *status);
          });
  api.add(router, "DELETE", org_prefix + "/kek", Access::write, Scope::organization,
          [keys](AdminRequest& r) {
            auto status = keys->set_customer_key(r.env, r.http.param("org"), std::nullopt, r.actor);
            if (!status) return Response::problem(status.error(), r.http);
            return http::json_response(200, *status);
          });
}

}  // namespace gh::tenancy
