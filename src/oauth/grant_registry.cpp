#include "oauth/grant_handler.h"

#include <algorithm>

namespace gh::oauth {

OAuthResult<nlohmann::json> GrantRegistry::exchange(const TokenRequest& req) {
  for (auto& h : handlers_) {
    if (!h->can_handle(req)) continue;
    const auto& types = req.client.grant_types;
    if (std::find(types.begin(), types.end(), req.grant_type) == types.end()) {
      return oauth_fail(unauthorized_client("This client is not registered for the " +
                                            req.grant_type + " grant"));
    }
    auto decision = h->handle(req);
    if (!decision) return oauth_fail(decision.error());
    return h->populate(req, *decision);
  }
  return oauth_fail(unsupported_grant_type("Unsupported grant_type '" + req.grant_type + "'"));
}

std::vector<std::string> GrantRegistry::grant_types() const {
  std::vector<std::string> out;
  for (const auto& h : handlers_) out.emplace_back(h->grant_type());
  return out;
}

std::vector<std::string> granted_scopes(const GrantDecision& d) {
  std::vector<std::string> out = d.scopes;
  for (const auto& p : d.permissions) {
    if (std::find(out.begin(), out.end(), p) == out.end()) out.push_back(p);
  }
  return out;
}

AccessTokenSpec access_spec(const TokenRequest& req, const GrantDecision& d) {
  AccessTokenSpec s;
  s.issuer_organization = d.issuer_organization;
  s.organization_id = d.organization_id;
  s.client_id = req.client.client_id;
  s.subject = d.subject;
  s.audience = d.audience;
  s.scopes = granted_scopes(d);
  s.permissions = d.permissions;
  s.ttl_s = std::clamp<int64_t>(req.client.access_token_ttl_s, 1, 3600);
  s.user = d.user;
  s.dpop_jkt = req.dpop_jkt;
  s.act = d.act;
  return s;
}

nlohmann::json access_token_response(const IssuedAccessToken& at, const GrantDecision& d) {
  nlohmann::json out = {{"access_token", at.token},
                        {"token_type", at.dpop_jkt.empty() ? "Bearer" : "DPoP"},  // RFC 9449 §5
                        {"expires_in", at.exp_s - at.iat_s}};
  auto scopes = granted_scopes(d);
  if (!scopes.empty()) out["scope"] = join_scope(scopes);
  return out;
}

}  // namespace gh::oauth
