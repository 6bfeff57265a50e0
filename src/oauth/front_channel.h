// The OIDC provider's front channel: what the browser-facing endpoints share.
//
//   GET|POST /{env}/oauth2/authorize          authorize_endpoint.cpp
//   GET      /{env}/oauth2/authorize/resume   resume.cpp (hosted login sends the browser here)
//   GET|POST /{env}/o/{org}/oauth2/authorize  the same for an organization with an issuer of
//                                             its own: the organization pinned, `iss` its own
//
// A request is validated (authorization_request.h); a live session that satisfies it
// (session_requirements.h) gets a code at once (authorization_code.h); otherwise the request
// is kept as a PendingAuthorization (10 minutes, single use) and the browser goes to the hosted
// login page, which reads it through PendingLoginRequests (login_request_source.h) and returns
// to the resume step once the session cookie is set. Answers go to the client in its response
// mode (response_mode.h) with `iss`; what cannot go to the client is shown on a page
// (error_page.h).
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "core/clock.h"
#include "core/random.h"
#include "http/message.h"
#include "http/router.h"
#include "oauth/authorization_request.h"
#include "sessions/session_lookup.h"
#include "store/store.h"
#include "tenancy/environment_cache.h"

namespace gh::oauth {

class TokenSigner;

inline constexpr int64_t kPendingAuthorizationTtlMs = 10 * 60 * 1000;

struct FrontChannelOptions {
  store::Store& store;
  sessions::SessionLookup& sessions;
  std::string public_url;  // issuers are {public_url}/{env}
  const Clock& clock = SystemClock::instance();
  Random& random = SecureRandom::instance();
  // Whose issuer an organization signs under (null: every request is the environment's).
  std::shared_ptr<TokenSigner> signer = nullptr;
};

// The issuer a sign-in request was made to: the environment's, or an organization's own
// (organization_id set), which pins the organization and is the `iss` of every answer.
struct RequestIssuer {
  std::string url;
  std::string organization_id;
};

// What a pending authorization request stores (PendingAuthorization::params): the validated
// request and what the authorization endpoint decided about it.
struct PendingParams {
  AuthorizationRequest request;
  std::string organization_id;  // required organization, resolved ("" = any)
  bool force_authn = false;     // prompt=login, or the existing session was too old
  std::string issuer;           // the issuer the request was made to (`iss` of the answer)

  nlohmann::json to_json() const;
  static std::optional<PendingParams> from_json(std::string_view text);
};

class FrontChannel {
 public:
  explicit FrontChannel(FrontChannelOptions options);

  store::Store& store() { return store_; }
  sessions::SessionLookup& sessions() { return sessions_; }
  const Clock& clock() const { return clock_; }
  Random& random() { return random_; }

  std::string issuer(const store::Environment& env) const;  // {public_url}/{env}
  RequestIssuer environment_issuer(const store::Environment& env) const {
    return {issuer(env), ""};
  }
  // The issuer of an organization that has one of its own; key.issuer_not_found otherwise
  // (also for an unknown organization).
  Result<RequestIssuer> organization_issuer(const store::Environment& env,
                                            std::string_view organization_id);
  std::string login_url(const store::Environment& env, std::string_view request_id) const;
  static std::string resume_url(std::string_view issuer, std::string_view request_id);

  // The browser's live session in `env` (from the cookie session_cookie_name(env)); nullopt
  // when there is none.
  Result<std::optional<sessions::AuthenticatedSession>> session_of(const store::Environment& env,
                                                                   const http::Request& req);

  // Issues a code for `req` in `session` (add_client, then the code row) and answers the client
  // with code, state and iss; an error goes to the client as server_error.
  http::Response issue_code(std::string_view issuer, const store::Environment& env,
                            const store::Application& app, const AuthorizationRequest& req,
                            const sessions::AuthenticatedSession& session,
                            std::string_view request_id);

  // The answers, with `iss` = `issuer`.
  http::Response to_client(std::string_view issuer, const AuthorizationError& error) const;
  http::Response page(const Error& error, std::string_view request_id) const;

 private:
  store::Store& store_;
  sessions::SessionLookup& sessions_;
  std::string public_url_;
  const Clock& clock_;
  Random& random_;
  std::shared_ptr<TokenSigner> signer_;
};

// The value of cookie `name` in the request's Cookie header(s); nullopt when absent.
std::optional<std::string> cookie_value(const http::Request& req, std::string_view name);

// GET|POST /{env}/oauth2/authorize, and /{env}/o/{org}/oauth2/authorize with `issuer` the
// organization's own.
http::Response authorize_endpoint(FrontChannel& fc, const store::Environment& env,
                                  const RequestIssuer& issuer, const http::Request& req);
// GET /{env}/oauth2/authorize/resume?request={id}
http::Response resume_endpoint(FrontChannel& fc, const store::Environment& env,
                               const http::Request& req);

void add_front_channel_routes(http::Router& router, tenancy::EnvironmentCache& environments,
                              std::shared_ptr<FrontChannel> fc);

}  // namespace gh::oauth
