#include "federation/oidc/oidc_connection.h"

#include <openssl/evp.h>

#include <algorithm>

#include "core/encoding.h"
#include "core/ids.h"
#include "federation/attributes.h"
#include "federation/error_codes.h"
#include "federation/oidc/client_key.h"
#include "federation/oidc/error_codes.h"
#include "federation/signed_state.h"
#include "http/client.h"
#include "tenancy/sealing.h"
#include "tenancy/secrets.h"

namespace gh::federation::oidc {

namespace {

constexpr std::string_view kStateLabel = "gatehouse.oidc.state.v1:";
constexpr std::string_view kPkceLabel = "gatehouse.oidc.pkce.v1:";
constexpr std::string_view kSecretTable = "connections";
constexpr std::string_view kSecretColumn = "client_secret";

Error invalid(const std::string& field, const std::string& message) {
  Error e(errc::ConnectionInvalid, message);
  e.extra["field"] = field;
  return e;
}

std::string sha256(std::string_view in) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  EVP_Digest(in.data(), in.size(), digest, &len, EVP_sha256(), nullptr);
  return std::string(reinterpret_cast<const char*>(digest), len);
}

std::string join(const std::vector<std::string>& v, const char* sep = " ") {
  std::string out;
  for (const auto& s : v) out += (out.empty() ? "" : sep) + s;
  return out;
}

std::string form_encode(const std::vector<std::pair<std::string, std::string>>& fields) {
  std::string out;
  for (const auto& [k, v] : fields) {
    out += (out.empty() ? "" : "&") + percent_encode(k) + "=" + percent_encode(v);
  }
  return out;
}

std::string str(const nlohmann::json& s, const char* name) {
  return s.is_object() && s.contains(name) && s[name].is_string() ? s[name].get<std::string>() : "";
}

const std::vector<std::string>& known_settings() {
  static const std::vector<std::string> v = {
      "discovery_url", "issuer", "authorization_endpoint", "token_endpoint", "jwks_uri",
      "userinfo_endpoint", "client_id", "client_secret", "token_endpoint_auth_method", "scopes",
      "use_userinfo", "tenant_id", "preset", "acr_enforcement", "client_assertion_audience",
      // Written by validate(), never accepted from the API as such:
      "client_secret_sealed", "secret_ref", "metadata", "metadata_fetched_at_ms",
      "redirect_uri_base", "client_key", "client_jwks_uri", "metadata_refresh_error"};
  return v;
}

crypto::SealContext secret_context(const std::string& env, const std::string& org,
                                   const std::string& ref) {
  return {env, org, kSecretTable, ref, kSecretColumn};
}

// The OIDC members of a verified state: a (acr values), x (acr essential), m (max_age).
StateClaims claims_of(const SignedState& s) {
  StateClaims c;
  c.organization_id = s.organization_id;
  c.connection_id = s.connection_id;
  c.transaction_id = s.transaction_id;
  c.transaction_state = s.transaction_state;
  c.expires_at_ms = s.expires_at_ms;
  const auto& x = s.extra;
  if (x.contains("a") && x["a"].is_array()) {
    for (const auto& v : x["a"]) {
      if (v.is_string()) c.acr_values.push_back(v.get<std::string>());
    }
  }
  c.acr_essential = x.contains("x") && x["x"].is_boolean() && x["x"].get<bool>();
  if (x.contains("m") && x["m"].is_number_integer()) c.max_age_s = x["m"].get<int64_t>();
  return c;
}

std::vector<jose::Alg> allowed_algs(const ProviderMetadata& m) {
  std::vector<jose::Alg> out;
  for (const auto& name : m.id_token_signing_alg_values_supported) {
    auto a = jose::parse_alg(name);  // "none" and HS* never parse
    if (a && jose::is_signing_alg(*a)) out.push_back(*a);
  }
  return out;
}

}  // namespace

const nlohmann::json& preset_claims(std::string_view preset) {
  static const nlohmann::json none = nlohmann::json::object();
  static const nlohmann::json okta = {{"username", "preferred_username"}, {"groups", "groups"}};
  // Entra ID: email is optional and unverified by design; the UPN is in preferred_username.
  static const nlohmann::json entra = {
      {"username", "preferred_username"}, {"groups", "groups"}, {"employee_number", "employeeid"}};
  static const nlohmann::json google = {{"username", "email"}};
  static const nlohmann::json auth0 = {{"username", "nickname"}};
  static const nlohmann::json keycloak = {{"username", "preferred_username"}, {"groups", "groups"}};
  if (preset == "okta") return okta;
  if (preset == "entra_id") return entra;
  if (preset == "google_workspace") return google;
  if (preset == "auth0") return auth0;
  if (preset == "keycloak") return keycloak;
  return none;
}

std::string sign_state(const ConnectionDeps& deps, const StateClaims& c) {
  SignedState state{c.organization_id,   c.connection_id, c.transaction_id,
                    c.transaction_state, c.expires_at_ms, nlohmann::json::object()};
  // What the application required travels with the state (nothing extra is stored).
  if (!c.acr_values.empty()) state.extra["a"] = c.acr_values;
  if (c.acr_essential) state.extra["x"] = true;
  if (c.max_age_s) state.extra["m"] = *c.max_age_s;
  return federation::sign_state(deps.server_key, kStateLabel, state);
}

Result<StateClaims> verify_state(const ConnectionDeps& deps, std::string_view token) {
  auto s = federation::verify_state(deps.server_key, kStateLabel, token, deps.clock.now_ms());
  if (!s) return fail(s.error());
  return claims_of(*s);
}

std::string pkce_verifier(const ConnectionDeps& deps, const store::LoginTransaction& t) {
  // 64 hex characters: within RFC 7636 §4.1's 43..128 unreserved characters, 256 bits.
  return deps.server_key.hash(std::string(kPkceLabel) + t.organization_id + "." + t.id + "." +
                              t.state);
}

std::string pkce_challenge(std::string_view verifier) { return base64url_encode(sha256(verifier)); }

std::vector<std::string> upstream_acr_values(const nlohmann::json& acr_mapping,
                                             const std::vector<std::string>& wanted) {
  if (!acr_mapping.is_object() || acr_mapping.empty()) return wanted;
  std::vector<std::string> out;
  for (const auto& w : wanted) {
    for (auto it = acr_mapping.begin(); it != acr_mapping.end(); ++it) {
      if (it->is_string() && it->get<std::string>() == w &&
          std::find(out.begin(), out.end(), it.key()) == out.end()) {
        out.push_back(it.key());
      }
    }
  }
  return out;
}

std::string gatehouse_acr(const nlohmann::json& acr_mapping, const std::string& upstream) {
  if (upstream.empty()) return "";
  if (!acr_mapping.is_object() || acr_mapping.empty()) return upstream;
  if (acr_mapping.contains(upstream) && acr_mapping[upstream].is_string()) {
    return acr_mapping[upstream].get<std::string>();
  }
  return "";
}

ProviderMetadata effective_metadata(const store::Connection& c, const Clock& clock) {
  auto stored = ProviderMetadata::from_json(c.settings.value("metadata", nlohmann::json()), "");
  ProviderMetadata m = stored ? *stored : ProviderMetadata{};
  const std::string url = str(c.settings, "discovery_url");
  if (!url.empty() && stored) {
    m = ProviderMetadataCache::instance().get(
        url, *stored, c.settings.value("metadata_fetched_at_ms", 0LL), clock);
  }
  if (is_templated_issuer(m.issuer)) m.issuer = pin_issuer(m.issuer, str(c.settings, "tenant_id"));
  return m;
}

Result<std::string> OidcConnection::client_secret(const store::Environment& environment) const {
  if (!deps_.sealing) return fail(errc::ServerInternal, "", "no sealing for client secrets");
  const std::string ref = str(row_.settings, "secret_ref");
  auto sealed = base64url_decode(str(row_.settings, "client_secret_sealed"));
  if (!sealed) return fail(errc::ServerInternal, "", "client_secret_sealed is not base64url");
  return deps_.sealing->open(secret_context(environment.id, row_.organization_id, ref), *sealed);
}

Result<std::string> OidcConnection::client_assertion(const ProviderMetadata& m) const {
  if (!deps_.sealing) return fail(errc::ServerInternal, "", "no sealing for the client key");
  auto key = open_client_key(*deps_.sealing, {row_.environment_id, row_.organization_id, row_.id},
                             row_.settings.value("client_key", nlohmann::json()));
  if (!key) return fail(key.error());
  // The audience the IdP expects: its token endpoint (Okta, Entra ID, most deployed IdPs) or
  // its issuer identifier (draft-ietf-oauth-rfc7523bis).
  const std::string audience =
      row_.settings.value("client_assertion_audience", "token_endpoint") == "issuer"
          ? m.issuer
          : m.token_endpoint;
  return make_client_assertion(*key, str(row_.settings, "client_id"), audience,
                               deps_.clock.now_ms() / 1000, deps_.random);
}

Result<StartResult> OidcConnection::start(const StartRequest& request, Trace& trace) {
  const auto m = effective_metadata(row_, deps_.clock);
  const auto& s = row_.settings;
  StateClaims claims;
  claims.organization_id = row_.organization_id;
  claims.connection_id = row_.id;
  claims.transaction_id = request.transaction.id;
  claims.transaction_state = request.transaction.state;
  claims.acr_values = request.acr_values;
  claims.acr_essential = request.acr_essential;
  claims.max_age_s = request.max_age_s;
  claims.expires_at_ms =
      std::min(request.transaction.expires_at_ms, deps_.clock.now_ms() + kStateLifetimeMs);

  std::vector<std::string> scopes = {"openid", "email", "profile"};
  if (s.contains("scopes")) scopes = s["scopes"].get<std::vector<std::string>>();
  std::vector<std::pair<std::string, std::string>> q = {
      {"response_type", "code"},
      {"client_id", str(s, "client_id")},
      {"redirect_uri", request.callback_url},
      {"scope", join(scopes)},
      {"state", sign_state(deps_, claims)},
      {"nonce", request.transaction.nonce},
      {"code_challenge", pkce_challenge(pkce_verifier(deps_, request.transaction))},
      {"code_challenge_method", "S256"}};
  if (!request.login_hint.empty()) q.emplace_back("login_hint", request.login_hint);
  const auto upstream = upstream_acr_values(row_.acr_mapping, request.acr_values);
  if (!upstream.empty()) {
    q.emplace_back("acr_values", join(upstream));
    if (request.acr_essential && m.claims_parameter_supported) {
      // OIDC Core §5.5.1.1: acr as an essential claim of the ID token.
      nlohmann::json claims_param = {
          {"id_token", {{"acr", {{"essential", true}, {"values", upstream}}}}}};
      q.emplace_back("claims", claims_param.dump());
    }
  }
  if (request.max_age_s) q.emplace_back("max_age", std::to_string(*request.max_age_s));
  if (!request.prompt.empty()) q.emplace_back("prompt", request.prompt);

  StartResult r;
  r.url = m.authorization_endpoint +
          (m.authorization_endpoint.find('?') == std::string::npos ? "?" : "&") + form_encode(q);
  trace.step("oidc.authorize", {{"authorization_endpoint", m.authorization_endpoint},
                                {"issuer", m.issuer},
                                {"client_id", str(s, "client_id")},
                                {"redirect_uri", request.callback_url},
                                {"scope", join(scopes)},
                                {"acr_values", join(upstream)},
                                {"acr_essential", request.acr_essential},
                                {"pkce", "S256"},
                                {"login_hint", request.login_hint}});
  return r;
}

Result<TransactionRef> OidcConnection::transaction_ref(const store::Environment&,
                                                       const CallbackParams& params) {
  // An answer meant for another connection arriving here (IdP mix-up) is refused.
  return state_transaction_ref(deps_.server_key, kStateLabel, params.first("state"), row_.id,
                               deps_.clock.now_ms());
}

Result<VerifiedLogin> OidcConnection::finish(const FinishRequest& request, Trace& trace) {
  const auto& p = request.params;
  const auto& s = row_.settings;
  // The code is a credential: the trace records that it came, not what it is.
  trace.step("oidc.callback", {{"code", p.has("code") ? "present" : "absent"},
                               {"iss", p.first("iss")},
                               {"error", p.first("error")},
                               {"error_description", p.first("error_description").substr(0, 300)}});

  auto checked = check_state_for(deps_.server_key, kStateLabel, p.first("state"), row_.id,
                                 request.transaction, deps_.clock.now_ms(), trace);
  if (!checked) return fail(checked.error());
  const StateClaims state = claims_of(*checked);

  const auto m = effective_metadata(row_, deps_.clock);
  // RFC 9207 §2.4: iss in the authorization response must be this IdP's; an IdP that advertises
  // the parameter must send it (else an attacker's IdP could answer in its name).
  const bool iss_ok =
      p.has("iss") ? p.first("iss") == m.issuer : !m.authorization_response_iss_parameter_supported;
  trace.check("oidc.iss_mismatch", iss_ok,
              p.has("iss") ? "iss " + p.first("iss") + ", expected " + m.issuer
                           : "no iss (the IdP " +
                                 std::string(m.authorization_response_iss_parameter_supported
                                                 ? "promised one"
                                                 : "does not support RFC 9207") +
                                 ")");
  if (!iss_ok) {
    return fail(Error(errc::OidcIssMismatch, {},
                      p.has("iss") ? "iss '" + p.first("iss") + "' is not '" + m.issuer + "'"
                                   : "the IdP advertises RFC 9207 and sent no iss"));
  }
  if (p.has("error")) {
    const std::string e = p.first("error").substr(0, 64);
    trace.check("oidc.idp_error", false, e + ": " + p.first("error_description").substr(0, 300));
    return fail(Error(
        errc::OidcIdpError,
        "The identity provider refused the sign-in: " + e +
            (p.has("error_description") ? " (" + p.first("error_description").substr(0, 200) + ")"
                                        : ""),
        e));
  }
  const std::string code = p.first("code");
  if (code.empty() || code.size() > 4096) {
    return fail(Error(errc::OidcTokenExchangeFailed, {}, "no authorization code in the answer"));
  }

  // The code exchange (RFC 6749 §4.1.3, RFC 7636 §4.5).
  const std::string client_id = str(s, "client_id");
  std::vector<std::pair<std::string, std::string>> form = {
      {"grant_type", "authorization_code"},
      {"code", code},
      {"redirect_uri", str(s, "redirect_uri_base") + row_.id},
      {"code_verifier", pkce_verifier(deps_, request.transaction)}};
  http::ClientRequest tr;
  tr.method = "POST";
  tr.url = m.token_endpoint;
  tr.headers = {{"Content-Type", "application/x-www-form-urlencoded"},
                {"Accept", "application/json"}};
  const std::string auth_method = s.value("token_endpoint_auth_method", "client_secret_basic");
  if (auth_method == "private_key_jwt") {
    // RFC 7523 §2.2: a fresh assertion signed with the connection's own key.
    auto assertion = client_assertion(m);
    if (!assertion) {
      trace.check("oidc.token_exchange_failed", false, "the client assertion could not be made");
      return fail(assertion.error());
    }
    form.emplace_back("client_id", client_id);
    form.emplace_back("client_assertion_type",
                      "urn:ietf:params:oauth:client-assertion-type:jwt-bearer");
    form.emplace_back("client_assertion", *assertion);
  } else {
    auto secret = client_secret(request.environment);
    if (!secret) return fail(secret.error());
    if (auth_method == "client_secret_post") {
      form.emplace_back("client_id", client_id);
      form.emplace_back("client_secret", *secret);
    } else {
      // RFC 6749 §2.3.1: both parts form-urlencoded before base64.
      tr.headers.emplace_back(
          "Authorization",
          "Basic " + base64_encode(percent_encode(client_id) + ":" + percent_encode(*secret)));
    }
  }
  tr.body = form_encode(form);
  http::HttpClient client({.timeout_ms = kFetchTimeoutMs,
                           .connect_timeout_ms = kFetchTimeoutMs,
                           .max_response_bytes = kMaxTokenResponseBytes});
  auto res = client.send(tr);
  nlohmann::json tokens = nlohmann::json::parse(res.body, nullptr, false);
  if (!res.ok() || !tokens.is_object()) {
    std::string why = !res.error.empty() ? res.error : "HTTP " + std::to_string(res.status);
    if (tokens.is_object() && tokens.contains("error") && tokens["error"].is_string()) {
      why += " " + tokens["error"].get<std::string>().substr(0, 64);
    }
    trace.check("oidc.token_exchange_failed", false, why);
    return fail(Error(errc::OidcTokenExchangeFailed, {}, why));
  }
  trace.check("oidc.token_exchange_failed", true, "HTTP " + std::to_string(res.status));
  const std::string id_token = str(tokens, "id_token");

  // The IdP's keys: re-fetched once when the token names a kid we do not have (key rotation).
  const std::string kid = peek_kid(id_token);
  auto keys = JwksCache::instance().get(m.jwks_uri, kid, deps_.clock);
  if (!keys) {
    trace.check("oidc.discovery_failed", false, keys.error().detail);
    return fail(keys.error());
  }
  IdTokenExpectations expect;
  expect.issuer = m.issuer;
  expect.client_id = client_id;
  expect.nonce = request.transaction.nonce;
  expect.allowed_algs = allowed_algs(m);
  expect.max_age_s = state.max_age_s;
  auto idt = verify_id_token(id_token, **keys, deps_.clock, expect);
  trace.check(idt ? "oidc.id_token" : std::string(idt.error().code_name()), idt.has_value(),
              idt ? "signed " + idt->alg + " by kid " + idt->kid + ", iss " + idt->iss
                  : idt.error().detail);
  if (!idt) return fail(idt.error());

  nlohmann::json claims = idt->all;
  if (s.value("use_userinfo", false) && !m.userinfo_endpoint.empty() &&
      tokens.contains("access_token") && tokens["access_token"].is_string()) {
    http::ClientRequest ur;
    ur.url = m.userinfo_endpoint;
    ur.headers = {{"Authorization", "Bearer " + tokens["access_token"].get<std::string>()},
                  {"Accept", "application/json"}};
    auto ures = client.send(ur);
    auto info = nlohmann::json::parse(ures.body, nullptr, false);
    // OIDC Core §5.3.4: the UserInfo sub must be the ID token's.
    const bool ok = ures.ok() && info.is_object() && str(info, "sub") == idt->sub;
    trace.check("oidc.userinfo_failed", ok,
                ok ? "merged " + std::to_string(info.size()) + " claims"
                   : (!ures.error.empty() ? ures.error : "HTTP " + std::to_string(ures.status)));
    if (!ok) return fail(Error(errc::OidcUserinfoFailed));
    // The signed ID token wins where both speak.
    for (auto it = info.begin(); it != info.end(); ++it) {
      if (!claims.contains(it.key())) claims[it.key()] = *it;
    }
  }

  // Claims → catalog attributes: the connection's mapping over its preset's.
  nlohmann::json mapping =
      row_.attribute_mapping.is_object() ? row_.attribute_mapping : nlohmann::json::object();
  nlohmann::json names = preset_claims(str(s, "preset"));
  if (mapping.contains("claims") && mapping["claims"].is_object()) {
    for (auto it = mapping["claims"].begin(); it != mapping["claims"].end(); ++it) {
      names[it.key()] = *it;
    }
  }
  mapping["claims"] = names;
  auto attributes = map_claims(request.catalog, claims, mapping, trace);
  if (!attributes) return fail(attributes.error());

  VerifiedLogin out;
  auto& id = out.identity;
  id.environment_id = request.environment.id;
  id.organization_id = row_.organization_id;
  id.connection_id = row_.id;
  id.issuer = idt->iss;
  id.subject = idt->sub;
  id.email = attributes->value("email", "");
  trace.check("login.email_missing", !id.email.empty(),
              id.email.empty() ? "no valid email among the IdP's claims" : id.email);
  if (id.email.empty()) return fail(Error(errc::LoginEmailMissing));
  id.email_verified = attributes->value("email_verified", false);
  id.given_name = attributes->value("given_name", "");
  id.family_name = attributes->value("family_name", "");
  id.name = attributes->value("formatted_name", attributes->value("display_name", ""));
  id.attributes = *attributes;
  id.connection_may_link_by_email = row_.allow_email_linking;

  // Authentication level: the IdP's acr through acr_mapping, against what was required.
  out.acr = gatehouse_acr(row_.acr_mapping, idt->acr);
  out.amr = idt->amr;
  if (!state.acr_values.empty()) {
    const bool met = std::find(state.acr_values.begin(), state.acr_values.end(), out.acr) !=
                     state.acr_values.end();
    const bool enforce = s.value("acr_enforcement", "fail_closed") == "fail_closed";
    trace.check("oidc.acr_not_met", met || !enforce,
                "IdP acr '" + idt->acr + "' -> '" + out.acr + "', required one of " +
                    join(state.acr_values) + (met || enforce ? "" : " (reported only)"));
    if (!met && enforce) {
      return fail(Error(errc::OidcAcrNotMet,
                        "The identity provider authenticated at '" +
                            (idt->acr.empty() ? std::string("no level") : idt->acr) +
                            "', not at the level the application requires",
                        "required " + join(state.acr_values)));
    }
  }
  out.auth_time_ms = idt->auth_time_s > 0 ? idt->auth_time_s * 1000 : deps_.clock.now_ms();
  trace.step("oidc.identity", {{"issuer", id.issuer},
                               {"subject", id.subject},
                               {"email", id.email},
                               {"attributes", id.attributes},
                               {"acr", out.acr},
                               {"amr", out.amr}});
  return out;
}

Result<bool> OidcFactory::validate(const store::Environment& environment, store::Connection& c,
                                   const ConnectionDeps& deps) const {
  if (!c.settings.is_object()) return fail(invalid("settings", "'settings' must be an object"));
  auto& s = c.settings;
  for (auto it = s.begin(); it != s.end(); ++it) {
    const auto& known = known_settings();
    if (std::find(known.begin(), known.end(), it.key()) == known.end()) {
      return fail(invalid("settings." + it.key(),
                          "An OIDC connection's settings have no '" + it.key() + "'"));
    }
  }
  for (const char* f : {"discovery_url", "issuer", "authorization_endpoint", "token_endpoint",
                        "jwks_uri", "userinfo_endpoint", "client_id", "client_secret",
                        "token_endpoint_auth_method", "tenant_id", "preset", "acr_enforcement"}) {
    if (s.contains(f) && (!s[f].is_string() || s[f].get<std::string>().size() > 2048)) {
      return fail(
          invalid(std::string("settings.") + f, std::string("'") + f + "' must be a string"));
    }
  }
  if (str(s, "client_id").empty()) {
    return fail(invalid("settings.client_id", "'client_id' (from the IdP) is required"));
  }
  const std::string method = s.value("token_endpoint_auth_method", "client_secret_basic");
  if (method != "client_secret_basic" && method != "client_secret_post" &&
      method != "private_key_jwt") {
    return fail(invalid("settings.token_endpoint_auth_method",
                        "'token_endpoint_auth_method' is client_secret_basic, client_secret_post "
                        "or private_key_jwt"));
  }
  s["token_endpoint_auth_method"] = method;
  const bool creating = c.id.empty();
  if (creating && (s.contains("client_key") || s.contains("client_jwks_uri"))) {
    return fail(invalid("settings.client_key", "'client_key' is generated by Gatehouse"));
  }
  if (s.contains("client_assertion_audience") &&
      (!s["client_assertion_audience"].is_string() ||
       (s["client_assertion_audience"] != "token_endpoint" &&
        s["client_assertion_audience"] != "issuer"))) {
    return fail(invalid("settings.client_assertion_audience",
                        "'client_assertion_audience' is token_endpoint or issuer"));
  }
  if (s.contains("scopes")) {
    bool ok = s["scopes"].is_array() && s["scopes"].size() <= 32;
    bool has_openid = false;
    for (const auto& v : ok ? s["scopes"] : nlohmann::json::array()) {
      if (!v.is_string() || v.get<std::string>().empty() ||
          v.get<std::string>().find(' ') != std::string::npos) {
        ok = false;
      } else if (v.get<std::string>() == "openid") {
        has_openid = true;
      }
    }
    if (!ok || !has_openid) {
      return fail(invalid("settings.scopes", "'scopes' must be a list of scopes including openid"));
    }
  }
  if (s.contains("use_userinfo") && !s["use_userinfo"].is_boolean()) {
    return fail(invalid("settings.use_userinfo", "'use_userinfo' must be true or false"));
  }
  const std::string preset = str(s, "preset");
  if (!preset.empty() && preset != "generic" && preset_claims(preset).empty()) {
    return fail(invalid("settings.preset",
                        "'preset' is one of okta, entra_id, google_workspace, auth0, keycloak"));
  }
  const std::string enforcement = s.value("acr_enforcement", "fail_closed");
  if (enforcement != "fail_closed" && enforcement != "report") {
    return fail(invalid("settings.acr_enforcement", "'acr_enforcement' is fail_closed or report"));
  }
  if (!c.acr_mapping.is_object()) {
    return fail(invalid("acr_mapping", "'acr_mapping' must map IdP acr values to Gatehouse ones"));
  }
  for (auto it = c.acr_mapping.begin(); it != c.acr_mapping.end(); ++it) {
    if (it.key().empty() || it.key().size() > 256 || !it->is_string() ||
        it->get<std::string>().empty() || it->get<std::string>().size() > 256) {
      return fail(invalid("acr_mapping", "'acr_mapping' must map acr strings to acr strings"));
    }
  }

  // The IdP's metadata: fetched now (so a typo fails at creation, not at the first login).
  ProviderMetadata m;
  const std::string discovery_url = str(s, "discovery_url");
  if (!discovery_url.empty()) {
    if (!is_allowed_idp_url(discovery_url)) {
      return fail(invalid("settings.discovery_url", "'discovery_url' must be an https URL"));
    }
    auto d = discover(discovery_url);
    if (!d) {
      if (d.error().code == errc::OidcDiscoveryFailed) {
        Error e = invalid("settings.discovery_url", d.error().text());
        return fail(e);
      }
      return fail(d.error());
    }
    m = *d;
  } else {
    nlohmann::json doc = nlohmann::json::object();
    for (const char* f :
         {"issuer", "authorization_endpoint", "token_endpoint", "jwks_uri", "userinfo_endpoint"}) {
      if (s.contains(f)) doc[f] = s[f];
    }
    auto parsed = ProviderMetadata::from_json(doc, "settings");
    if (!parsed) {
      return fail(invalid("settings",
                          "Give 'discovery_url', or 'issuer', 'authorization_endpoint', "
                          "'token_endpoint' and 'jwks_uri': " +
                              parsed.error().text()));
    }
    m = *parsed;
  }
  if (is_templated_issuer(m.issuer) && str(s, "tenant_id").empty()) {
    return fail(invalid("settings.tenant_id", "The IdP's issuer is tenant-templated (" + m.issuer +
                                                  "); give the customer's 'tenant_id' to pin it"));
  }
  if (allowed_algs(m).empty()) {
    return fail(
        invalid("settings.discovery_url",
                "The IdP signs ID tokens with no algorithm Gatehouse accepts (RS256, PS256, "
                "ES256, EdDSA)"));
  }
  if (method == "private_key_jwt" && !m.token_endpoint_auth_methods_supported.empty() &&
      std::find(m.token_endpoint_auth_methods_supported.begin(),
                m.token_endpoint_auth_methods_supported.end(),
                "private_key_jwt") == m.token_endpoint_auth_methods_supported.end()) {
    return fail(invalid("settings.token_endpoint_auth_method",
                        "The identity provider does not support private_key_jwt (its "
                        "token_endpoint_auth_methods_supported)"));
  }
  s["metadata"] = m.to_json();
  s["metadata_fetched_at_ms"] = deps.clock.now_ms();
  s.erase("metadata_refresh_error");  // just fetched
  s["redirect_uri_base"] = deps.public_url + "/" + environment.name + "/login/callback/";

  // private_key_jwt: the connection's own key, made once and sealed; its public JWKS has a
  // stable URL that names the connection, so the id is fixed now.
  if (method == "private_key_jwt") {
    if (!deps.sealing) return fail(errc::ServerInternal, "", "no sealing for the client key");
    if (creating) c.id = new_uuid_v7(deps.clock);
    const ClientKeyOwner owner{environment.id, c.organization_id, c.id};
    if (s.contains("client_key")) {
      // Kept from the stored connection (ConnectionService::update): it must be this one's.
      auto key = open_client_key(*deps.sealing, owner, s["client_key"]);
      if (!key) {
        return fail(invalid("settings.client_key", "'client_key' is generated by Gatehouse"));
      }
    } else {
      auto key = new_client_key(*deps.sealing, owner);
      if (!key) return fail(key.error());
      s["client_key"] = *key;
    }
    s["client_jwks_uri"] =
        client_jwks_uri(deps.public_url, environment.name, c.organization_id, c.id);
  } else {
    s.erase("client_jwks_uri");
  }

  // The client secret: sealed under the organization's data key, never stored or shown plain.
  if (s.contains("client_secret")) {
    const std::string secret = s["client_secret"].get<std::string>();
    if (secret.empty()) {
      return fail(invalid("settings.client_secret", "'client_secret' must not be empty"));
    }
    if (!deps.sealing) return fail(errc::ServerInternal, "", "no sealing for client secrets");
    const std::string ref = deps.random.base64url(16);
    auto sealed =
        deps.sealing->seal(secret_context(environment.id, c.organization_id, ref), secret);
    if (!sealed) return fail(sealed.error());
    s.erase("client_secret");
    s["client_secret_sealed"] = base64url_encode(*sealed);  // JSON holds text, not bytes
    s["secret_ref"] = ref;
  } else if (method != "private_key_jwt" &&
             (str(s, "client_secret_sealed").empty() || str(s, "secret_ref").empty())) {
    return fail(invalid("settings.client_secret",
                        "'client_secret' (from the IdP) is required, also when changing settings"));
  }
  return true;
}

nlohmann::json OidcFactory::public_settings(const store::Connection& c) const {
  nlohmann::json out = nlohmann::json::object();
  if (!c.settings.is_object()) return out;
  for (auto it = c.settings.begin(); it != c.settings.end(); ++it) {
    if (it.key() == "client_secret_sealed" || it.key() == "secret_ref" ||
        it.key() == "client_secret" || it.key() == "redirect_uri_base" ||
        it.key() == "client_key") {
      continue;
    }
    out[it.key()] = *it;
  }
  // private_key_jwt: the public keys to register at the IdP (also served at client_jwks_uri).
  if (c.settings.contains("client_key") && c.settings["client_key"].is_object() &&
      c.settings["client_key"].contains("jwks")) {
    out["client_jwks"] = c.settings["client_key"]["jwks"];
  }
  out["client_secret_set"] = !str(c.settings, "client_secret_sealed").empty();
  out["redirect_uri"] = str(c.settings, "redirect_uri_base") + c.id;
  return out;
}

std::unique_ptr<Connection> OidcFactory::open(const store::Connection& c,
                                              const ConnectionDeps& deps) const {
  return std::make_unique<OidcConnection>(c, deps);
}

}  // namespace gh::federation::oidc
