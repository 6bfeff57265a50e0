// The authorization endpoint and the resume step over HTTP (the router, no sockets) against the
// real store on both backends: the error page for an unknown client and an unregistered redirect
// URI (never a redirect), errors and codes at the redirect URI with iss, form_post, prompt=none,
// the pending request and hosted login's view of it (PendingLoginRequests), single use and
// expiry, another environment's request, and codes issued with a live session.
#include <gtest/gtest.h>

#include <chrono>
#include <map>

#include "core/encoding.h"
#include "oauth/authorization_code.h"
#include "oauth/error_codes.h"
#include "oauth/front_channel.h"
#include "oauth/login_request_source.h"
#include "session_fixture.h"
#include "test_store.h"

namespace gh::oauth {
namespace {

using std::chrono::milliseconds;
using store::Backend;

const std::string kRedirect = "https://app.example/callback";
const std::string kChallenge = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM";
const std::string kPublicUrl = "https://id.example";
// What hosted login's source answers for unknown requests (federation/login_request.h).
constexpr ErrorCode kLoginRequestNotFoundCode = errc::OAuthRequestNotFound;
const std::string kLoginRequestNotFound = "oauth.request_not_found";

struct Answer {
  http::Response res;
  std::string header(const std::string& name) const {
    for (const auto& [k, v] : res.headers) {
      if (strcasecmp(k.c_str(), name.c_str()) == 0) return v;
    }
    return "";
  }
  bool has_header(const std::string& name) const {
    for (const auto& [k, v] : res.headers) {
      if (strcasecmp(k.c_str(), name.c_str()) == 0) return true;
    }
    return false;
  }
  // The parameters of the Location's query.
  std::map<std::string, std::string> location_params() const {
    const std::string loc = header("Location");
    std::map<std::string, std::string> out;
    const size_t q = loc.find('?');
    if (q == std::string::npos) return out;
    auto parsed = parse_query(loc.substr(q + 1));
    EXPECT_TRUE(parsed) << loc;
    if (!parsed) return out;
    for (auto& [k, v] : *parsed) out[k] = v;
    return out;
  }
  std::string location_base() const {
    const std::string loc = header("Location");
    return loc.substr(0, loc.find('?'));
  }
};

class AuthorizeEndpoint : public ::testing::TestWithParam<Backend> {
 protected:
  AuthorizeEndpoint()
      : store_(GetParam(), &clock_),
        environments_(*store_, milliseconds(60'000), clock_),
        random_(42),
        sessions_(*store_, clock_, random_),
        requests_(*store_, kLoginRequestNotFoundCode, clock_) {
    env_ = make_env("sandbox");
    other_env_ = make_env("production");
    acme_ = make_org(env_, "acme");
    globex_ = make_org(env_, "globex");
    app_ = make_app(env_, "gh_app_demo", {kRedirect, "http://127.0.0.1:8080/cb"});
    make_app(other_env_, "gh_app_demo", {kRedirect});
    auto res = tx<store::Resource>([&](store::Repositories& r) {
      store::Resource x;
      x.environment_id = env_.id;
      x.identifier = "https://api.example/invoices";
      x.name = "Invoices";
      x.permissions = {{"invoices:read", "Read"}};
      return r.applications().create_resource(x);
    });
    EXPECT_TRUE(res) << res.error().text();
    fc_ = std::make_shared<FrontChannel>(FrontChannelOptions{.store = *store_,
                                                             .sessions = sessions_.lookup(),
                                                             .public_url = kPublicUrl + "/",
                                                             .clock = clock_,
                                                             .random = random_});
    add_front_channel_routes(router_, environments_, fc_);
  }

  template <class T>
  Result<T> tx(const std::function<Result<T>(store::Repositories&)>& fn) {
    return store_->transact<T>(fn);
  }
  store::Environment make_env(const std::string& name) {
    return *tx<store::Environment>(
        [&](store::Repositories& r) { return r.environments().create({.name = name}); });
  }
  store::Organization make_org(const store::Environment& env, const std::string& slug) {
    return *tx<store::Organization>([&](store::Repositories& r) {
      return r.organizations().create({.environment_id = env.id, .slug = slug, .name = slug});
    });
  }
  store::Application make_app(const store::Environment& env, const std::string& client_id,
                              std::vector<std::string> redirects) {
    store::Application a;
    a.environment_id = env.id;
    a.client_id = client_id;
    a.name = "Demo <App>";
    a.redirect_uris = std::move(redirects);
    auto created =
        tx<store::Application>([&](store::Repositories& r) { return r.applications().create(a); });
    EXPECT_TRUE(created) << created.error().text();
    return *created;
  }

  Answer call(const std::string& method, const std::string& target, const std::string& cookie = "",
              const std::string& body = "", const std::string& content_type = "") {
    http::Request req;
    req.method = method;
    req.target = target;
    const size_t q = target.find('?');
    req.path = target.substr(0, q);
    req.query = q == std::string::npos ? "" : target.substr(q + 1);
    req.body = body;
    req.request_id = "req-" + std::to_string(++calls_);
    if (!cookie.empty()) req.headers.emplace_back("Cookie", cookie);
    if (!content_type.empty()) req.headers.emplace_back("Content-Type", content_type);
    auto m = router_.match(method, req.path);
    EXPECT_TRUE(m.route) << method << " " << req.path;
    if (!m.route) return {};
    req.params = m.params;
    return {m.route->handler(req)};
  }

  static std::string query(const std::vector<std::pair<std::string, std::string>>& params) {
    std::string q;
    for (const auto& [k, v] : params) {
      q += (q.empty() ? "" : "&") + percent_encode(k) + "=" + percent_encode(v);
    }
    return q;
  }
  std::vector<std::pair<std::string, std::string>> base() const {
    return {{"client_id", "gh_app_demo"},
            {"redirect_uri", kRedirect},
            {"response_type", "code"},
            {"scope", "openid email"},
            {"state", "st-1"},
            {"nonce", "n-1"},
            {"code_challenge", kChallenge},
            {"code_challenge_method", "S256"}};
  }
  Answer authorize(std::vector<std::pair<std::string, std::string>> extra = {},
                   const std::string& cookie = "", const std::string& env = "sandbox") {
    auto p = base();
    for (auto& [k, v] : extra) {
      bool replaced = false;
      for (auto& [bk, bv] : p) {
        if (bk == k) {
          bv = v;
          replaced = true;
        }
      }
      if (!replaced) p.emplace_back(k, v);
    }
    std::erase_if(p, [](const auto& kv) { return kv.second == "<drop>"; });
    return call("GET", "/" + env + "/oauth2/authorize?" + query(p), cookie);
  }
  std::string cookie_for(const TestSession& s, const std::string& env = "sandbox") {
    return "other=1; gh_session_" + env + "=" + s.cookie_value;
  }
  // The pending request id from a redirect to the login page.
  std::string pending_id(const Answer& a) {
    EXPECT_EQ(a.res.status, 303);
    EXPECT_EQ(a.location_base(), kPublicUrl + "/sandbox/login") << a.header("Location");
    return a.location_params()["request"];
  }
  Answer resume(const std::string& id, const std::string& cookie = "",
                const std::string& env = "sandbox") {
    return call("GET", "/" + env + "/oauth2/authorize/resume?request=" + percent_encode(id),
                cookie);
  }
  void expect_page(const Answer& a, int status, const std::string& code) {
    EXPECT_EQ(a.res.status, status) << a.res.body;
    EXPECT_FALSE(a.has_header("Location")) << "never a redirect: " << a.header("Location");
    EXPECT_EQ(a.header("Content-Type"), "text/html; charset=utf-8");
    EXPECT_NE(a.res.body.find(code), std::string::npos) << a.res.body;
    EXPECT_NE(a.res.body.find("req-" + std::to_string(calls_)), std::string::npos)
        << "the page names the request id";
  }
  void expect_client_error(const Answer& a, const std::string& error) {
    EXPECT_EQ(a.res.status, 303) << a.res.body;
    EXPECT_EQ(a.location_base(), kRedirect);
    auto p = a.location_params();
    EXPECT_EQ(p["error"], error) << a.header("Location");
    EXPECT_EQ(p["state"], "st-1");
    EXPECT_EQ(p["iss"], kPublicUrl + "/sandbox");
    EXPECT_EQ(p.count("code"), 0u);
  }
  // The stored code for a code given to the client.
  std::optional<store::AuthorizationCode> stored_code(const std::string& code) {
    auto c = store_->read<std::optional<store::AuthorizationCode>>([&](store::Repositories& r) {
      return r.oauth_grants().find_code(env_.id, authorization_code_hash(code));
    });
    EXPECT_TRUE(c);
    return c ? *c : std::nullopt;
  }

  FakeClock clock_;
  testing::TestStore store_;
  tenancy::EnvironmentCache environments_;
  SeededRandom random_;
  SessionFixture sessions_;
  PendingLoginRequests requests_;
  http::Router router_;
  std::shared_ptr<FrontChannel> fc_;
  store::Environment env_, other_env_;
  store::Organization acme_, globex_;
  store::Application app_;
  int calls_ = 0;
};

TEST_P(AuthorizeEndpoint, UnknownClientGetsTheErrorPageNotARedirect) {
  auto a = authorize({{"client_id", "gh_app_nope"}});
  expect_page(a, 400, "authorize.unknown_client");
  EXPECT_NE(a.res.body.find("gh_app_nope"), std::string::npos);
  // The client of another environment is unknown here.
  a = authorize({{"client_id", "gh_app_demo"}}, "", "production");
  EXPECT_EQ(a.res.status, 303) << "production has its own gh_app_demo";
  expect_page(authorize({{"client_id", "<drop>"}}), 400, "authorize.missing_client_id");
  auto env = call("GET", "/nowhere/oauth2/authorize?" + query(base()));
  expect_page(env, 404, "environment.not_found");
}

TEST_P(AuthorizeEndpoint, UnregisteredRedirectUriGetsTheErrorPage) {
  for (const std::string& uri :
       std::vector<std::string>{kRedirect + "/", "https://APP.example/callback",
                                "https://app.example/Callback", "https://evil.example/callback"}) {
    auto a = authorize({{"redirect_uri", uri}});
    expect_page(a, 400, "authorize.redirect_uri_mismatch");
    EXPECT_EQ(a.res.body.find("<App>"), std::string::npos) << "escaped";
    EXPECT_NE(a.res.body.find("Demo &lt;App&gt;"), std::string::npos);
    EXPECT_NE(a.header("Content-Security-Policy").find("default-src 'none'"), std::string::npos);
  }
  expect_page(authorize({{"redirect_uri", "<drop>"}}), 400, "authorize.missing_redirect_uri");
}

TEST_P(AuthorizeEndpoint, DisabledApplicationGetsTheErrorPage) {
  auto app = app_;
  app.status = "disabled";
  ASSERT_TRUE(
      tx<store::Application>([&](store::Repositories& r) { return r.applications().update(app); }));
  expect_page(authorize(), 400, "authorize.client_disabled");
}

TEST_P(AuthorizeEndpoint, ErrorsGoToTheClientWithStateAndIss) {
  expect_client_error(authorize({{"response_type", "token"}}), "unsupported_response_type");
  expect_client_error(authorize({{"response_type", "code id_token"}}), "unsupported_response_type");
  expect_client_error(authorize({{"code_challenge_method", "plain"}}), "invalid_request");
  expect_client_error(
      authorize({{"code_challenge", "<drop>"}, {"code_challenge_method", "<drop>"}}),
      "invalid_request");
  expect_client_error(authorize({{"scope", "email"}}), "invalid_scope");
  expect_client_error(authorize({{"claims", "{not json"}}), "invalid_request");
  expect_client_error(authorize({{"resource", "https://api.example/invoices#x"}}),
                      "invalid_target");
  expect_client_error(authorize({{"resource", "https://api.example/unknown"}}), "invalid_target");
  expect_client_error(
      authorize({{"scope", "openid invoices:write"}, {"resource", "https://api.example/invoices"}}),
      "invalid_scope");
  expect_client_error(authorize({{"organization", "no-such-org"}}), "invalid_request");
  expect_client_error(authorize({{"prompt", "none login"}}), "invalid_request");
  // A known permission of a known resource passes validation (and goes to the login page).
  auto ok =
      authorize({{"scope", "openid invoices:read"}, {"resource", "https://api.example/invoices"}});
  EXPECT_EQ(ok.location_base(), kPublicUrl + "/sandbox/login") << ok.header("Location");
}

TEST_P(AuthorizeEndpoint, TheApplicationMustAllowTheCodeGrant) {
  auto app = app_;
  app.grant_types = {"client_credentials"};
  ASSERT_TRUE(
      tx<store::Application>([&](store::Repositories& r) { return r.applications().update(app); }));
  expect_client_error(authorize(), "unauthorized_client");
}

TEST_P(AuthorizeEndpoint, PromptNoneWithoutASessionIsLoginRequired) {
  expect_client_error(authorize({{"prompt", "none"}}), "login_required");
  // A cookie that names no session is no session.
  expect_client_error(authorize({{"prompt", "none"}}, "gh_session_sandbox=gh_ss_bogus_value"),
                      "login_required");
  // A session of another organization than the one required: interaction needed.
  auto s = sessions_.start(env_, acme_, "conn-1", clock_.now_ms());
  expect_client_error(authorize({{"prompt", "none"}, {"organization", "globex"}}, cookie_for(s)),
                      "interaction_required");
}

TEST_P(AuthorizeEndpoint, FormPostDeliversAnAutoSubmittingForm) {
  auto a = authorize({{"prompt", "none"}, {"response_mode", "form_post"}});
  EXPECT_EQ(a.res.status, 200);
  EXPECT_FALSE(a.has_header("Location"));
  EXPECT_EQ(a.header("Content-Type"), "text/html; charset=utf-8");
  EXPECT_NE(a.res.body.find("<form method=\"post\" action=\"" + kRedirect + "\">"),
            std::string::npos)
      << a.res.body;
  EXPECT_NE(a.res.body.find("name=\"error\" value=\"login_required\""), std::string::npos);
  EXPECT_NE(a.res.body.find("name=\"state\" value=\"st-1\""), std::string::npos);
  EXPECT_NE(a.res.body.find("name=\"iss\" value=\"" + kPublicUrl + "/sandbox\""),
            std::string::npos);
  EXPECT_NE(a.res.body.find("<noscript>"), std::string::npos);
  EXPECT_NE(a.header("Content-Security-Policy").find("script-src 'sha256-"), std::string::npos);
  EXPECT_EQ(a.header("Cache-Control"), "no-store");
}

TEST_P(AuthorizeEndpoint, ALiveSessionGetsACodeAtOnce) {
  auto s = sessions_.start(env_, acme_, "conn-1", clock_.now_ms() - 5'000);
  auto a = authorize({{"acr_values", "urn:gatehouse:acr:phr"}}, cookie_for(s));
  ASSERT_EQ(a.res.status, 303) << a.res.body;
  EXPECT_EQ(a.location_base(), kRedirect);
  auto p = a.location_params();
  EXPECT_EQ(p["state"], "st-1");
  EXPECT_EQ(p["iss"], kPublicUrl + "/sandbox");
  ASSERT_EQ(p["code"].size(), 43u);
  EXPECT_EQ(a.header("Cache-Control"), "no-store");
  auto code = stored_code(p["code"]);
  ASSERT_TRUE(code);
  EXPECT_EQ(code->organization_id, acme_.id);
  EXPECT_EQ(code->user_id, s.session.user_id);
  EXPECT_EQ(code->sid, s.session.sid);
  EXPECT_EQ(code->client_id, "gh_app_demo");
  EXPECT_EQ(code->application_id, app_.id);
  EXPECT_EQ(code->redirect_uri, kRedirect);
  EXPECT_EQ(code->expires_at_ms - code->created_at_ms, 60'000);
  auto params = nlohmann::json::parse(code->params);
  EXPECT_EQ(params["scope"], "openid email");
  EXPECT_EQ(params["nonce"], "n-1");
  EXPECT_EQ(params["code_challenge"], kChallenge);
  EXPECT_EQ(params["code_challenge_method"], "S256");
  EXPECT_EQ(params["acr"], s.session.acr) << "what the session achieved, not what was asked";
  EXPECT_EQ(params["amr"], nlohmann::json(s.session.amr));
  EXPECT_EQ(params["auth_time"], s.session.auth_time_ms / 1000);
  EXPECT_FALSE(params.contains("claims"));
  EXPECT_TRUE(sessions_.has_client(env_, acme_, s.session.sid, "gh_app_demo"));
  // The same session's cookie does not work in another environment.
  auto elsewhere = authorize({{"prompt", "none"}}, cookie_for(s, "production"), "production");
  EXPECT_EQ(elsewhere.location_params()["error"], "login_required");
}

TEST_P(AuthorizeEndpoint, ASessionThatDoesNotSatisfyTheRequestGoesToTheLoginPage) {
  auto s = sessions_.start(env_, acme_, "conn-1", clock_.now_ms() - 600'000);
  // prompt=login, max_age exceeded, another organization, another connection, essential acr
  // not reached: all go through the login page, none issue a code.
  for (const auto& extra : std::vector<std::vector<std::pair<std::string, std::string>>>{
           {{"prompt", "login"}},
           {{"max_age", "599"}},
           {{"organization", globex_.id}},
           {{"connection", "conn-2"}},
           {{"claims", R"({"id_token":{"acr":{"essential":true,"value":"urn:x:gold"}}})"}},
           {{"prompt", "select_account"}}}) {
    auto a = authorize(extra, cookie_for(s));
    const std::string id = pending_id(a);
    EXPECT_EQ(id.size(), 43u) << "256-bit random id";
  }
  auto a = authorize({{"max_age", "600"}}, cookie_for(s));
  EXPECT_EQ(a.location_base(), kRedirect) << "exactly max_age is still fine";
  EXPECT_EQ(a.location_params().count("code"), 1u);
  auto forced = requests_.find(env_.id, pending_id(authorize({{"max_age", "60"}}, cookie_for(s))));
  ASSERT_TRUE(forced) << forced.error().text();
  EXPECT_TRUE(forced->force_authn) << "max_age exceeded by the existing session";
  EXPECT_EQ(forced->max_age_s, 60);
}

TEST_P(AuthorizeEndpoint, LoginThenResumeIssuesTheCode) {
  auto a =
      authorize({{"login_hint", "ann@acme.example"},
                 {"domain_hint", "acme.example"},
                 {"organization", "acme"},
                 {"acr_values", "urn:gatehouse:acr:mfa urn:gatehouse:acr:pwd"},
                 {"claims", R"({"id_token":{"acr":{"essential":true}},"userinfo":{"email":null}})"},
                 {"response_mode", "form_post"}});
  const std::string id = pending_id(a);
  // What hosted login sees.
  auto lr = requests_.find(env_.id, id);
  ASSERT_TRUE(lr) << lr.error().text();
  EXPECT_EQ(lr->client_id, "gh_app_demo");
  EXPECT_EQ(lr->client_name, "Demo <App>");
  EXPECT_EQ(lr->login_hint, "ann@acme.example");
  EXPECT_EQ(lr->domain_hint, "acme.example");
  EXPECT_EQ(lr->organization_id, acme_.id) << "the slug resolved to the id";
  EXPECT_EQ(lr->acr_values,
            (std::vector<std::string>{"urn:gatehouse:acr:mfa", "urn:gatehouse:acr:pwd"}));
  EXPECT_TRUE(lr->acr_essential);
  EXPECT_FALSE(lr->force_authn);
  EXPECT_EQ(lr->resume_url, kPublicUrl + "/sandbox/oauth2/authorize/resume?request=" + id);
  EXPECT_EQ(lr->expires_at_ms, clock_.now_ms() + 600'000);
  // Not visible from another environment, in either direction.
  auto other = requests_.find(other_env_.id, id);
  ASSERT_FALSE(other);
  EXPECT_EQ(other.error().code_name(), kLoginRequestNotFound);
  expect_page(resume(id, "", "production"), 404, "oauth.request_not_found");

  clock_.advance(milliseconds(30'000));
  auto s = sessions_.start(env_, acme_, "conn-1", clock_.now_ms() - 1'000);
  auto done = resume(id, cookie_for(s));
  ASSERT_EQ(done.res.status, 200) << "form_post";
  const std::string marker = "name=\"code\" value=\"";
  const size_t at = done.res.body.find(marker);
  ASSERT_NE(at, std::string::npos) << done.res.body;
  const std::string issued = done.res.body.substr(at + marker.size(), 43);
  EXPECT_EQ(done.res.body[at + marker.size() + 43], '"');
  auto code = stored_code(issued);
  ASSERT_TRUE(code);
  EXPECT_EQ(code->sid, s.session.sid);
  auto params = nlohmann::json::parse(code->params);
  EXPECT_EQ(params["claims"]["userinfo"], nlohmann::json::parse(R"({"email":null})"));
  EXPECT_EQ(params["acr"], "urn:gatehouse:acr:mfa");
  EXPECT_TRUE(sessions_.has_client(env_, acme_, s.session.sid, "gh_app_demo"));
  // Single use: the request is gone, for the resume step and for hosted login.
  expect_page(resume(id, cookie_for(s)), 404, "oauth.request_not_found");
  EXPECT_FALSE(requests_.find(env_.id, id));
}

TEST_P(AuthorizeEndpoint, ResumeWithoutOrWithTheWrongSessionTellsTheClient) {
  std::string id = pending_id(authorize());
  expect_client_error(resume(id), "login_required");
  expect_page(resume(id), 404, "oauth.request_not_found");  // used, even though it failed

  // The organization the request named, but a session of another one.
  id = pending_id(authorize({{"organization", globex_.id}}));
  auto s = sessions_.start(env_, acme_, "conn-1", clock_.now_ms());
  expect_client_error(resume(id, cookie_for(s)), "access_denied");

  // prompt=login: the session must come from a login made after the request.
  auto old = sessions_.start(env_, acme_, "conn-1", clock_.now_ms() - 1);
  id = pending_id(authorize({{"prompt", "login"}}, cookie_for(old)));
  auto lr = requests_.find(env_.id, id);
  ASSERT_TRUE(lr);
  EXPECT_TRUE(lr->force_authn);
  expect_client_error(resume(id, cookie_for(old)), "access_denied");
  id = pending_id(authorize({{"prompt", "login"}}, cookie_for(old)));
  auto fresh = sessions_.start(env_, acme_, "conn-1", clock_.now_ms());
  auto done = resume(id, cookie_for(fresh));
  EXPECT_EQ(done.location_base(), kRedirect);
  EXPECT_EQ(done.location_params().count("code"), 1u) << done.header("Location");

  // Essential acr not reached by the login.
  id = pending_id(authorize(
      {{"claims", R"({"id_token":{"acr":{"essential":true,"values":["urn:x:gold"]}}})"}}));
  expect_client_error(resume(id, cookie_for(fresh)), "access_denied");
}

TEST_P(AuthorizeEndpoint, APendingRequestExpiresAfterTenMinutes) {
  const std::string id = pending_id(authorize());
  clock_.advance(milliseconds(600'000));
  auto s = sessions_.start(env_, acme_, "conn-1", clock_.now_ms());
  expect_page(resume(id, cookie_for(s)), 404, "oauth.request_not_found");
  EXPECT_FALSE(requests_.find(env_.id, id));
  expect_page(resume("", cookie_for(s)), 404, "oauth.request_not_found");
  expect_page(resume("not-a-request", cookie_for(s)), 404, "oauth.request_not_found");
}

TEST_P(AuthorizeEndpoint, PostedRequestsAreFormEncoded) {
  auto s = sessions_.start(env_, acme_, "conn-1", clock_.now_ms());
  auto a = call("POST", "/sandbox/oauth2/authorize", cookie_for(s), query(base()),
                "application/x-www-form-urlencoded; charset=utf-8");
  EXPECT_EQ(a.location_base(), kRedirect);
  EXPECT_EQ(a.location_params().count("code"), 1u) << a.header("Location");
  expect_page(call("POST", "/sandbox/oauth2/authorize", cookie_for(s), "{}", "application/json"),
              400, "authorize.malformed_request");
}

INSTANTIATE_TEST_SUITE_P(Sqlite, AuthorizeEndpoint, ::testing::Values(Backend::sqlite));
INSTANTIATE_TEST_SUITE_P(Postgres, AuthorizeEndpoint, ::testing::Values(Backend::postgres));

}  // namespace
}  // namespace gh::oauth
