// POST /{env}/oauth2/introspect (RFC 7662) for confidential clients (resource servers). Access
// tokens: active when ours, unexpired, unrevoked (AccessTokenVerifier). Refresh tokens: only
// to the client they were issued to. Anything else, and another organization's tokens for an
// organization's machine client, is {"active": false} (§2.2: nothing more is said).
#include "oauth/provider.h"
#include "oauth/token_hash.h"

namespace gh::oauth {

namespace {

const nlohmann::json kInactive = {{"active", false}};

nlohmann::json access_token_json(const VerifiedAccessToken& t) {
  nlohmann::json out = {{"active", true}, {"token_type", "access_token"}};
  for (const char* k : {"scope", "client_id", "sub", "aud", "exp", "iat", "iss", "jti", "org_id",
                        "auth_time", "acr", "permissions", "cnf"}) {
    if (t.claims.contains(k)) out[k] = t.claims[k];
  }
  return out;
}

}  // namespace

http::Response introspection_endpoint(Provider& p, const store::Environment& env,
                                      const http::Request& req) {
  auto form = FormParams::from_body(req);
  if (!form) return error_response(form.error());
  auto client = p.clients().authenticate(env, req, *form);
  if (!client) return error_response(client.error());
  if (client->app.type != "confidential") {
    return error_response(invalid_client("Introspection is for confidential clients"));
  }
  auto token = form->get("token");
  if (!token) return error_response(invalid_request("The token parameter is missing"));
  const std::string& caller_org = client->app.organization_id;

  if (form->get("token_type_hint").value_or("") != "refresh_token") {
    auto at = p.verifier().verify(env, *token);
    if (!at) return error_response(server_error("The token could not be checked"));
    if (*at) {
      if (!caller_org.empty() && (*at)->organization_id != caller_org) {
        return no_store_json(200, kInactive);
      }
      return no_store_json(200, access_token_json(**at));
    }
  }
  auto rt = p.store().read<std::optional<store::RefreshToken>>([&](store::Repositories& r) {
    return r.oauth_grants().find_refresh(env.id, token_hash(*token));
  });
  if (!rt) return error_response(server_error("The token could not be checked"));
  const int64_t now = p.clock().now_ms();
  if (*rt && (*rt)->client_id == client->app.client_id && (*rt)->rotated_at_ms == 0 &&
      (*rt)->revoked_at_ms == 0 && now < (*rt)->expires_at_ms &&
      now < (*rt)->family_expires_at_ms) {
    const auto& t = **rt;
    nlohmann::json out = {{"active", true},
                          {"token_type", "refresh_token"},
                          {"client_id", t.client_id},
                          {"sub", t.user_id},
                          {"exp", t.expires_at_ms / 1000},
                          {"iat", t.created_at_ms / 1000},
                          {"iss", p.signer().issuer_url(env, "")}};
    if (!t.organization_id.empty()) out["org_id"] = t.organization_id;
    auto params = nlohmann::json::parse(t.params, nullptr, false);
    if (params.is_object() && params.contains("scope")) out["scope"] = params["scope"];
    return no_store_json(200, out);
  }
  return no_store_json(200, kInactive);
}

}  // namespace gh::oauth
