// The OAuth endpoints' errors: RFC 6749 §5.2 names (plus RFC 8707's invalid_target), with a
// description for the developer. Never a secret, a code or a token in the description.
#pragma once

#include <string>
#include <tl/expected.hpp>

#include "http/message.h"

namespace gh::oauth {

struct OAuthError {
  std::string error;        // invalid_request, invalid_client, invalid_grant, ...
  std::string description;  // error_description
  int status = 400;
  // RFC 6749 §5.2: a client that tried HTTP Basic gets 401 with WWW-Authenticate.
  bool basic_challenge = false;
};

template <class T>
using OAuthResult = tl::expected<T, OAuthError>;

inline tl::unexpected<OAuthError> oauth_fail(std::string error, std::string description,
                                             int status = 400) {
  return tl::unexpected<OAuthError>(OAuthError{std::move(error), std::move(description), status});
}
inline tl::unexpected<OAuthError> oauth_fail(OAuthError e) {
  return tl::unexpected<OAuthError>(std::move(e));
}

inline OAuthError invalid_request(std::string d) { return {"invalid_request", std::move(d)}; }
inline OAuthError invalid_client(std::string d) { return {"invalid_client", std::move(d), 401}; }
inline OAuthError invalid_grant(std::string d) { return {"invalid_grant", std::move(d)}; }
inline OAuthError unauthorized_client(std::string d) {
  return {"unauthorized_client", std::move(d)};
}
inline OAuthError unsupported_grant_type(std::string d) {
  return {"unsupported_grant_type", std::move(d)};
}
inline OAuthError invalid_scope(std::string d) { return {"invalid_scope", std::move(d)}; }
inline OAuthError invalid_target(std::string d) { return {"invalid_target", std::move(d)}; }
inline OAuthError server_error(std::string d) { return {"server_error", std::move(d), 500}; }

// {"error":..,"error_description":..} with Cache-Control: no-store (RFC 6749 §5.1/§5.2).
http::Response error_response(const OAuthError& e);
// A successful JSON answer that must not be cached (tokens, introspection).
http::Response no_store_json(int status, const nlohmann::json& body);

}  // namespace gh::oauth
