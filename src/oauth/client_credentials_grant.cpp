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
  std::optional<OAuthError> refusal;
  auto found = deps_.store.read<std::optional<Found>>(
      [&](store::Repositories& r) -> Result<std::optional<Found>> {
        auto grants =
            r.applications().list_grants(req.env.id, req.client.organization_id, req.client.id);
        if (!grants) return fail(grants.error());
        const store::ResourceGrant* grant = nullptr;
        store::Resource resource;
        if (resources.empty()) {
          if (grants->size() != 1) {
            refusal = invalid_target(
                grants->empty() ? "This client is granted no resource"
                                : "This client is granted several resources: name one with "
                                  "the resource parameter (RFC 8707)");
            return std::optional<Found>{};
          }
          grant = &grants->front();
          auto res = r.applications().get_resource(req.env.id, grant->resource_id);
          if (!res) return fail(res.error());
          resource = std::move(*res);
        } else {
          auto res = r.applications().find_resource(req.env.id, resources.front());
          if (!res) {
            if (res.error().code != errc::ResourceNotFound) return fail(res.error());
            refusal = invalid_target("Unknown resource '" + resources.front() + "'");
            return std::optional<Found>{};
          }
          resource = std::move(*res);
          for (const auto& g : *grants) {
            if (g.resource_id == resource.id) grant = &g;
          }
          if (!grant) {
            refusal = invalid_target("This client is not granted the resource '" +
                                     resource.identifier + "'");
            return std::optional<Found>{};
          }
        }
        return std::optional<Found>{Found{std::move(resource), grant->permissions}};
      });
  if (!found) return oauth_fail(server_error("The client's grants could not be read"));
  if (refusal) return oauth_fail(*refusal);

  GrantDecision d;
  const auto requested = split_scope(req.form.get("scope").value_or(""));
  if (requested.empty()) {
    d.permissions = (*found)->granted;
  } else {
    for (const auto& s : requested) {
      if (std::find((*found)->granted.begin(), (*found)->granted.end(), s) ==
          (*found)->granted.end()) {
        return oauth_fail(invalid_scope("The scope '" + s + "' is not granted to this client on '" +
                                        (*found)->resource.identifier + "'"));
      }
      d.permissions.push_back(s);
    }
  }
  auto issuer = deps_.tokens.signer().issuer_of(req.env, req.client.organization_id);
  if (!issuer) return oauth_fail(server_error("The issuer's keys are unavailable"));
  d.issuer_organization = *issuer;
  d.organization_id = req.client.organization_id;
  d.subject = req.client.client_id;
  d.audience = (*found)->resource.identifier;
  d.resource = (*found)->resource;
  return d;
}

OAuthResult<nlohmann::json> ClientCredentialsGrant::populate(const TokenRequest& req,
                                                             GrantDecision& d) {
  auto at = deps_.tokens.access_token(req.env, access_spec(req, d));
  if (!at) return oauth_fail(server_error("The access token could not be signed"));
  return access_token_response(*at, d);
}

}  // namespace gh::oauth
