// Hosted login per environment: the email-first page, home-realm discovery, the chooser, the
// connection's start, and its callback (domain guard, IdentityResolver, SessionStarter, the
// session cookie, back to the OIDC provider's resume_url). HTTP-free: each call returns a
// LoginStep that routes.cpp renders (a page, a 303, or an auto-posted form) with its cookies.
//
// Cookies (docs/federation.md): `gh_login_{env}_{t}` binds a login transaction to the browser
// that started it ("{organization}.{transaction}", HttpOnly, Path=/{env}/login, 10 minutes; `t`
// is the transaction's first characters, so that logins in parallel tabs each keep their own);
// the callback is refused unless one of them names the transaction the answer belongs to
// (login.browser_mismatch). The session cookie is
// sessions::session_cookie_name(env) (HttpOnly, SameSite=Lax, Path=/{env}/, Secure on https).
#pragma once

#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "catalog/service.h"
#include "core/clock.h"
#include "core/random.h"
#include "federation/connection.h"
#include "federation/connection_service.h"
#include "federation/login_request.h"
#include "identity/login_identity.h"
#include "store/store.h"
#include "tenancy/sealing.h"
#include "tenancy/service.h"

namespace gh::federation {

// The prefix of every login binding cookie of the environment, and one transaction's cookie.
std::string login_cookie_prefix(std::string_view environment_name);
std::string login_cookie_name(std::string_view environment_name, std::string_view transaction_id);

struct LoginStep {
  enum class Kind { page, redirect, auto_post };
  Kind kind = Kind::page;
  int status = 200;
  std::string page;  // template: login_email, chooser, error, test_result
  nlohmann::json view = nlohmann::json::object();
  std::string url;                                        // redirect target / form action
  std::vector<std::pair<std::string, std::string>> form;  // auto_post fields
  std::vector<std::string> set_cookies;                   // Set-Cookie values
};

// The seams hosted login calls; any may be null (login.unavailable).
struct LoginSeams {
  std::shared_ptr<LoginRequestSource> requests;
  std::shared_ptr<identity::IdentityResolver> resolver;
  std::shared_ptr<sessions::SessionStarter> sessions;
};

class HostedLogin {
 public:
  HostedLogin(store::Store& store, tenancy::TenancyService& tenancy, tenancy::Sealing& sealing,
              catalog::CatalogService& catalog, ConnectionService& connections, LoginSeams seams,
              std::string public_url, const Clock& clock = SystemClock::instance(),
              Random& random = SecureRandom::instance());

  // GET /{env}/login?request=ID
  LoginStep show(const store::Environment& env, const std::string& request_id,
                 const std::string& trace_id);
  // POST /{env}/login: request, email, and `connection` when coming from the chooser.
  LoginStep submit(const store::Environment& env, const std::string& request_id,
                   const std::string& email, const std::string& connection_id,
                   const std::string& trace_id);
  // GET /{env}/login/test/{org}/{transaction}: runs a "test connection" login.
  LoginStep start_test(const store::Environment& env, const std::string& org_id,
                       const std::string& transaction_id, const std::string& trace_id);
  // GET|POST /{env}/login/callback/{connection}. `login_cookies`: the values of the browser's
  // login binding cookies (login_cookie_prefix).
  LoginStep callback(const store::Environment& env, const std::string& connection_id,
                     const CallbackParams& params, const std::vector<std::string>& login_cookies,
                     const std::string& trace_id);
  // The test IdP's form (GET /{env}/login/testidp/{connection}?state=...): the view, after
  // checking the signed state names this connection.
  LoginStep test_idp_form(const store::Environment& env, const std::string& connection_id,
                          const std::string& state, const std::string& login_hint,
                          const std::string& trace_id);

  // An error as a page: the stable code, the message, the request id.
  static LoginStep error_page(const Error& error, const std::string& trace_id);

 private:
  // Discovery from an email or a domain (`by_domain`), or from the request's organization.
  LoginStep discover(const store::Environment& env, const LoginRequest& request,
                     const std::string& email, const std::string& domain,
                     const std::string& chosen_connection, const std::string& trace_id);
  LoginStep begin(const store::Environment& env, const store::Connection& connection,
                  const store::LoginTransaction& transaction, const std::string& login_hint,
                  const std::vector<std::string>& acr_values, Trace& trace,
                  const std::string& trace_id, const LoginRequest* request = nullptr);
  LoginStep fail_login(const store::Environment& env, const std::string& org_id,
                       const std::string& connection_id, const std::string& request_id,
                       Trace& trace, const Error& error, const std::string& trace_id);
  // The binding cookie of `transaction` ("{organization}.{transaction}"); max_age 0 clears it.
  std::string login_cookie(const store::Environment& env, const std::string& organization_id,
                           const std::string& transaction_id, int64_t max_age_s) const;
  bool secure_cookies() const { return public_url_.rfind("https://", 0) == 0; }

  store::Store& store_;
  tenancy::TenancyService& tenancy_;
  tenancy::Sealing& sealing_;
  catalog::CatalogService& catalog_;
  ConnectionService& connections_;
  LoginSeams seams_;
  std::string public_url_;
  const Clock& clock_;
  Random& random_;
};

}  // namespace gh::federation
