// The seam through which the OIDC provider (oauth/) sees the browser's authenticated session.
// Sessions are created by hosted login when a connection's login finishes (federation/);
// issue 7 adds revocation fan-out and logout on the same rows.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"

namespace gh::sessions {

// The session cookie (HttpOnly, SameSite=Lax, Path=/{env}/, Secure when public_url is https).
// Its value is a typed secret (gh_ss_<lookup>_<secret>, tenancy/secrets.h), stored hashed.
inline std::string session_cookie_name(std::string_view environment_name) {
  return "gh_session_" + std::string(environment_name);
}

struct AuthenticatedSession {
  std::string sid;  // the session id: `sid` in ID tokens and logout tokens
  std::string environment_id;
  std::string organization_id;
  std::string user_id;
  std::string connection_id;
  int64_t auth_time_ms = 0;      // when the user last actually authenticated at the IdP
  std::string acr;               // achieved, never merely requested
  std::vector<std::string> amr;  // achieved methods (RFC 8176 values)
  int64_t expires_at_ms = 0;     // min(idle, absolute)
};

class SessionLookup {
 public:
  virtual ~SessionLookup() = default;
  // The live session the cookie value names in this environment; nullopt when the cookie is
  // absent, malformed, unknown, expired, revoked, or its user is no longer active. Touches the
  // idle timer.
  virtual Result<std::optional<AuthenticatedSession>> from_cookie(
      std::string_view environment_id, std::string_view cookie_value) = 0;
  // Records that `client_id` received tokens in this session (back-channel logout, issue 7).
  virtual Result<bool> add_client(std::string_view environment_id, std::string_view organization_id,
                                  std::string_view sid, std::string_view client_id) = 0;
  // RP-initiated logout (issue 7): ends the session through the revocation fan-out (reason
  // "logout"), with its audit record. False when it was not live. session.not_found for
  // another organization's sid.
  virtual Result<bool> end(std::string_view environment_id, std::string_view organization_id,
                           std::string_view sid, std::string_view client_id,
                           std::string_view request_id, std::string_view source_ip) {
    (void)environment_id, (void)organization_id, (void)sid, (void)client_id, (void)request_id,
        (void)source_ip;
    return false;
  }
};

}  // namespace gh::sessions
