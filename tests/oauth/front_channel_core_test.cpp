// The front channel's other pure parts: whether a session satisfies a request (with an injected
// clock at the edges of max_age), the authorization code and its params, the response modes
// (query redirect, form_post page with its CSP) and the error page.
#include <gtest/gtest.h>

#include <algorithm>
#include <cctype>

#include "core/clock.h"
#include "core/random.h"
#include "oauth/authorization_code.h"
#include "oauth/error_codes.h"
#include "oauth/error_page.h"
#include "oauth/html.h"
#include "oauth/response_mode.h"
#include "oauth/session_requirements.h"

namespace gh::oauth {
namespace {

// The text between the first `open` and the next `close` ("" when absent). No std::regex:
// GCC 12 warns inside it at -O1 (maybe-uninitialized), and warnings are errors.
std::string between(const std::string& s, const std::string& open, const std::string& close) {
  const size_t a = s.find(open);
  if (a == std::string::npos) return "";
  const size_t b = s.find(close, a + open.size());
  if (b == std::string::npos) return "";
  return s.substr(a + open.size(), b - a - open.size());
}

AuthorizationRequest request() {
  AuthorizationRequest r;
  r.client_id = "gh_app_demo";
  r.redirect_uri = "https://app.example/callback";
  r.state = "st";
  r.nonce = "n";
  r.scopes = {"openid", "email"};
  r.code_challenge = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM";
  r.code_challenge_method = "S256";
  return r;
}

sessions::AuthenticatedSession session(const FakeClock& clock, int64_t age_ms = 1000) {
  sessions::AuthenticatedSession s;
  s.sid = "sid-1";
  s.environment_id = "env-1";
  s.organization_id = "org-1";
  s.user_id = "user-1";
  s.connection_id = "conn-1";
  s.auth_time_ms = clock.now_ms() - age_ms;
  s.acr = "urn:gatehouse:acr:mfa";
  s.amr = {"pwd", "otp"};
  s.expires_at_ms = clock.now_ms() + 3600'000;
  return s;
}

SessionCheck now(const FakeClock& clock) { return SessionCheck{clock.now_ms(), "", std::nullopt}; }

TEST(SessionRequirements, NoSessionAndALiveOne) {
  FakeClock clock;
  EXPECT_EQ(check_session(request(), std::nullopt, now(clock)), SessionVerdict::no_session);
  EXPECT_EQ(check_session(request(), session(clock), now(clock)), SessionVerdict::satisfied);
  EXPECT_EQ(prompt_none_error(SessionVerdict::no_session), "login_required");
}

TEST(SessionRequirements, MaxAgeAtTheEdgeOfItsWindow) {
  FakeClock clock;
  auto req = request();
  req.max_age_s = 300;
  const auto s = session(clock, 0);
  clock.advance(std::chrono::milliseconds(300'000));
  EXPECT_EQ(check_session(req, s, now(clock)), SessionVerdict::satisfied) << "exactly max_age";
  clock.advance(std::chrono::milliseconds(1));
  EXPECT_EQ(check_session(req, s, now(clock)), SessionVerdict::reauthenticate) << "1 ms over";
  EXPECT_EQ(prompt_none_error(SessionVerdict::reauthenticate), "login_required");
  req.max_age_s = 0;
  EXPECT_EQ(check_session(req, session(clock, 0), now(clock)), SessionVerdict::satisfied);
  EXPECT_EQ(check_session(req, session(clock, 1), now(clock)), SessionVerdict::reauthenticate);
}

TEST(SessionRequirements, AfterTheLoginPromptLoginAndMaxAgeAreMetByThatLogin) {
  FakeClock clock;
  auto req = request();
  req.prompt_login = true;
  req.max_age_s = 0;
  const int64_t created = clock.now_ms();
  EXPECT_EQ(check_session(req, session(clock), now(clock)), SessionVerdict::reauthenticate);
  clock.advance(std::chrono::milliseconds(20'000));
  SessionCheck resume{clock.now_ms(), "", created};
  // Authenticated 5 s ago, 15 s after the request was made: fresh.
  EXPECT_EQ(check_session(req, session(clock, 5'000), resume), SessionVerdict::satisfied);
  // The session the login page found was older than the request: not a new login.
  EXPECT_EQ(check_session(req, session(clock, 20'001), resume), SessionVerdict::reauthenticate);
  // Exactly at the request's creation counts as during it.
  EXPECT_EQ(check_session(req, session(clock, 20'000), resume), SessionVerdict::satisfied);
}

TEST(SessionRequirements, SelectAccountAlwaysGoesToTheLoginPageFirst) {
  FakeClock clock;
  auto req = request();
  req.prompt_select_account = true;
  EXPECT_EQ(check_session(req, session(clock), now(clock)), SessionVerdict::select_account);
  EXPECT_EQ(check_session(req, session(clock), SessionCheck{clock.now_ms(), "", 0}),
            SessionVerdict::satisfied);
}

TEST(SessionRequirements, OrganizationAndConnectionConstraints) {
  FakeClock clock;
  auto req = request();
  EXPECT_EQ(check_session(req, session(clock), SessionCheck{clock.now_ms(), "org-2", {}}),
            SessionVerdict::other_account);
  EXPECT_EQ(check_session(req, session(clock), SessionCheck{clock.now_ms(), "org-1", {}}),
            SessionVerdict::satisfied);
  req.connection = "conn-2";
  EXPECT_EQ(check_session(req, session(clock), now(clock)), SessionVerdict::other_account);
  EXPECT_EQ(prompt_none_error(SessionVerdict::other_account), "interaction_required");
}

TEST(SessionRequirements, EssentialAcrMustBeMet) {
  FakeClock clock;
  auto req = request();
  req.acr_values = {"urn:gatehouse:acr:phr"};
  EXPECT_EQ(check_session(req, session(clock), now(clock)), SessionVerdict::satisfied)
      << "voluntary acr_values are a preference";
  req.acr_essential = true;
  EXPECT_EQ(check_session(req, session(clock), now(clock)), SessionVerdict::acr_not_met);
  req.acr_values.push_back("urn:gatehouse:acr:mfa");
  EXPECT_EQ(check_session(req, session(clock), now(clock)), SessionVerdict::satisfied);
  // claims' values take precedence over acr_values.
  req.claims_acr_values = {"gold"};
  EXPECT_EQ(check_session(req, session(clock), now(clock)), SessionVerdict::acr_not_met);
  // Essential with no values: any acr, but one must be there.
  req.claims_acr_values.clear();
  req.acr_values.clear();
  EXPECT_EQ(check_session(req, session(clock), now(clock)), SessionVerdict::satisfied);
  auto s = session(clock);
  s.acr.clear();
  EXPECT_EQ(check_session(req, s, now(clock)), SessionVerdict::acr_not_met);
}

TEST(AuthorizationCode, IsRandomHashedAndCarriesWhatTheSessionAchieved) {
  FakeClock clock;
  SeededRandom random(7);
  auto req = request();
  req.acr_values = {"urn:gatehouse:acr:phr"};  // asked for, not achieved
  req.resources = {"https://api.example/invoices"};
  store::Application app;
  app.id = "app-1";
  app.environment_id = "env-1";
  app.client_id = "gh_app_demo";
  const auto s = session(clock, 42'000);
  auto m = mint_authorization_code(req, s, app, clock.now_ms(), random);
  EXPECT_EQ(m.code.size(), 43u) << "256 bits, base64url";
  EXPECT_TRUE(std::all_of(m.code.begin(), m.code.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_';
  }));
  EXPECT_EQ(m.row.code_hash, authorization_code_hash(m.code));
  EXPECT_EQ(m.row.code_hash.size(), 64u);
  EXPECT_EQ(m.row.code_hash.find(m.code), std::string::npos);
  // SHA-256("abc"), FIPS 180-2 test vector.
  EXPECT_EQ(authorization_code_hash("abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  EXPECT_EQ(m.row.expires_at_ms - m.row.created_at_ms, 60'000);
  EXPECT_EQ(m.row.organization_id, "org-1");
  EXPECT_EQ(m.row.user_id, "user-1");
  EXPECT_EQ(m.row.sid, "sid-1");
  EXPECT_EQ(m.row.application_id, "app-1");
  EXPECT_EQ(m.row.redirect_uri, "https://app.example/callback");
  EXPECT_EQ(m.row.redeemed_at_ms, 0);
  auto p = nlohmann::json::parse(m.row.params);
  std::vector<std::string> keys;
  for (auto& [k, v] : p.items()) keys.push_back(k);
  EXPECT_EQ(keys,
            (std::vector<std::string>{"acr", "amr", "auth_time", "code_challenge",
                                      "code_challenge_method", "nonce", "resources", "scope"}));
  EXPECT_EQ(p["scope"], "openid email");
  EXPECT_EQ(p["resources"], nlohmann::json::array({"https://api.example/invoices"}));
  EXPECT_EQ(p["acr"], "urn:gatehouse:acr:mfa");
  EXPECT_EQ(p["amr"], nlohmann::json::array({"pwd", "otp"}));
  EXPECT_EQ(p["auth_time"], (clock.now_ms() - 42'000) / 1000);
  EXPECT_EQ(p["nonce"], "n");
  EXPECT_EQ(p["code_challenge_method"], "S256");
  // claims only when given.
  req.claims = nlohmann::json::parse(R"({"userinfo": {"email": null}})");
  p = nlohmann::json::parse(
      mint_authorization_code(req, s, app, clock.now_ms(), random).row.params);
  EXPECT_EQ(p["claims"], req.claims);
  EXPECT_NE(mint_authorization_code(req, s, app, 0, random).code, m.code);
}

TEST(ResponseMode, QueryRedirectCarriesCodeStateAndIss) {
  auto req = request();
  req.state = "a b&c";
  auto res =
      render_authorization_response(success_response(req, "CODE", "https://gh.example/sandbox"));
  EXPECT_EQ(res.status, 303);
  auto loc = res.headers;
  std::string location;
  for (auto& [k, v] : res.headers) {
    if (k == "Location") location = v;
  }
  EXPECT_EQ(location,
            "https://app.example/callback?code=CODE&state=a%20b%26c&iss=https%3A%2F%2Fgh.example%2F"
            "sandbox");
  // A registered URI with a query keeps it.
  req.redirect_uri = "http://127.0.0.1:8080/cb?x=1";
  req.state.clear();
  res = render_authorization_response(success_response(req, "C", "https://gh.example/sandbox"));
  for (auto& [k, v] : res.headers) {
    if (k == "Location") location = v;
  }
  EXPECT_EQ(location, "http://127.0.0.1:8080/cb?x=1&code=C&iss=https%3A%2F%2Fgh.example%2Fsandbox");
}

TEST(ResponseMode, ErrorsCarryIssAndAnAsciiDescription) {
  auto e = AuthorizationError::to_client("invalid_request", "bad \"thing\" \\ é",
                                         "https://a.example/cb", "s1", ResponseMode::query);
  auto r = error_response(e, "https://gh.example/sandbox");
  ASSERT_EQ(r.params.size(), 4u);
  EXPECT_EQ(r.params[0], (std::pair<std::string, std::string>{"error", "invalid_request"}));
  EXPECT_EQ(r.params[1].second, "bad ?thing? ? ??");
  EXPECT_EQ(r.params[2], (std::pair<std::string, std::string>{"state", "s1"}));
  EXPECT_EQ(r.params[3],
            (std::pair<std::string, std::string>{"iss", "https://gh.example/sandbox"}));
}

TEST(ResponseMode, FormPostIsAnAutoSubmittingFormAllowedByItsCspHash) {
  auto req = request();
  req.response_mode = ResponseMode::form_post;
  req.redirect_uri = "https://app.example/cb?a=1&b=\"2\"";
  req.state = "<script>alert(1)</script>";
  auto res =
      render_authorization_response(success_response(req, "CODE", "https://gh.example/sandbox"));
  EXPECT_EQ(res.status, 200);
  std::string csp, ctype, cache, location;
  for (auto& [k, v] : res.headers) {
    if (k == "Content-Security-Policy") csp = v;
    if (k == "Content-Type") ctype = v;
    if (k == "Cache-Control") cache = v;
    if (k == "Location") location = v;
  }
  EXPECT_EQ(ctype, "text/html; charset=utf-8");
  EXPECT_EQ(cache, "no-store");
  EXPECT_EQ(location, "");
  EXPECT_NE(res.body.find(
                "<form method=\"post\" action=\"https://app.example/cb?a=1&amp;b=&quot;2&quot;\">"),
            std::string::npos)
      << res.body;
  EXPECT_NE(res.body.find("name=\"code\" value=\"CODE\""), std::string::npos);
  EXPECT_NE(res.body.find("name=\"iss\" value=\"https://gh.example/sandbox\""), std::string::npos);
  EXPECT_NE(res.body.find("value=\"&lt;script&gt;alert(1)&lt;/script&gt;\""), std::string::npos);
  EXPECT_EQ(res.body.find("<script>alert"), std::string::npos);
  EXPECT_NE(res.body.find("<noscript>"), std::string::npos);
  EXPECT_NE(res.body.find("<button type=\"submit\">"), std::string::npos);
  // The one inline script is allowed by its hash, nothing else.
  const std::string script = between(res.body, "<script>", "</script>");
  ASSERT_FALSE(script.empty());
  EXPECT_NE(csp.find("script-src " + csp_sha256(script)), std::string::npos) << csp;
  EXPECT_NE(csp.find("default-src 'none'"), std::string::npos);
  EXPECT_EQ(csp.find("unsafe-inline"), std::string::npos);
}

TEST(ErrorPage, EscapedAccessibleWithCodeAndRequestIdAndNoRedirect) {
  Error e(errc::AuthorizeUnknownClient, "No application with client_id '<b>x</b>'");
  auto res = render_error_page(e, "req-77");
  EXPECT_EQ(res.status, 400);
  for (auto& [k, v] : res.headers) EXPECT_NE(k, "Location");
  EXPECT_NE(res.body.find("<html lang=\"en\">"), std::string::npos);
  EXPECT_NE(res.body.find("<h1>"), std::string::npos);
  EXPECT_NE(res.body.find("role=\"alert\""), std::string::npos);
  EXPECT_NE(res.body.find("&#39;&lt;b&gt;x&lt;/b&gt;&#39;"), std::string::npos);
  EXPECT_EQ(res.body.find("<b>x"), std::string::npos);
  EXPECT_NE(res.body.find("authorize.unknown_client"), std::string::npos);
  EXPECT_NE(res.body.find("req-77"), std::string::npos);
  std::string csp;
  for (auto& [k, v] : res.headers) {
    if (k == "Content-Security-Policy") csp = v;
  }
  const std::string style = between(res.body, "<style>", "</style>");
  ASSERT_FALSE(style.empty());
  EXPECT_NE(csp.find("style-src " + csp_sha256(style)), std::string::npos) << csp;
  EXPECT_EQ(res.body.find("<script"), std::string::npos);
  EXPECT_EQ(render_error_page(Error(errc::StoreUnavailable), "r").status, 503);
}

}  // namespace
}  // namespace gh::oauth
