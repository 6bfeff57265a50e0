#include "oauth/authorization_request.h"

#include <algorithm>
#include <map>

#include "oauth/error_codes.h"
#include "tenancy/domain_name.h"

namespace gh::oauth {

namespace {

constexpr size_t kMaxClientId = 255;
constexpr size_t kMaxState = 2048;
constexpr size_t kMaxNonce = 512;
constexpr size_t kMaxHint = 320;
constexpr size_t kMaxClaimsBytes = 8 * 1024;
constexpr size_t kMaxResources = 10;
constexpr size_t kMaxScopes = 50;
constexpr size_t kMaxAcrValues = 10;
constexpr int64_t kMaxMaxAgeS = 10LL * 365 * 24 * 3600;

// Parameters by name. RFC 6749 §3.1: a parameter sent without a value is as if omitted.
using ParamMap = std::map<std::string, std::vector<std::string>, std::less<>>;

ParamMap by_name(const Params& params) {
  ParamMap m;
  for (const auto& [k, v] : params) {
    if (!v.empty()) m[k].push_back(v);
  }
  return m;
}

// RFC 6749 Appendix A: VSCHAR is %x20-7E.
bool is_vschar(std::string_view s) {
  return std::all_of(s.begin(), s.end(), [](char c) { return c >= 0x20 && c <= 0x7e; });
}

// RFC 6749 §3.3: scope-token = 1*( %x21 / %x23-5B / %x5D-7E ).
bool is_scope_token(std::string_view s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) {
    return c == 0x21 || (c >= 0x23 && c <= 0x5b) || (c >= 0x5d && c <= 0x7e);
  });
}

std::vector<std::string> split_spaces(std::string_view s) {
  std::vector<std::string> out;
  size_t i = 0;
  while (i < s.size()) {
    while (i < s.size() && s[i] == ' ') ++i;
    size_t j = i;
    while (j < s.size() && s[j] != ' ') ++j;
    if (j > i) out.emplace_back(s.substr(i, j - i));
    i = j;
  }
  return out;
}

void push_unique(std::vector<std::string>& v, std::string s) {
  if (std::find(v.begin(), v.end(), s) == v.end()) v.push_back(std::move(s));
}

bool is_id_like(std::string_view s) {
  return !s.empty() && s.size() <= 64 && std::all_of(s.begin(), s.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
           c == '_';
  });
}

// RFC 7636 §4.2: BASE64URL(SHA256(verifier)) is 43 characters of [A-Za-z0-9_-].
bool is_s256_challenge(std::string_view s) {
  return s.size() == 43 && std::all_of(s.begin(), s.end(), [](char c) {
           return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                  c == '-' || c == '_';
         });
}

// The single value of `name`, or "" when absent; nullopt when repeated.
std::optional<std::string> single(const ParamMap& m, std::string_view name) {
  auto it = m.find(name);
  if (it == m.end()) return std::string();
  if (it->second.size() != 1) return std::nullopt;
  return it->second.front();
}

// OIDC Core §5.5: {"id_token": {...}, "userinfo": {...}}, each claim null or an object with
// optional essential (boolean), value, values (array). Returns a description of what is wrong.
std::optional<std::string> read_claims(const nlohmann::json& claims, AuthorizationRequest& req) {
  if (!claims.is_object()) return "the claims parameter must be a JSON object";
  for (const auto& [member, requested] : claims.items()) {
    if (member != "id_token" && member != "userinfo") continue;  // §5.5: others are ignored
    if (!requested.is_object()) return "claims." + member + " must be a JSON object";
    for (const auto& [name, spec] : requested.items()) {
      if (spec.is_null()) continue;
      if (!spec.is_object()) {
        return "claims." + member + "." + name + " must be null or a JSON object";
      }
      if (spec.contains("essential") && !spec["essential"].is_boolean()) {
        return "claims." + member + "." + name + ".essential must be true or false";
      }
      if (spec.contains("values") && !spec["values"].is_array()) {
        return "claims." + member + "." + name + ".values must be an array";
      }
      if (name != "acr") continue;
      if (spec.value("essential", false)) req.acr_essential = true;
      if (spec.contains("value")) {
        if (!spec["value"].is_string()) return "claims." + member + ".acr.value must be a string";
        push_unique(req.claims_acr_values, spec["value"].get<std::string>());
      }
      if (spec.contains("values")) {
        for (const auto& v : spec["values"]) {
          if (!v.is_string()) return "claims." + member + ".acr.values must hold strings";
          push_unique(req.claims_acr_values, v.get<std::string>());
        }
      }
    }
  }
  return std::nullopt;
}

}  // namespace

std::string_view response_mode_name(ResponseMode m) {
  return m == ResponseMode::form_post ? "form_post" : "query";
}

bool is_oidc_scope(std::string_view scope) {
  return std::find(std::begin(kOidcScopes), std::end(kOidcScopes), scope) != std::end(kOidcScopes);
}

std::string AuthorizationRequest::scope_string() const {
  std::string out;
  for (const auto& s : scopes) {
    if (!out.empty()) out += ' ';
    out += s;
  }
  return out;
}

bool AuthorizationRequest::has_scope(std::string_view s) const {
  return std::find(scopes.begin(), scopes.end(), s) != scopes.end();
}

nlohmann::json AuthorizationRequest::to_json() const {
  nlohmann::json j = {
      {"client_id", client_id},
      {"redirect_uri", redirect_uri},
      {"response_mode", std::string(response_mode_name(response_mode))},
      {"state", state},
      {"nonce", nonce},
      {"scopes", scopes},
      {"resources", resources},
      {"code_challenge", code_challenge},
      {"code_challenge_method", code_challenge_method},
      {"prompt_none", prompt_none},
      {"prompt_login", prompt_login},
      {"prompt_select_account", prompt_select_account},
      {"login_hint", login_hint},
      {"acr_values", acr_values},
      {"claims", claims},
      {"acr_essential", acr_essential},
      {"claims_acr_values", claims_acr_values},
      {"organization", organization},
      {"connection", connection},
      {"domain_hint", domain_hint},
  };
  j["max_age_s"] = max_age_s ? nlohmann::json(*max_age_s) : nlohmann::json();
  return j;
}

std::optional<AuthorizationRequest> AuthorizationRequest::from_json(const nlohmann::json& j) {
  if (!j.is_object()) return std::nullopt;
  try {
    AuthorizationRequest r;
    r.client_id = j.at("client_id").get<std::string>();
    r.redirect_uri = j.at("redirect_uri").get<std::string>();
    r.response_mode = j.at("response_mode").get<std::string>() == "form_post"
                          ? ResponseMode::form_post
                          : ResponseMode::query;
    r.state = j.at("state").get<std::string>();
    r.nonce = j.at("nonce").get<std::string>();
    r.scopes = j.at("scopes").get<std::vector<std::string>>();
    r.resources = j.at("resources").get<std::vector<std::string>>();
    r.code_challenge = j.at("code_challenge").get<std::string>();
    r.code_challenge_method = j.at("code_challenge_method").get<std::string>();
    r.prompt_none = j.at("prompt_none").get<bool>();
    r.prompt_login = j.at("prompt_login").get<bool>();
    r.prompt_select_account = j.at("prompt_select_account").get<bool>();
    if (!j.at("max_age_s").is_null()) r.max_age_s = j.at("max_age_s").get<int64_t>();
    r.login_hint = j.at("login_hint").get<std::string>();
    r.acr_values = j.at("acr_values").get<std::vector<std::string>>();
    r.claims = j.at("claims");
    r.acr_essential = j.at("acr_essential").get<bool>();
    r.claims_acr_values = j.at("claims_acr_values").get<std::vector<std::string>>();
    r.organization = j.at("organization").get<std::string>();
    r.connection = j.at("connection").get<std::string>();
    r.domain_hint = j.at("domain_hint").get<std::string>();
    if (r.client_id.empty() || r.redirect_uri.empty()) return std::nullopt;
    return r;
  } catch (const nlohmann::json::exception&) {
    return std::nullopt;
  }
}

AuthorizationError AuthorizationError::page(ErrorCode code, std::string message) {
  AuthorizationError e;
  e.redirect = false;
  e.page_code = code;
  e.description = std::move(message);
  return e;
}

AuthorizationError AuthorizationError::to_client(std::string error, std::string description,
                                                 const std::string& redirect_uri,
                                                 const std::string& state, ResponseMode mode) {
  AuthorizationError e;
  e.redirect = true;
  e.error = std::move(error);
  e.description = std::move(description);
  e.redirect_uri = redirect_uri;
  e.state = state;
  e.response_mode = mode;
  return e;
}

bool is_valid_resource_indicator(std::string_view uri) {
  if (uri.empty() || uri.size() > 2048 || !is_vschar(uri)) return false;
  if (uri.find(' ') != std::string_view::npos) return false;
  if (uri.find('#') != std::string_view::npos) return false;  // RFC 8707 §2: no fragment
  // RFC 3986 §4.3 absolute-URI: scheme ":" hier-part; scheme = ALPHA *( ALPHA / DIGIT / + - . ).
  const size_t colon = uri.find(':');
  if (colon == std::string_view::npos || colon == 0 || colon + 1 == uri.size()) return false;
  if (!std::isalpha(static_cast<unsigned char>(uri[0]))) return false;
  for (size_t i = 1; i < colon; ++i) {
    const char c = uri[i];
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '+' && c != '-' && c != '.') {
      return false;
    }
  }
  return true;
}

AuthorizationResult<std::string> requested_client_id(const Params& params) {
  const auto m = by_name(params);
  auto id = single(m, "client_id");
  if (!id) {
    return tl::unexpected(AuthorizationError::page(
        errc::AuthorizeMalformedRequest,
        "The sign-in request carries client_id more than once, so Gatehouse cannot tell which "
        "application sent it."));
  }
  if (id->empty()) {
    return tl::unexpected(AuthorizationError::page(
        errc::AuthorizeMissingClientId,
        "The sign-in request has no client_id. The application that sent you here must add its "
        "client_id to the authorization request."));
  }
  if (id->size() > kMaxClientId || !is_vschar(*id)) {
    return tl::unexpected(AuthorizationError::page(
        errc::AuthorizeUnknownClient,
        "The client_id in the sign-in request is not a valid client identifier."));
  }
  return *id;
}

AuthorizationResult<AuthorizationRequest> validate_authorization_request(
    const Params& params, const store::Application* app, const ResourceResolver& resources) {
  auto client_id = requested_client_id(params);
  if (!client_id) return tl::unexpected(client_id.error());
  if (app == nullptr || app->client_id != *client_id) {
    return tl::unexpected(AuthorizationError::page(
        errc::AuthorizeUnknownClient,
        "No application with client_id '" + *client_id +
            "' exists in this environment. Check the client_id the application is configured "
            "with, and that it points at the right environment (sandbox or production)."));
  }
  if (app->status != "active") {
    return tl::unexpected(AuthorizationError::page(
        errc::AuthorizeClientDisabled,
        "The application '" + app->name +
            "' is disabled in this environment, so it cannot sign anyone in. An administrator "
            "can enable it again in the admin portal or API."));
  }

  const auto m = by_name(params);
  auto redirect_uri = single(m, "redirect_uri");
  if (!redirect_uri) {
    return tl::unexpected(AuthorizationError::page(
        errc::AuthorizeMalformedRequest,
        "The sign-in request carries redirect_uri more than once, so Gatehouse cannot tell "
        "where to send the answer."));
  }
  if (redirect_uri->empty()) {
    return tl::unexpected(AuthorizationError::page(
        errc::AuthorizeMissingRedirectUri,
        "The sign-in request from '" + app->name +
            "' has no redirect_uri. The application must send one of its registered redirect "
            "URIs."));
  }
  // RFC 9700 §4.1.3 and §2.1: exact string comparison, no normalisation (case, trailing slash,
  // default port and percent-encoding differences are all mismatches).
  if (std::find(app->redirect_uris.begin(), app->redirect_uris.end(), *redirect_uri) ==
      app->redirect_uris.end()) {
    return tl::unexpected(AuthorizationError::page(
        errc::AuthorizeRedirectUriMismatch,
        "The redirect_uri '" + *redirect_uri + "' is not registered for the application '" +
            app->name +
            "'. Redirect URIs must match a registered URI exactly, character for character "
            "(including upper/lower case, a trailing slash and the port). Register this URI on "
            "the application or fix the one the application sends."));
  }

  // From here on the redirect URI is the client's own: errors go back to it (RFC 6749 §4.1.2.1).
  AuthorizationRequest req;
  req.client_id = *client_id;
  req.redirect_uri = *redirect_uri;
  auto state = single(m, "state");
  if (state && state->size() <= kMaxState && is_vschar(*state)) req.state = *state;

  auto response_mode = single(m, "response_mode");
  auto err = [&](std::string error, std::string description) {
    return tl::unexpected(AuthorizationError::to_client(
        std::move(error), std::move(description), req.redirect_uri, req.state, req.response_mode));
  };
  if (!response_mode) return err("invalid_request", "response_mode is repeated");
  if (*response_mode == "form_post") {
    req.response_mode = ResponseMode::form_post;
  } else if (!response_mode->empty() && *response_mode != "query") {
    return err("invalid_request", "response_mode must be query or form_post");
  }
  if (!state) return err("invalid_request", "state is repeated");
  if (state->size() > kMaxState || !is_vschar(*state)) {
    return err("invalid_request", "state is longer than 2048 characters or not printable ASCII");
  }

  // RFC 6749 §3.1: no parameter more than once (resource excepted: RFC 8707 §2).
  for (const auto& [name, values] : m) {
    if (values.size() > 1 && name != "resource")
      return err("invalid_request", name + " is repeated");
  }
  // OIDC Core §6: request objects are not supported.
  if (m.count("request")) return err("request_not_supported", "request objects are not supported");
  if (m.count("request_uri")) {
    return err("request_uri_not_supported", "request_uri is not supported");
  }

  // Code flow only: no implicit, no hybrid (RFC 9700 §2.1.2).
  const std::string response_type = *single(m, "response_type");
  if (response_type.empty()) return err("invalid_request", "response_type is required");
  if (response_type != "code") {
    return err("unsupported_response_type", "only response_type=code is supported");
  }
  if (std::find(app->grant_types.begin(), app->grant_types.end(), "authorization_code") ==
      app->grant_types.end()) {
    return err("unauthorized_client",
               "the application is not allowed the authorization_code grant");
  }

  // scope: openid required (this is an OpenID Provider).
  const std::string scope = *single(m, "scope");
  for (auto& s : split_spaces(scope)) {
    if (!is_scope_token(s)) return err("invalid_scope", "scope holds a character not allowed");
    push_unique(req.scopes, std::move(s));
  }
  if (req.scopes.size() > kMaxScopes) return err("invalid_scope", "too many scopes");
  if (!req.has_scope("openid")) return err("invalid_scope", "scope must include openid");

  // resource (RFC 8707): absolute URIs without fragment, known in this environment.
  std::vector<RequestableResource> requested;
  if (auto it = m.find("resource"); it != m.end()) {
    for (const auto& r : it->second) {
      if (!is_valid_resource_indicator(r)) {
        return err("invalid_target", "resource must be an absolute URI without a fragment");
      }
      if (std::find(req.resources.begin(), req.resources.end(), r) != req.resources.end()) {
        continue;
      }
      auto found = resources ? resources(r) : std::nullopt;
      if (!found) return err("invalid_target", "resource is not an API of this environment");
      req.resources.push_back(r);
      requested.push_back(std::move(*found));
    }
  }
  if (req.resources.size() > kMaxResources) return err("invalid_target", "too many resources");
  for (const auto& s : req.scopes) {
    if (is_oidc_scope(s)) continue;
    if (requested.empty()) {
      return err("invalid_scope",
                 "scope " + s + " is not an OpenID scope; permissions need a resource parameter");
    }
    const bool known = std::any_of(requested.begin(), requested.end(), [&](const auto& r) {
      return std::find(r.permissions.begin(), r.permissions.end(), s) != r.permissions.end();
    });
    if (!known) {
      return err("invalid_scope", "scope " + s + " is not a permission of the requested resource");
    }
  }

  // PKCE (RFC 7636, RFC 9700 §2.1.1): S256 only; required unless a confidential application
  // waives it (OpenID Basic profile clients).
  const std::string challenge = *single(m, "code_challenge");
  const std::string method = *single(m, "code_challenge_method");
  const bool pkce_required = app->pkce_required || app->type != "confidential";
  if (!method.empty() && method != "S256") {
    return err("invalid_request", method == "plain"
                                      ? "code_challenge_method plain is not allowed; use S256"
                                      : "code_challenge_method must be S256");
  }
  if (!challenge.empty()) {
    // RFC 7636 §4.3: without a method the method is plain, which is refused.
    if (method.empty()) {
      return err("invalid_request",
                 "code_challenge_method is required and must be S256 (plain is not allowed)");
    }
    if (!is_s256_challenge(challenge)) {
      return err("invalid_request", "code_challenge must be 43 base64url characters (S256)");
    }
    req.code_challenge = challenge;
    req.code_challenge_method = method;
  } else if (!method.empty()) {
    return err("invalid_request", "code_challenge_method without code_challenge");
  } else if (pkce_required) {
    return err("invalid_request", "code_challenge is required (PKCE with S256)");
  }

  req.nonce = *single(m, "nonce");
  if (req.nonce.size() > kMaxNonce || !is_vschar(req.nonce)) {
    return err("invalid_request", "nonce is longer than 512 characters or not printable ASCII");
  }

  // prompt (OIDC Core §3.1.2.1): none must stand alone.
  const auto prompts = split_spaces(*single(m, "prompt"));
  for (const auto& p : prompts) {
    if (p == "none") {
      req.prompt_none = true;
    } else if (p == "login") {
      req.prompt_login = true;
    } else if (p == "select_account") {
      req.prompt_select_account = true;
    } else if (p == "consent") {
      // Gatehouse's applications are the SaaS team's own: there is no consent screen to show,
      // so consent is always given.
    } else {
      return err("invalid_request", "prompt must be none, login, consent or select_account");
    }
  }
  if (req.prompt_none && prompts.size() > 1) {
    return err("invalid_request", "prompt=none cannot be combined with other prompt values");
  }

  if (const std::string max_age = *single(m, "max_age"); !max_age.empty()) {
    if (max_age.size() > 12 ||
        !std::all_of(max_age.begin(), max_age.end(), [](char c) { return c >= '0' && c <= '9'; })) {
      return err("invalid_request", "max_age must be a non-negative number of seconds");
    }
    const int64_t v = std::stoll(max_age);
    if (v > kMaxMaxAgeS) return err("invalid_request", "max_age is too large");
    req.max_age_s = v;
  }

  req.login_hint = *single(m, "login_hint");
  if (req.login_hint.size() > kMaxHint || !is_vschar(req.login_hint)) {
    return err("invalid_request", "login_hint is longer than 320 characters or not printable");
  }
  for (auto& a : split_spaces(*single(m, "acr_values"))) {
    if (a.size() > 256 || !is_vschar(a)) return err("invalid_request", "acr_values is malformed");
    push_unique(req.acr_values, std::move(a));
  }
  if (req.acr_values.size() > kMaxAcrValues) return err("invalid_request", "too many acr_values");

  if (const std::string claims = *single(m, "claims"); !claims.empty()) {
    if (claims.size() > kMaxClaimsBytes) return err("invalid_request", "claims is too large");
    auto parsed = nlohmann::json::parse(claims, nullptr, false);
    if (parsed.is_discarded()) return err("invalid_request", "claims is not valid JSON");
    if (auto bad = read_claims(parsed, req)) return err("invalid_request", *bad);
    req.claims = std::move(parsed);
  }

  req.organization = *single(m, "organization");
  if (!req.organization.empty() && !is_id_like(req.organization)) {
    return err("invalid_request", "organization must be an organization id or slug");
  }
  req.connection = *single(m, "connection");
  if (!req.connection.empty() && !is_id_like(req.connection)) {
    return err("invalid_request", "connection must be a connection id");
  }
  if (const std::string domain = *single(m, "domain_hint"); !domain.empty()) {
    auto normalized = tenancy::normalize_domain(domain);
    if (!normalized) return err("invalid_request", "domain_hint must be a domain name");
    req.domain_hint = *normalized;
  }
  return req;
}

}  // namespace gh::oauth
