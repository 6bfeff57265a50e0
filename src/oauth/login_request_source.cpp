#include "oauth/login_request_source.h"

#include "oauth/error_codes.h"
#include "oauth/front_channel.h"

namespace gh::oauth {

Result<federation::LoginRequest> PendingLoginRequests::find(std::string_view environment_id,
                                                            std::string_view id) {
  const Error not_found(not_found_,
                        "This sign-in link has expired (after 10 minutes) or was already used. "
                        "Go back to the application and sign in again.");
  if (id.empty() || id.size() > 128) return fail(not_found);
  struct Found {
    store::PendingAuthorization pending;
    std::string client_name;
  };
  auto found = store_.read<Found>([&](store::Repositories& r) -> Result<Found> {
    auto p = r.oauth_grants().get_pending(environment_id, id, clock_.now_ms());
    if (!p) return fail(p.error().code == errc::OAuthRequestNotFound ? not_found : p.error());
    auto app = r.applications().find_by_client_id(environment_id, p->client_id);
    if (!app) {
      return fail(app.error().code == errc::ApplicationNotFound ? not_found : app.error());
    }
    return Found{std::move(*p), app->name};
  });
  if (!found) return fail(found.error());
  auto params = PendingParams::from_json(found->pending.params);
  if (!params) return fail(errc::ServerInternal, "", "pending authorization unreadable");
  const AuthorizationRequest& ar = params->request;

  federation::LoginRequest out;
  out.environment_id = found->pending.environment_id;
  out.id = found->pending.id;
  out.client_id = found->pending.client_id;
  out.client_name = found->client_name;
  out.login_hint = ar.login_hint;
  out.domain_hint = ar.domain_hint;
  out.organization_id = params->organization_id;
  out.connection_id = ar.connection;
  out.acr_values = ar.acr_essential        ? ar.required_acrs()
                   : ar.acr_values.empty() ? ar.claims_acr_values
                                           : ar.acr_values;
  out.acr_essential = ar.acr_essential;
  out.force_authn = params->force_authn || ar.prompt_login;
  out.max_age_s = ar.max_age_s;
  out.select_account = ar.prompt_select_account;
  out.resume_url = FrontChannel::resume_url(params->issuer, out.id);
  out.expires_at_ms = found->pending.expires_at_ms;
  return out;
}

}  // namespace gh::oauth
