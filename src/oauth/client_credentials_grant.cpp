#include "oauth/client_credentials_grant.h"
#include "oauth/error_codes.h"

#include <algorithm>

namespace gh::oauth {

OAuthResult<GrantDecision> ClientCredentialsGrant::handle(const TokenRequest& req) {
  if (req.client.type != "confidential") {
    return oauth_fail(unauthorized_client("client_credentials needs a confidential client"));
  }
  const auto resources = req.form.all("resource");
  if (resources.size() > 1) {
    return oauth_fail(invalid_target("Request one resource per access token"));
  }
  struct Found {
    store::Resource resource;
    std::vector<std::string> granted;
  };
  // The application's grants and the resources they name (cached: application_cache.h).
  auto grants = deps_.applications.grants(req.client);
  if (!grants) return oauth_fail(server_error("The client's grants could not be read"));
  const std::shared_ptr<const CachedGrants> cached = *grants;
  std::optional<Found> found;
  if (resources.empty()) {
    if (cached->grants.size() != 1) {
      return oauth_fail(invalid_target(
          cached->grants.empty() ? "This client is granted no resource"
                                 : "This client is granted several resources: name one with "
                                   "the resource parameter (RFC 8707)"));
    }
    const auto& grant = cached->grants.front();
    auto res = cached->resources.find(grant.resource_id);
    if (res == cached->resources.end()) {
      return oauth_fail(server_error("The client's grants could not be read"));
    }
    found = Found{res->second, grant.permissions};
  } else {
    for (const auto& g : cached->grants) {
      auto res = cached->resources.find(g.resource_id);
      if (res != cached->resources.end() && res->second.identifier == resources.front()) {
        found = Found{res->second, g.permissions};
      }
    }
    if (!found) {
      // Unknown, or known but not granted: the answers differ for the client's admin.
      auto res = deps_.applications.resource(req.env.id, resources.front());
      if (!res) return oauth_fail(server_error("The resource could not be looked up"));
      if (!*res) return oauth_fail(invalid_target("Unknown resource '" + resources.front() + "'"));
      return oauth_fail(
          invalid_target("This client is not granted the resource '" + (*res)->identifier + "'"));
    }
  }

  GrantDecision d;
  const auto requested = split_scope(req.form.get("scope").value_or(""));
  if (requested.empty()) {
    d.permissions = found->granted;
  } else {
    for (const auto& s : requested) {
      if (std::find(found->granted.begin(), found->granted.end(), s) == found->granted.end()) {
        return oauth_fail(invalid_scope("The scope '" + s + "' is not granted to this client on '" +
                                        found->resource.identifier + "'"));
      }
      d.permissions.push_back(s);
    }
  }
  auto issuer = deps_.tokens.signer().issuer_of(req.env, req.client.organization_id);
  if (!issuer) return oauth_fail(server_error("The issuer's keys are unavailable"));
  d.issuer_organization = *issuer;
  d.organization_id = req.client.organization_id;
  d.subject = req.client.client_id;
  d.audience = found->resource.identifier;
  d.resource = found->resource;
  return d;
}

OAuthResult<nlohmann::json> ClientCredentialsGrant::populate(const TokenRequest& req,
                                                             GrantDecision& d) {
  auto at = deps_.tokens.access_token(req.env, access_spec(req, d));
  if (!at) return oauth_fail(server_error("The access token could not be signed"));
  return access_token_response(*at, d);
}

}  // namespace gh::oauth
