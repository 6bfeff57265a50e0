// The authorization request's parser and validator (pure): every refusal, which of them go to
// the page (client or redirect URI not known to be right) and which to the client, and the
// RFC 9700 negatives (redirect URI trailing slash and case, plain PKCE, missing challenge,
// unsupported response types).
#include "oauth/authorization_request.h"
#include "oauth/error_codes.h"

#include <gtest/gtest.h>

#include <map>

namespace gh::oauth {
namespace {

store::Application app() {
  store::Application a;
  a.id = "app-1";
  a.environment_id = "env-1";
  a.client_id = "gh_app_demo";
  a.name = "Demo";
  a.type = "confidential";
  a.redirect_uris = {"https://app.example/callback", "http://127.0.0.1:8080/cb?x=1"};
  return a;
}

const RequestableResource kInvoices{"https://api.example/invoices",
                                    {"invoices:read", "invoices:write"}};

ResourceResolver resolver() {
  return [](std::string_view id) -> std::optional<RequestableResource> {
    if (id == kInvoices.identifier) return kInvoices;
    if (id == "urn:example:reports") return RequestableResource{"urn:example:reports", {"r"}};
    return std::nullopt;
  };
}

// A valid request; tests change one parameter at a time.
Params base() {
  return {{"client_id", "gh_app_demo"},
          {"redirect_uri", "https://app.example/callback"},
          {"response_type", "code"},
          {"scope", "openid email"},
          {"state", "st-123"},
          {"nonce", "n-456"},
          {"code_challenge", "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"},
          {"code_challenge_method", "S256"}};
}

Params with(Params p, const std::string& k, const std::string& v) {
  bool replaced = false;
  for (auto& [key, value] : p) {
    if (key == k) {
      value = v;
      replaced = true;
    }
  }
  if (!replaced) p.emplace_back(k, v);
  return p;
}

Params without(Params p, const std::string& k) {
  std::erase_if(p, [&](const auto& kv) { return kv.first == k; });
  return p;
}

AuthorizationResult<AuthorizationRequest> validate(const Params& p,
                                                   const store::Application& a = app()) {
  return validate_authorization_request(p, &a, resolver());
}

// Expects an error sent to the client's redirect URI, with state kept.
void expect_client_error(const AuthorizationResult<AuthorizationRequest>& r,
                         const std::string& error, const std::string& why) {
  ASSERT_FALSE(r) << why;
  EXPECT_TRUE(r.error().redirect) << why;
  EXPECT_EQ(r.error().error, error) << why << ": " << r.error().description;
  EXPECT_EQ(r.error().redirect_uri, "https://app.example/callback") << why;
  EXPECT_FALSE(r.error().description.empty()) << why;
}

void expect_page(const AuthorizationResult<AuthorizationRequest>& r, ErrorCode code,
                 const std::string& why) {
  ASSERT_FALSE(r) << why;
  EXPECT_FALSE(r.error().redirect) << why;
  EXPECT_TRUE(r.error().redirect_uri.empty()) << why;
  EXPECT_EQ(r.error().page_code, code) << why << ": " << r.error().description;
  EXPECT_FALSE(r.error().description.empty()) << why;
}

TEST(AuthorizationRequest, AValidRequestParses) {
  auto r = validate(base());
  ASSERT_TRUE(r) << r.error().description;
  EXPECT_EQ(r->client_id, "gh_app_demo");
  EXPECT_EQ(r->redirect_uri, "https://app.example/callback");
  EXPECT_EQ(r->response_mode, ResponseMode::query);
  EXPECT_EQ(r->state, "st-123");
  EXPECT_EQ(r->nonce, "n-456");
  EXPECT_EQ(r->scope_string(), "openid email");
  EXPECT_EQ(r->code_challenge_method, "S256");
  EXPECT_FALSE(r->prompt_none);
  EXPECT_FALSE(r->max_age_s);
  EXPECT_TRUE(r->claims.is_null());
}

TEST(AuthorizationRequest, ClientIdMissingOrRepeatedIsAPageError) {
  auto missing = requested_client_id(without(base(), "client_id"));
  ASSERT_FALSE(missing);
  EXPECT_FALSE(missing.error().redirect);
  EXPECT_EQ(missing.error().page_code, errc::AuthorizeMissingClientId);
  // RFC 6749 §3.1: an empty value is as if omitted.
  auto empty = requested_client_id(with(base(), "client_id", ""));
  ASSERT_FALSE(empty);
  EXPECT_EQ(empty.error().page_code, errc::AuthorizeMissingClientId);
  auto p = base();
  p.emplace_back("client_id", "gh_app_other");
  expect_page(validate(p), errc::AuthorizeMalformedRequest, "repeated client_id");
  expect_page(validate(with(base(), "client_id", "bad\x01id")), errc::AuthorizeUnknownClient,
              "control character");
}

TEST(AuthorizationRequest, UnknownOrDisabledClientIsAPageErrorNeverARedirect) {
  auto a = app();
  auto unknown = validate_authorization_request(base(), nullptr, resolver());
  expect_page(unknown, errc::AuthorizeUnknownClient, "unknown client");
  EXPECT_NE(unknown.error().description.find("gh_app_demo"), std::string::npos);
  a.status = "disabled";
  expect_page(validate(base(), a), errc::AuthorizeClientDisabled, "disabled");
  // Another application's record (lookup returned the wrong row) is not this client.
  a = app();
  a.client_id = "gh_app_other";
  expect_page(validate(base(), a), errc::AuthorizeUnknownClient, "other client");
}

TEST(AuthorizationRequest, RedirectUriMustMatchExactly) {
  // RFC 9700 §4.1.3: no normalisation at all.
  for (const std::string uri : {
           "https://app.example/callback/",     // trailing slash
           "https://APP.example/callback",      // host case
           "https://app.example/Callback",      // path case
           "HTTPS://app.example/callback",      // scheme case
           "https://app.example:443/callback",  // default port spelled out
           "https://app.example/callback?x=1",  // extra query
           "https://app.example/call%62ack",    // percent-encoding
           "https://app.example/callback#frag", "https://evil.example/callback",
           "http://127.0.0.1:8080/cb",  // registered with ?x=1
       }) {
    expect_page(validate(with(base(), "redirect_uri", uri)), errc::AuthorizeRedirectUriMismatch,
                uri);
  }
  expect_page(validate(without(base(), "redirect_uri")), errc::AuthorizeMissingRedirectUri,
              "missing");
  auto p = base();
  p.emplace_back("redirect_uri", "https://app.example/callback");
  expect_page(validate(p), errc::AuthorizeMalformedRequest, "repeated redirect_uri");
  // The registered URI with its query component is accepted as registered.
  EXPECT_TRUE(validate(with(base(), "redirect_uri", "http://127.0.0.1:8080/cb?x=1")));
}

TEST(AuthorizationRequest, OnlyTheCodeResponseTypeIsSupported) {
  for (const std::string rt : {"token", "id_token", "code id_token", "code token",
                               "code id_token token", "id_token token", "none", "CODE", "code "}) {
    expect_client_error(validate(with(base(), "response_type", rt)), "unsupported_response_type",
                        rt);
  }
  expect_client_error(validate(without(base(), "response_type")), "invalid_request", "missing");
  auto r = validate(with(base(), "response_type", "token"));
  EXPECT_EQ(r.error().state, "st-123");
}

TEST(AuthorizationRequest, TheApplicationMustAllowTheCodeGrant) {
  auto a = app();
  a.grant_types = {"client_credentials"};
  expect_client_error(validate(base(), a), "unauthorized_client", "client_credentials only");
}

TEST(AuthorizationRequest, PkceS256IsRequiredAndPlainRefused) {
  expect_client_error(validate(with(base(), "code_challenge_method", "plain")), "invalid_request",
                      "plain");
  expect_client_error(validate(with(base(), "code_challenge_method", "S512")), "invalid_request",
                      "unknown method");
  // RFC 7636 §4.3: no method means plain.
  expect_client_error(validate(without(base(), "code_challenge_method")), "invalid_request",
                      "challenge without method");
  expect_client_error(validate(without(without(base(), "code_challenge"), "code_challenge_method")),
                      "invalid_request", "missing challenge");
  expect_client_error(validate(without(base(), "code_challenge")), "invalid_request",
                      "method without challenge");
  expect_client_error(validate(with(base(), "code_challenge", "short")), "invalid_request",
                      "not a S256 challenge");
  expect_client_error(validate(with(base(), "code_challenge", std::string(42, 'a') + "=")),
                      "invalid_request", "padding");
  auto r = validate(without(without(base(), "code_challenge"), "code_challenge_method"));
  EXPECT_NE(r.error().description.find("code_challenge is required"), std::string::npos);
}

TEST(AuthorizationRequest, OnlyConfidentialClientsMayWaivePkce) {
  auto a = app();
  a.pkce_required = false;
  const auto no_pkce = without(without(base(), "code_challenge"), "code_challenge_method");
  auto r = validate(no_pkce, a);
  ASSERT_TRUE(r) << r.error().description;
  EXPECT_EQ(r->code_challenge, "");
  // Waived or not, a challenge that is sent must be S256.
  expect_client_error(validate(with(base(), "code_challenge_method", "plain"), a),
                      "invalid_request", "plain with waiver");
  EXPECT_TRUE(validate(base(), a));
  a.type = "public";
  expect_client_error(validate(no_pkce, a), "invalid_request", "public client cannot waive");
}

TEST(AuthorizationRequest, ScopeMustIncludeOpenid) {
  expect_client_error(validate(with(base(), "scope", "email profile")), "invalid_scope",
                      "no openid");
  expect_client_error(validate(without(base(), "scope")), "invalid_scope", "no scope");
  expect_client_error(validate(with(base(), "scope", "openid \"x\"")), "invalid_scope",
                      "bad character");
  auto r = validate(with(base(), "scope", "openid  profile openid offline_access"));
  ASSERT_TRUE(r);
  EXPECT_EQ(r->scope_string(), "openid profile offline_access");
}

TEST(AuthorizationRequest, PermissionScopesNeedTheirResource) {
  auto p = with(with(base(), "scope", "openid invoices:read"), "resource",
                "https://api.example/invoices");
  auto r = validate(p);
  ASSERT_TRUE(r) << r.error().description;
  EXPECT_EQ(r->resources, std::vector<std::string>{"https://api.example/invoices"});
  expect_client_error(validate(with(base(), "scope", "openid invoices:read")), "invalid_scope",
                      "no resource");
  expect_client_error(validate(with(p, "scope", "openid invoices:delete")), "invalid_scope",
                      "not a permission of the resource");
  expect_client_error(validate(with(p, "scope", "openid r")), "invalid_scope",
                      "permission of a resource not requested");
  // Repeatable (RFC 8707 §2): two resources, permissions of either.
  p.emplace_back("resource", "urn:example:reports");
  p = with(p, "scope", "openid invoices:read r");
  r = validate(p);
  ASSERT_TRUE(r) << r.error().description;
  EXPECT_EQ(r->resources.size(), 2u);
}

TEST(AuthorizationRequest, ResourceIndicatorsAreAbsoluteUrisWithoutFragment) {
  for (const std::string res :
       {"https://api.example/invoices#frag", "/invoices", "api.example/invoices", "invoices",
        "1https://api.example", "https://api.example/ x", ":nothing"}) {
    expect_client_error(validate(with(base(), "resource", res)), "invalid_target", res);
  }
  expect_client_error(validate(with(base(), "resource", "https://api.example/unknown")),
                      "invalid_target", "unknown resource");
  EXPECT_TRUE(is_valid_resource_indicator("urn:example:reports"));
  EXPECT_TRUE(is_valid_resource_indicator("https://api.example/v1?x=1"));
  EXPECT_FALSE(is_valid_resource_indicator("https://api.example/#"));
}

TEST(AuthorizationRequest, PromptValuesAndCombinations) {
  auto r = validate(with(base(), "prompt", "none"));
  ASSERT_TRUE(r);
  EXPECT_TRUE(r->prompt_none);
  r = validate(with(base(), "prompt", "login select_account consent"));
  ASSERT_TRUE(r);
  EXPECT_TRUE(r->prompt_login);
  EXPECT_TRUE(r->prompt_select_account);
  for (const std::string p : {"none login", "login none", "none select_account", "none consent",
                              "none none", "create", "NONE"}) {
    expect_client_error(validate(with(base(), "prompt", p)), "invalid_request", p);
  }
}

TEST(AuthorizationRequest, MaxAgeIsANonNegativeNumberOfSeconds) {
  auto r = validate(with(base(), "max_age", "0"));
  ASSERT_TRUE(r);
  EXPECT_EQ(r->max_age_s, 0);
  r = validate(with(base(), "max_age", "3600"));
  ASSERT_TRUE(r);
  EXPECT_EQ(r->max_age_s, 3600);
  for (const std::string v : {"-1", "1.5", "abc", "99999999999999", " 5", "1e3"}) {
    expect_client_error(validate(with(base(), "max_age", v)), "invalid_request", v);
  }
}

TEST(AuthorizationRequest, ClaimsParameterIsParsedAsJson) {
  for (const std::string bad :
       {"{", "not json", "[]", "\"x\"", "{\"id_token\": []}", "{\"id_token\": {\"acr\": 5}}",
        "{\"id_token\": {\"acr\": {\"essential\": \"yes\"}}}",
        "{\"userinfo\": {\"acr\": {\"values\": \"gold\"}}}",
        "{\"id_token\": {\"acr\": {\"value\": 3}}}",
        "{\"id_token\": {\"acr\": {\"values\": [1]}}}"}) {
    expect_client_error(validate(with(base(), "claims", bad)), "invalid_request", bad);
  }
  auto r = validate(with(base(), "claims",
                         R"({"id_token": {"acr": {"essential": true, "values": ["gold", "silver"]},
                             "email": null}, "userinfo": {"name": {"essential": false}}})"));
  ASSERT_TRUE(r) << r.error().description;
  EXPECT_TRUE(r->acr_essential);
  EXPECT_EQ(r->required_acrs(), (std::vector<std::string>{"gold", "silver"}));
  EXPECT_TRUE(r->claims.is_object());
  // acr essential in userinfo, values from acr_values.
  r = validate(with(with(base(), "claims", R"({"userinfo": {"acr": {"essential": true}}})"),
                    "acr_values", "mfa pwd"));
  ASSERT_TRUE(r);
  EXPECT_TRUE(r->acr_essential);
  EXPECT_EQ(r->required_acrs(), (std::vector<std::string>{"mfa", "pwd"}));
  // Not essential: only a preference.
  r = validate(with(base(), "claims", R"({"id_token": {"acr": {"value": "gold"}}})"));
  ASSERT_TRUE(r);
  EXPECT_FALSE(r->acr_essential);
  expect_client_error(validate(with(base(), "claims", std::string(9000, ' ') + "{}")),
                      "invalid_request", "too large");
}

TEST(AuthorizationRequest, ResponseModeQueryOrFormPost) {
  auto r = validate(with(base(), "response_mode", "form_post"));
  ASSERT_TRUE(r);
  EXPECT_EQ(r->response_mode, ResponseMode::form_post);
  auto e = validate(with(with(base(), "response_mode", "form_post"), "response_type", "token"));
  ASSERT_FALSE(e);
  EXPECT_EQ(e.error().response_mode, ResponseMode::form_post) << "errors use the asked mode";
  for (const std::string m : {"fragment", "query.jwt", "web_message"}) {
    auto bad = validate(with(base(), "response_mode", m));
    expect_client_error(bad, "invalid_request", m);
    EXPECT_EQ(bad.error().response_mode, ResponseMode::query);
  }
}

TEST(AuthorizationRequest, RepeatedParametersAreRefused) {
  for (const std::string name : {"state", "nonce", "scope", "response_type", "prompt",
                                 "code_challenge", "max_age", "organization"}) {
    auto p = with(base(), name, "a");
    p.emplace_back(name, "b");
    expect_client_error(validate(p), "invalid_request", name);
  }
  auto p = base();
  p.emplace_back("state", "other");
  auto r = validate(p);
  EXPECT_EQ(r.error().state, "") << "which state would be a guess";
}

TEST(AuthorizationRequest, RequestObjectsAreNotSupported) {
  expect_client_error(validate(with(base(), "request", "eyJ...")), "request_not_supported",
                      "request");
  expect_client_error(validate(with(base(), "request_uri", "https://x.example/r")),
                      "request_uri_not_supported", "request_uri");
}

TEST(AuthorizationRequest, GatehouseHints) {
  auto r = validate(with(with(with(with(base(), "organization", "acme-corp"), "connection",
                                   "0192f0c4-1111-7000-8000-000000000001"),
                              "domain_hint", "Example.TEST"),
                         "login_hint", "ann@example.test"));
  ASSERT_TRUE(r) << r.error().description;
  EXPECT_EQ(r->organization, "acme-corp");
  EXPECT_EQ(r->connection, "0192f0c4-1111-7000-8000-000000000001");
  EXPECT_EQ(r->domain_hint, "example.test");
  EXPECT_EQ(r->login_hint, "ann@example.test");
  expect_client_error(validate(with(base(), "domain_hint", "not a domain")), "invalid_request",
                      "domain_hint");
  expect_client_error(validate(with(base(), "organization", "a/b")), "invalid_request", "org");
  expect_client_error(validate(with(base(), "connection", "x y")), "invalid_request", "conn");
  expect_client_error(validate(with(base(), "login_hint", std::string(400, 'a'))),
                      "invalid_request", "long login_hint");
}

TEST(AuthorizationRequest, StateAndNonceLimits) {
  expect_client_error(validate(with(base(), "nonce", std::string(513, 'n'))), "invalid_request",
                      "long nonce");
  auto r = validate(with(base(), "state", std::string(2049, 's')));
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().error, "invalid_request");
  EXPECT_EQ(r.error().state, "") << "a state we refused is not echoed";
}

TEST(AuthorizationRequest, RoundTripsThroughJson) {
  auto p = with(with(with(base(), "prompt", "login"), "max_age", "60"), "claims",
                R"({"id_token": {"acr": {"essential": true, "value": "gold"}}})");
  p = with(with(p, "scope", "openid invoices:read"), "resource", "https://api.example/invoices");
  p = with(with(p, "response_mode", "form_post"), "acr_values", "gold silver");
  auto r = validate(p);
  ASSERT_TRUE(r) << r.error().description;
  auto back = AuthorizationRequest::from_json(nlohmann::json::parse(r->to_json().dump()));
  ASSERT_TRUE(back);
  EXPECT_EQ(back->to_json(), r->to_json());
  EXPECT_EQ(back->max_age_s, 60);
  EXPECT_EQ(back->response_mode, ResponseMode::form_post);
  EXPECT_TRUE(back->acr_essential);
  EXPECT_FALSE(AuthorizationRequest::from_json(nlohmann::json::object()));
  EXPECT_FALSE(AuthorizationRequest::from_json(nlohmann::json::array()));
}

}  // namespace
}  // namespace gh::oauth
