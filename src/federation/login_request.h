// The seam between the OIDC provider (oauth/) and hosted login (federation/, ui/): what an
// authorization request asks of a login. The OIDC provider keeps the pending authorization
// request and implements LoginRequestSource; hosted login reads it by id, runs home-realm
// discovery and the connection, creates the session, and sends the browser to `resume_url`.
// federation/ never depends on oauth/: app/ wires the implementation in.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"

namespace gh::federation {

struct LoginRequest {
  std::string environment_id;
  std::string id;  // the pending authorization request (opaque, unguessable)
  std::string client_id;
  std::string client_name;  // shown on the login page
  // Hints and constraints from the authorization request.
  std::string login_hint;       // OIDC login_hint (an email when it looks like one)
  std::string domain_hint;      // Gatehouse: skip the email step, discover by domain
  std::string organization_id;  // Gatehouse `organization`: only this organization's connections
  std::string connection_id;    // Gatehouse `connection`: start this connection directly
  // Authentication level: acr_values in preference order; essential when the `claims` parameter
  // marks acr essential (then a login that cannot reach one of them fails).
  std::vector<std::string> acr_values;
  bool acr_essential = false;
  bool force_authn = false;  // prompt=login, or max_age exceeded by the existing session
  std::optional<int64_t> max_age_s;
  bool select_account = false;  // prompt=select_account
  // Absolute URL of the OIDC provider's resume step for this request; hosted login redirects
  // the browser there (303) once the session cookie is set.
  std::string resume_url;
  int64_t expires_at_ms = 0;
};

class LoginRequestSource {
 public:
  virtual ~LoginRequestSource() = default;
  // login.request_not_found when unknown, expired or of another environment.
  virtual Result<LoginRequest> find(std::string_view environment_id, std::string_view id) = 0;
};

}  // namespace gh::federation
