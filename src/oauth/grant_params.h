// The JSON the store keeps beside a code (written by the authorization endpoint's resume step)
// and beside each refresh token, parsed once into a struct.
//   code:    {"scope": "openid email invoices:read", "resources": ["https://api..."],
//             "nonce", "code_challenge", "code_challenge_method", "acr", "amr": [..],
//             "auth_time": <seconds>, "claims": {..}}
//   refresh: {"scope", "resources", "acr", "amr", "auth_time", "dpop_jkt" (when bound)}
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

namespace gh::oauth {

struct GrantParams {
  std::vector<std::string> scopes;
  std::vector<std::string> resources;
  std::string nonce;
  std::string code_challenge;
  std::string code_challenge_method;
  std::string acr;
  std::vector<std::string> amr;
  int64_t auth_time_s = 0;
  nlohmann::json claims;  // the OIDC claims request, or null
  // RFC 9449 §5: the DPoP key a public client's refresh family is bound to ("" = unbound).
  std::string dpop_jkt;
};

// nullopt when the text is not a JSON object of that shape.
std::optional<GrantParams> parse_grant_params(const std::string& text);
std::string code_params_json(const GrantParams& p);
std::string refresh_params_json(const GrantParams& p);

}  // namespace gh::oauth
