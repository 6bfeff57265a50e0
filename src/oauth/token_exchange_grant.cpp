#include "oauth/token_exchange_grant.h"

#include <algorithm>

#include "oauth/access_token_verifier.h"

namespace gh::oauth {

namespace {

bool contains(const std::vector<std::string>& v, const std::string& s) {
  return std::find(v.begin(), v.end(), s) != v.end();
}

std::vector<std::string> strings_of(const nlohmann::json& claims, const char* key) {
  std::vector<std::string> out;
  if (!claims.contains(key) || !claims[key].is_array()) return out;
  for (const auto& s : claims[key]) {
    if (s.is_string()) out.push_back(s.get<std::string>());
  }
  return out;
}

std::string string_of(const nlohmann::json& claims, const char* key) {
  return claims.contains(key) && claims[key].is_string() ? claims[key].get<std::string>() : "";
}

}  // namespace

OAuthResult<GrantDecision> TokenExchangeGrant::handle(const TokenRequest& req) {
  if (!deps_.verifier) return oauth_fail(server_error("Token exchange is not configured"));
  if (req.client.type != "confidential") {
    return oauth_fail(unauthorized_client("Token exchange needs a confidential client"));
  }
  auto subject_token = req.form.get("subject_token");
  auto subject_type = req.form.get("subject_token_type");
  if (!subject_token || subject_token->empty()) {
    return oauth_fail(invalid_request("The subject_token parameter is missing"));
  }
  if (!subject_type || *subject_type != kAccessTokenType) {
    return oauth_fail(
        invalid_request("subject_token_type must be " + std::string(kAccessTokenType)));
  }
  if (auto requested = req.form.get("requested_token_type");
      requested && *requested != kAccessTokenType) {
    return oauth_fail(invalid_request("Only access tokens are issued (requested_token_type)"));
  }
  auto subject = deps_.verifier->verify(req.env, *subject_token);
  if (!subject) return oauth_fail(server_error("The subject token could not be checked"));
  if (!*subject) return oauth_fail(invalid_grant("The subject token is not active"));
  const VerifiedAccessToken& s = **subject;
  // An organization's machine client acts only within its organization.
  if (!req.client.organization_id.empty() && s.organization_id != req.client.organization_id) {
    return oauth_fail(invalid_grant("The subject token belongs to another organization"));
  }
  if (!s.dpop_jkt.empty() && s.dpop_jkt != req.dpop_jkt) {
    return oauth_fail(invalid_grant("The subject token is DPoP-bound: prove its key (DPoP)"));
  }

  GrantDecision d;
  d.issuer_organization = s.issuer_organization;
  d.organization_id = s.organization_id;
  d.subject = s.subject;
  d.audience = string_of(s.claims, "aud");
  if (d.audience.empty()) return oauth_fail(invalid_grant("The subject token has no audience"));
  // Narrow only: the audience stays (RFC 8707 resource and RFC 8693 audience alike).
  auto targets = req.form.all("resource");
  for (const auto& a : req.form.all("audience")) targets.push_back(a);
  for (const auto& t : targets) {
    if (t != d.audience) {
      return oauth_fail(invalid_target("An exchanged token keeps the subject token's audience '" +
                                       d.audience + "'; '" + t + "' would widen it"));
    }
  }
  const auto held_scopes = split_scope(string_of(s.claims, "scope"));
  const auto held_permissions = strings_of(s.claims, "permissions");
  const auto requested = split_scope(req.form.get("scope").value_or(""));
  for (const auto& sc : requested.empty() ? held_scopes : requested) {
    if (!contains(held_scopes, sc)) {
      return oauth_fail(invalid_scope("The scope '" + sc +
                                      "' is not in the subject token: an exchange only narrows"));
    }
    if (contains(held_permissions, sc)) {
      d.permissions.push_back(sc);
    } else {
      d.scopes.push_back(sc);
    }
  }
  if (s.claims.contains("auth_time")) {
    UserAuthentication user;
    user.user_id = s.subject;
    user.sid = string_of(s.claims, "sid");
    user.auth_time_s =
        s.claims["auth_time"].is_number_integer() ? s.claims["auth_time"].get<int64_t>() : 0;
    user.acr = string_of(s.claims, "acr");
    user.amr = strings_of(s.claims, "amr");
    d.user = user;
  }

  // Delegation (RFC 8693 §1.1, §4.1).
  auto actor_token = req.form.get("actor_token");
  auto actor_type = req.form.get("actor_token_type");
  if (actor_token && !actor_token->empty()) {
    if (!actor_type || *actor_type != kAccessTokenType) {
      return oauth_fail(
          invalid_request("actor_token_type must be " + std::string(kAccessTokenType)));
    }
    auto actor = deps_.verifier->verify(req.env, *actor_token);
    if (!actor) return oauth_fail(server_error("The actor token could not be checked"));
    if (!*actor) return oauth_fail(invalid_grant("The actor token is not active"));
    // The actor is the caller: a client cannot name another party as the one acting.
    if ((*actor)->client_id != req.client.client_id) {
      return oauth_fail(invalid_grant("The actor token was not issued to this client"));
    }
    d.act = {{"sub", (*actor)->subject}, {"client_id", (*actor)->client_id}};
    if (s.claims.contains("act") && s.claims["act"].is_object()) d.act["act"] = s.claims["act"];
  } else if (actor_type) {
    return oauth_fail(invalid_request("actor_token_type without actor_token"));
  } else if (s.claims.contains("act") && s.claims["act"].is_object()) {
    d.act = s.claims["act"];  // the delegation chain is never dropped
  }
  d.expires_at_s = s.exp_s;
  return d;
}

OAuthResult<nlohmann::json> TokenExchangeGrant::populate(const TokenRequest& req,
                                                         GrantDecision& d) {
  AccessTokenSpec spec = access_spec(req, d);
  // Never outlive the subject token.
  const int64_t left = d.expires_at_s - deps_.tokens.clock().now_ms() / 1000;
  if (left <= 0) return oauth_fail(invalid_grant("The subject token has expired"));
  spec.ttl_s = std::min(spec.ttl_s, left);
  auto at = deps_.tokens.access_token(req.env, spec);
  if (!at) return oauth_fail(server_error("The access token could not be signed"));
  auto out = access_token_response(*at, d);
  out["issued_token_type"] = std::string(kAccessTokenType);  // RFC 8693 §2.2.1
  return out;
}

}  // namespace gh::oauth
