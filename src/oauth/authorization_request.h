// The authorization request (OpenID Connect Core §3.1.2.1, RFC 6749 §4.1.1), parsed once at the
// edge into a typed struct and checked against the application. Pure: no store, no clock.
//
// Two steps, because RFC 6749 §4.1.2.1 forbids redirecting before the client and its redirect
// URI are known to be right:
//   1. requested_client_id(): the client_id, or an error for the page;
//   2. validate_authorization_request(): with the application the endpoint looked up, either a
//      valid request or an AuthorizationError that is either for the page (client or redirect
//      URI wrong) or for the redirect URI (everything else, with state and iss).
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>
#include <tl/expected.hpp>

#include "core/encoding.h"
#include "core/error.h"
#include "store/applications.h"

namespace gh::oauth {

enum class ResponseMode { query, form_post };
std::string_view response_mode_name(ResponseMode m);

// The scopes Gatehouse defines itself; every other scope names a resource's permission.
inline constexpr std::string_view kOidcScopes[] = {"openid", "profile", "email", "offline_access"};
bool is_oidc_scope(std::string_view scope);

struct AuthorizationRequest {
  std::string client_id;
  std::string redirect_uri;
  ResponseMode response_mode = ResponseMode::query;
  std::string state;
  std::string nonce;
  std::vector<std::string> scopes;     // in request order, without duplicates
  std::vector<std::string> resources;  // RFC 8707 resource indicators, without duplicates
  std::string code_challenge;          // "" only when the application waives PKCE
  std::string code_challenge_method;   // "S256" or ""
  bool prompt_none = false;
  bool prompt_login = false;
  bool prompt_select_account = false;
  std::optional<int64_t> max_age_s;
  std::string login_hint;
  std::vector<std::string> acr_values;  // the acr_values parameter, in preference order
  // The `claims` parameter (OIDC Core §5.5) as given, or null.
  nlohmann::json claims;
  // acr requested as essential in `claims` (id_token or userinfo member); then the session's
  // acr must be one of required_acrs() (or merely present when that list is empty).
  bool acr_essential = false;
  std::vector<std::string> claims_acr_values;  // acr "value"/"values" from `claims`
  std::string organization;                    // Gatehouse: organization id or slug, as given
  std::string connection;                      // Gatehouse: connection id
  std::string domain_hint;                     // Gatehouse: normalized domain

  // The acr values a session must reach when acr is essential: those of `claims` when it
  // names any, else acr_values.
  const std::vector<std::string>& required_acrs() const {
    return claims_acr_values.empty() ? acr_values : claims_acr_values;
  }
  std::string scope_string() const;  // space-separated
  bool has_scope(std::string_view s) const;

  nlohmann::json to_json() const;
  // The inverse of to_json (what a pending request stored); nullopt if it is not that shape.
  static std::optional<AuthorizationRequest> from_json(const nlohmann::json& j);
};

// A failed authorization request: shown on a page, or sent to the (verified) redirect URI.
struct AuthorizationError {
  bool redirect = false;
  // The page: a stable code of the catalog and a message for the IT admin.
  ErrorCode page_code = errc::ServerInternal;
  // The redirect: an error name from RFC 6749 §4.1.2.1 / OIDC Core §3.1.2.6 / RFC 8707.
  std::string error;
  std::string description;  // error_description (ASCII, no secrets) or the page's message
  std::string redirect_uri;
  std::string state;
  ResponseMode response_mode = ResponseMode::query;

  static AuthorizationError page(ErrorCode code, std::string message);
  static AuthorizationError to_client(std::string error, std::string description,
                                      const std::string& redirect_uri, const std::string& state,
                                      ResponseMode mode);
};

template <class T>
using AuthorizationResult = tl::expected<T, AuthorizationError>;

// A resource indicator the application may ask for: its permissions that may be requested as
// scopes. nullopt from the resolver: no such resource in this environment.
struct RequestableResource {
  std::string identifier;
  std::vector<std::string> permissions;
};
using ResourceResolver =
    std::function<std::optional<RequestableResource>(std::string_view identifier)>;

// Step 1: the client_id (one, non-empty, printable), else a page error.
AuthorizationResult<std::string> requested_client_id(const Params& params);

// Step 2. `app` is the application find_by_client_id returned (nullptr: unknown client).
AuthorizationResult<AuthorizationRequest> validate_authorization_request(
    const Params& params, const store::Application* app, const ResourceResolver& resources);

// RFC 8707 §2: an absolute URI without a fragment.
bool is_valid_resource_indicator(std::string_view uri);

}  // namespace gh::oauth
