#include "oauth/oauth_error.h"

namespace gh::oauth {

http::Response no_store_json(int status, const nlohmann::json& body) {
  auto res = http::Response::json(status, body);
  res.set_header("Cache-Control", "no-store");
  res.set_header("Pragma", "no-cache");
  return res;
}

http::Response error_response(const OAuthError& e) {
  nlohmann::json body = {{"error", e.error}};
  if (!e.description.empty()) body["error_description"] = e.description;
  auto res = no_store_json(e.status, body);
  if (e.basic_challenge) res.set_header("WWW-Authenticate", "Basic realm=\"oauth2\"");
  return res;
}

}  // namespace gh::oauth
