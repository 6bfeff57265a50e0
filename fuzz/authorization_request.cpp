// Any query string at /oauth2/authorize: the parser never crashes, and what it accepts keeps the
// endpoint's promises (an exact registered redirect URI, response_type=code, PKCE S256 unless
// the application waived it, only requestable scopes and resources) and survives the round trip
// through a pending request (to_json / from_json).
#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "oauth/authorization_request.h"

namespace {

gh::store::Application application(bool waive_pkce) {
  gh::store::Application app;
  app.client_id = "gh_app_fuzz";
  app.redirect_uris = {"https://app.example/callback", "http://127.0.0.1:3000/cb"};
  app.pkce_required = !waive_pkce;
  return app;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const bool waive_pkce = data[0] & 1;
  const std::string_view in(reinterpret_cast<const char*>(data + 1), size - 1);
  auto params = gh::parse_query(in);
  if (!params) return 0;
  (void)gh::oauth::requested_client_id(*params);
  const auto app = application(waive_pkce);
  auto resources = [](std::string_view id) -> std::optional<gh::oauth::RequestableResource> {
    if (id != "https://api.example") return std::nullopt;
    return gh::oauth::RequestableResource{std::string(id), {"read", "write"}};
  };
  auto r = gh::oauth::validate_authorization_request(*params, &app, resources);
  (void)gh::oauth::validate_authorization_request(*params, nullptr, resources);
  if (!r) {
    // A redirect goes only to a registered URI.
    if (r.error().redirect && std::find(app.redirect_uris.begin(), app.redirect_uris.end(),
                                        r.error().redirect_uri) == app.redirect_uris.end()) {
      std::abort();
    }
    return 0;
  }
  const auto& req = *r;
  if (std::find(app.redirect_uris.begin(), app.redirect_uris.end(), req.redirect_uri) ==
      app.redirect_uris.end()) {
    std::abort();
  }
  if (!waive_pkce && req.code_challenge_method != "S256") std::abort();
  if (!req.code_challenge_method.empty() && req.code_challenge_method != "S256") std::abort();
  for (const auto& res : req.resources) {
    if (res != "https://api.example") std::abort();
  }
  for (const auto& s : req.scopes) {
    if (!gh::oauth::is_oidc_scope(s) && s != "read" && s != "write") std::abort();
  }
  auto back = gh::oauth::AuthorizationRequest::from_json(req.to_json());
  if (!back || back->to_json() != req.to_json()) std::abort();
  return 0;
}
