#include "oauth/user_tokens.h"

#include <algorithm>

#include "core/log.h"
#include "oauth/access_token_verifier.h"
#include "oauth/error_codes.h"
#include "oauth/token_hash.h"

namespace gh::oauth {

namespace {
bool contains(const std::vector<std::string>& v, std::string_view s) {
  return std::find(v.begin(), v.end(), s) != v.end();
}
}  // namespace

OAuthResult<bool> decide_user_grant(const GrantDeps& deps, const TokenRequest& req,
                                    const std::string& organization_id,
                                    const UserAuthentication& user, const GrantParams& params,
                                    const std::vector<std::string>& requested_scopes,
                                    GrantDecision& d) {
  std::vector<std::string> scopes = params.scopes;
  if (!requested_scopes.empty()) {
    for (const auto& s : requested_scopes) {
      if (!contains(params.scopes, s)) {
        return oauth_fail(invalid_scope("The scope '" + s + "' was not granted originally"));
      }
    }
    scopes = requested_scopes;
  }
  const auto requested_resources = req.form.all("resource");
  if (requested_resources.size() > 1) {
    return oauth_fail(invalid_target("Request one resource per access token"));
  }
  std::string resource_id;
  if (!requested_resources.empty()) {
    if (!contains(params.resources, requested_resources.front())) {
      return oauth_fail(invalid_target("The resource '" + requested_resources.front() +
                                       "' was not part of the authorization"));
    }
    resource_id = requested_resources.front();
  } else if (!params.resources.empty()) {
    resource_id = params.resources.front();
  }

  d.scopes.clear();
  std::vector<std::string> wanted_permissions;
  for (const auto& s : scopes) {
    if (is_oidc_scope(s)) {
      d.scopes.push_back(s);
    } else {
      wanted_permissions.push_back(s);
    }
  }
  d.permissions.clear();
  if (resource_id.empty()) {
    d.audience = deps.tokens.userinfo_audience(req.env);
  } else {
    auto res = deps.store.read<store::Resource>([&](store::Repositories& r) {
      return r.applications().find_resource(req.env.id, resource_id);
    });
    if (!res) {
      if (res.error().code == errc::ResourceNotFound) {
        return oauth_fail(invalid_target("The resource '" + resource_id + "' no longer exists"));
      }
      return oauth_fail(server_error("The resource could not be read"));
    }
    std::vector<std::string> defined;
    for (const auto& w : wanted_permissions) {
      if (std::any_of(res->permissions.begin(), res->permissions.end(),
                      [&](const store::Permission& p) { return p.name == w; })) {
        defined.push_back(w);
      }
    }
    auto permitted = deps.permissions.permitted(
        PermissionQuery{req.env, organization_id, req.client, user.user_id, *res, defined});
    if (!permitted) return oauth_fail(server_error("The user's permissions could not be read"));
    d.permissions = *permitted;
    d.audience = res->identifier;
    d.resource = *res;
  }
  auto issuer = deps.tokens.signer().issuer_of(req.env, organization_id);
  if (!issuer) return oauth_fail(server_error("The issuer's keys are unavailable"));
  d.issuer_organization = *issuer;
  d.organization_id = organization_id;
  d.subject = user.user_id;
  d.user = user;
  d.resources = params.resources;
  return true;
}

OAuthResult<UserTokens> issue_user_tokens(const GrantDeps& deps, const TokenRequest& req,
                                          const GrantDecision& d, const GrantParams& family_params,
                                          bool with_refresh, std::string family,
                                          int64_t family_expires_at_ms) {
  UserTokens out;
  const auto& user = *d.user;
  // A suspended or deprovisioned user gets nothing more, whatever the grant still says.
  std::optional<identity::UserClaims> claims;
  if (deps.users) {
    auto c = deps.users->claims(req.env.id, d.organization_id, user.user_id);
    if (!c) return oauth_fail(invalid_grant("The user no longer exists"));
    if (c->state != "active") return oauth_fail(invalid_grant("The user is not active"));
    claims = std::move(*c);
  }
  auto at = deps.tokens.access_token(req.env, access_spec(req, d));
  if (!at) return oauth_fail(server_error("The access token could not be signed"));
  out.access = std::move(*at);
  if (contains(d.scopes, "openid")) {
    IdTokenSpec spec;
    spec.issuer_organization = d.issuer_organization;
    spec.organization_id = d.organization_id;
    spec.client_id = req.client.client_id;
    spec.user = user;
    spec.nonce = d.nonce;
    spec.scopes = d.scopes;
    spec.claims = claims ? &*claims : nullptr;
    spec.ttl_s = std::clamp<int64_t>(req.client.id_token_ttl_s, 60, 86400);
    spec.alg = req.client.id_token_signed_response_alg;
    auto id = deps.tokens.id_token(req.env, spec);
    if (!id) return oauth_fail(server_error("The ID token could not be signed"));
    out.id_token = std::move(*id);
  }
  const auto& types = req.client.grant_types;
  if (with_refresh && std::find(types.begin(), types.end(), "refresh_token") != types.end()) {
    const int64_t now = deps.tokens.clock().now_ms();
    store::RefreshToken rt;
    out.refresh_token = deps.tokens.opaque_token();
    rt.token_hash = token_hash(out.refresh_token);
    rt.family_id = family.empty() ? deps.tokens.new_id() : std::move(family);
    rt.environment_id = req.env.id;
    rt.organization_id = d.organization_id;
    rt.application_id = req.client.id;
    rt.client_id = req.client.client_id;
    rt.user_id = user.user_id;
    rt.sid = user.sid;
    rt.params = refresh_params_json(family_params);
    rt.created_at_ms = now;
    rt.family_expires_at_ms = family_expires_at_ms != 0
                                  ? family_expires_at_ms
                                  : now + req.client.refresh_token_ttl_s * 1000;
    rt.expires_at_ms =
        std::min(rt.family_expires_at_ms, now + req.client.refresh_idle_ttl_s * 1000);
    out.refresh = std::move(rt);
  }
  return out;
}

nlohmann::json user_token_response(const UserTokens& t, const GrantDecision& d) {
  auto out = access_token_response(t.access, d);
  if (t.id_token) out["id_token"] = *t.id_token;
  if (t.refresh) out["refresh_token"] = t.refresh_token;
  return out;
}

void revoke_issued(store::Store& store, const store::Environment& env,
                   const std::string& organization_id, const std::string& family_id,
                   const std::vector<std::string>& jtis, int64_t now_ms,
                   const std::string& reason) {
  auto done = store.transact<bool>([&](store::Repositories& r) -> Result<bool> {
    if (!family_id.empty()) {
      auto n = r.oauth_grants().revoke_family(env.id, organization_id, family_id, now_ms);
      if (!n) return fail(n.error());
    }
    for (const auto& jti : jtis) {
      // An access token lives at most an hour: the deny-list row can go after that.
      store::RevokedToken t{env.id, organization_id, jti, reason, now_ms + 3600 * 1000, now_ms};
      if (auto ok = r.oauth_grants().revoke_jti(t); !ok) return fail(ok.error());
    }
    r.changed(kTokensRevokedTopic, env.id);
    return true;
  });
  if (!done) {
    log::error("revoking the tokens of a replayed grant failed",
               {{"error", std::string(done.error().code_name())}, {"reason", reason}});
  }
}

}  // namespace gh::oauth
