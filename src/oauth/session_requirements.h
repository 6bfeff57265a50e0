// Whether the browser's session satisfies an authorization request (OIDC Core §3.1.2.1 prompt,
// max_age, acr; Gatehouse's organization and connection). Pure: the clock is a parameter.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "oauth/authorization_request.h"
#include "sessions/session_lookup.h"

namespace gh::oauth {

enum class SessionVerdict {
  satisfied,
  no_session,      // nobody is signed in
  reauthenticate,  // prompt=login, or max_age exceeded: the user must authenticate again
  acr_not_met,     // acr is essential and the session's acr is not among those asked
  other_account,   // the session is of another organization or connection
  select_account,  // prompt=select_account: the user chooses at the login page
};

// The OIDC error for prompt=none (OIDC Core §3.1.2.6) when the verdict is not `satisfied`.
std::string prompt_none_error(SessionVerdict v);
// A short, ASCII description of why the session does not satisfy the request.
std::string describe(SessionVerdict v);

struct SessionCheck {
  int64_t now_ms = 0;
  // The organization the request (or an organization-scoped application) requires, resolved to
  // its id ("" = any).
  std::string organization_id;
  // After the login (the resume step): when the user authenticated during this request
  // (auth_time at or after this instant), prompt=login and max_age are met by that login.
  std::optional<int64_t> authenticated_since_ms;
};

SessionVerdict check_session(const AuthorizationRequest& req,
                             const std::optional<sessions::AuthenticatedSession>& session,
                             const SessionCheck& check);

}  // namespace gh::oauth
