// The authorization response (RFC 6749 §4.1.2, OAuth 2.0 Form Post Response Mode, RFC 9207):
// success or error, always with `iss`, delivered to the verified redirect URI in the request's
// response mode: a 303 redirect with the parameters in the query, or an auto-submitting HTML
// form (form_post) whose inline script is allowed by a CSP hash.
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "http/message.h"
#include "oauth/authorization_request.h"

namespace gh::oauth {

struct AuthorizationResponse {
  std::string redirect_uri;
  ResponseMode mode = ResponseMode::query;
  std::vector<std::pair<std::string, std::string>> params;  // in order
};

AuthorizationResponse success_response(const AuthorizationRequest& req, const std::string& code,
                                       const std::string& issuer);
// `error` must be a redirectable one (error.redirect).
AuthorizationResponse error_response(const AuthorizationError& error, const std::string& issuer);

// RFC 6749 §4.1.2.1: error_description is %x20-21 / %x23-5B / %x5D-7E; others become '?'.
std::string safe_error_description(std::string_view text);

http::Response render_authorization_response(const AuthorizationResponse& response);

}  // namespace gh::oauth
