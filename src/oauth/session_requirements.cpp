#include "oauth/session_requirements.h"

#include <algorithm>

namespace gh::oauth {

std::string prompt_none_error(SessionVerdict v) {
  switch (v) {
    case SessionVerdict::satisfied:
      return "";
    case SessionVerdict::no_session:
    case SessionVerdict::reauthenticate:
    case SessionVerdict::acr_not_met:
      return "login_required";
    case SessionVerdict::select_account:
      return "account_selection_required";
    case SessionVerdict::other_account:
      return "interaction_required";
  }
  return "login_required";
}

std::string describe(SessionVerdict v) {
  switch (v) {
    case SessionVerdict::satisfied:
      return "the session satisfies the request";
    case SessionVerdict::no_session:
      return "no user is signed in";
    case SessionVerdict::reauthenticate:
      return "the user must authenticate again (prompt=login or max_age)";
    case SessionVerdict::acr_not_met:
      return "the session did not reach the essential acr requested";
    case SessionVerdict::other_account:
      return "the session belongs to another organization or connection";
    case SessionVerdict::select_account:
      return "the user must select an account";
  }
  return "";
}

SessionVerdict check_session(const AuthorizationRequest& req,
                             const std::optional<sessions::AuthenticatedSession>& session,
                             const SessionCheck& check) {
  if (!session) return SessionVerdict::no_session;
  const auto& s = *session;
  if (!check.organization_id.empty() && s.organization_id != check.organization_id) {
    return SessionVerdict::other_account;
  }
  if (!req.connection.empty() && s.connection_id != req.connection) {
    return SessionVerdict::other_account;
  }
  // Authenticated during this very request (after the login page): prompt=login and max_age
  // are what that login was for.
  const bool fresh =
      check.authenticated_since_ms && s.auth_time_ms >= *check.authenticated_since_ms;
  if (!check.authenticated_since_ms) {
    if (req.prompt_login) return SessionVerdict::reauthenticate;
    if (req.prompt_select_account) return SessionVerdict::select_account;
  } else if (req.prompt_login && !fresh) {
    return SessionVerdict::reauthenticate;
  }
  // OIDC Core §3.1.2.1: the End-User must have authenticated no more than max_age seconds ago.
  if (req.max_age_s && !fresh && check.now_ms - s.auth_time_ms > *req.max_age_s * 1000) {
    return SessionVerdict::reauthenticate;
  }
  // OIDC Core §5.5.1.1: an essential acr must be one of those asked (any when none are named).
  if (req.acr_essential) {
    const auto& wanted = req.required_acrs();
    if (s.acr.empty()) return SessionVerdict::acr_not_met;
    if (!wanted.empty() && std::find(wanted.begin(), wanted.end(), s.acr) == wanted.end()) {
      return SessionVerdict::acr_not_met;
    }
  }
  return SessionVerdict::satisfied;
}

}  // namespace gh::oauth
