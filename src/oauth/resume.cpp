// GET /{env}/oauth2/authorize/resume?request={id}: hosted login sends the browser here once it
// has set the session cookie. The pending request is used once (deleted before anything else);
// the session must now exist and satisfy the request, else login_required / access_denied go
// to the client.
#include <algorithm>

#include "core/log.h"
#include "oauth/error_codes.h"
#include "oauth/front_channel.h"
#include "oauth/session_requirements.h"

namespace gh::oauth {

namespace {

Error not_found() {
  return Error(errc::OAuthRequestNotFound,
               "This sign-in link has expired (after 10 minutes) or was already used. Go back to "
               "the application and sign in again.");
}

}  // namespace

http::Response resume_endpoint(FrontChannel& fc, const store::Environment& env,
                               const http::Request& req) {
  auto id = req.query_param("request");
  if (!id || id->empty() || id->size() > 128) return fc.page(not_found(), req.request_id);
  const int64_t now = fc.clock().now_ms();

  // Single use: read and delete in one transaction; a concurrent resume finds nothing.
  auto taken = fc.store().transact<store::PendingAuthorization>(
      [&](store::Repositories& r) -> Result<store::PendingAuthorization> {
        auto p = r.oauth_grants().get_pending(env.id, *id, now);
        if (!p) return fail(p.error());
        auto deleted = r.oauth_grants().delete_pending(env.id, *id);
        if (!deleted) return fail(deleted.error());
        if (!*deleted) return fail(not_found());
        return p;
      });
  if (!taken) {
    if (taken.error().code == errc::OAuthRequestNotFound) {
      return fc.page(not_found(), req.request_id);
    }
    return fc.page(taken.error(), req.request_id);
  }
  auto pending = PendingParams::from_json(taken->params);
  if (!pending) {
    log::error("pending authorization unreadable", {{"client_id", taken->client_id}});
    return fc.page(Error(errc::ServerInternal), req.request_id);
  }
  const AuthorizationRequest& ar = pending->request;

  // The application may have changed during the login: it must still be this one, active, and
  // still have the redirect URI; otherwise the answer cannot go to it.
  auto app = fc.store().read<store::Application>([&](store::Repositories& r) {
    return r.applications().find_by_client_id(env.id, taken->client_id);
  });
  if (!app && app.error().code != errc::ApplicationNotFound) {
    return fc.page(app.error(), req.request_id);
  }
  if (!app || app->id != taken->application_id) {
    return fc.page(Error(errc::AuthorizeUnknownClient,
                         "The application that started this sign-in no longer exists in this "
                         "environment."),
                   req.request_id);
  }
  if (app->status != "active") {
    return fc.page(Error(errc::AuthorizeClientDisabled,
                         "The application '" + app->name +
                             "' was disabled during this sign-in, so it cannot sign anyone in."),
                   req.request_id);
  }
  if (std::find(app->redirect_uris.begin(), app->redirect_uris.end(), ar.redirect_uri) ==
      app->redirect_uris.end()) {
    return fc.page(Error(errc::AuthorizeRedirectUriMismatch,
                         "The redirect_uri of this sign-in was removed from the application '" +
                             app->name + "' while the user was signing in."),
                   req.request_id);
  }

  auto refuse = [&](std::string error, std::string description) {
    return fc.to_client(pending->issuer,
                        AuthorizationError::to_client(std::move(error), std::move(description),
                                                      ar.redirect_uri, ar.state, ar.response_mode));
  };
  auto session = fc.session_of(env, req);
  if (!session) {
    log::warn("session lookup failed", {{"error", std::string(session.error().code_name())}});
    return refuse("temporarily_unavailable", "the session could not be read; retry");
  }
  const auto verdict = check_session(
      ar, *session, SessionCheck{now, pending->organization_id, taken->created_at_ms});
  if (verdict == SessionVerdict::no_session) {
    return refuse("login_required", "the sign-in did not complete");
  }
  if (verdict != SessionVerdict::satisfied) return refuse("access_denied", describe(verdict));
  return fc.issue_code(pending->issuer, env, *app, ar, **session, req.request_id);
}

}  // namespace gh::oauth
