// Hosted login with the test IdP over a real SQLite store, with fakes for the seams it calls
// (LoginRequestSource, IdentityResolver, SessionStarter): discovery and the chooser, the domain
// guard, catalog values dropped on the trace, sandbox-only, tampered or replayed callbacks, and
// test-mode logins that write nothing.
#include <gtest/gtest.h>

#include <map>

#include "core/encoding.h"
#include "crypto/kek/local_kek.h"
#include "federation/discovery.h"
#include "federation/error_codes.h"
#include "federation/hosted_login.h"
#include "federation/routes.h"
#include "federation/testidp/test_idp.h"
#include "test_store.h"

namespace gh::federation {
namespace {

class FakeRequests final : public LoginRequestSource {
 public:
  Result<LoginRequest> find(std::string_view env, std::string_view id) override {
    auto it = requests.find(std::string(id));
    if (it == requests.end() || it->second.environment_id != env) {
      return fail(errc::LoginRequestNotFound);
    }
    return it->second;
  }
  std::map<std::string, LoginRequest> requests;
};

class FakeResolver final : public identity::IdentityResolver {
 public:
  Result<identity::ResolvedUser> resolve(const identity::LoginIdentity& id, bool dry_run) override {
    calls.push_back({id, dry_run});
    if (refuse) return fail(errc::LoginUnavailable);
    return identity::ResolvedUser{"user-" + id.subject, true, false};
  }
  std::vector<std::pair<identity::LoginIdentity, bool>> calls;
  bool refuse = false;
};

class FakeSessions final : public sessions::SessionStarter {
 public:
  Result<sessions::StartedSession> start(const sessions::NewSession& s) override {
    started.push_back(s);
    sessions::StartedSession out;
    out.session.sid = "sid-1";
    out.cookie_value = "gh_ss_cookie";
    out.cookie_max_age_s = 600;
    return out;
  }
  std::vector<sessions::NewSession> started;
};

std::shared_ptr<crypto::KekProvider> master() {
  return *crypto::LocalKek::from_bytes("local:test", std::string(32, 'k'),
                                       SecureRandom::instance());
}

std::string query_value(const std::string& url, const std::string& name) {
  auto q = url.find('?');
  auto params = parse_query(url.substr(q + 1));
  for (auto& [k, v] : *params) {
    if (k == name) return v;
  }
  return {};
}

// The value of the first cookie set whose name starts with `prefix`.
std::string cookie_named(const LoginStep& s, const std::string& prefix) {
  for (const auto& c : s.set_cookies) {
    const size_t eq = c.find('=');
    if (c.rfind(prefix, 0) == 0 && eq != std::string::npos) {
      return c.substr(eq + 1, c.find(';') - eq - 1);
    }
  }
  return {};
}

class HostedLoginTest : public ::testing::Test {
 protected:
  HostedLoginTest()
      : store_(store::Backend::sqlite, &clock_),
        tenancy_(*store_, tenancy::SecretHasher(std::string(32, 'p')), clock_),
        sealing_(*store_, master(), {}, clock_),
        catalog_(*store_, tenancy_, clock_),
        connections_(*store_, tenancy_, sealing_, &catalog_, "https://id.example", 30, clock_,
                     random_),
        requests_(std::make_shared<FakeRequests>()),
        resolver_(std::make_shared<FakeResolver>()),
        sessions_(std::make_shared<FakeSessions>()),
        login_(*store_, tenancy_, sealing_, catalog_, connections_,
               {requests_, resolver_, sessions_}, "https://id.example", clock_, random_) {
    sandbox_ = make_env("sandbox", "sandbox");
    production_ = make_env("production", "production");
    acme_ = make_org(sandbox_, "acme");
    globex_ = make_org(sandbox_, "globex");
    verify_domain(acme_, "acme.test");
    verify_domain(globex_, "globex.test");
    request("r1", {});
  }
  store::Environment make_env(const std::string& name, const std::string& kind) {
    return *store_->transact<store::Environment>([&](store::Repositories& r) {
      return r.environments().create({.name = name, .kind = kind});
    });
  }
  store::Organization make_org(const store::Environment& env, const std::string& slug) {
    return *store_->transact<store::Organization>([&](store::Repositories& r) {
      return r.organizations().create({.environment_id = env.id, .slug = slug, .name = slug});
    });
  }
  void verify_domain(const store::Organization& org, const std::string& name) {
    ASSERT_TRUE(
        store_->transact<store::Domain>([&](store::Repositories& r) -> Result<store::Domain> {
          store::Domain d{.environment_id = org.environment_id,
                          .organization_id = org.id,
                          .name = name,
                          .token = "t"};
          if (auto c = r.domains().create(d); !c) return c;
          return r.domains().mark_verified(org.environment_id, org.id, name, clock_.now_ms(),
                                           clock_.now_ms() + 1000);
        }));
  }
  LoginRequest& request(const std::string& id, LoginRequest r) {
    r.environment_id = sandbox_.id;
    r.id = id;
    r.client_name = "Demo app";
    r.resume_url = "https://id.example/sandbox/oauth2/resume?request=" + id;
    return requests_->requests[id] = r;
  }
  store::Connection connection(const store::Organization& org, const std::string& name,
                               nlohmann::json body = nlohmann::json::object(),
                               bool activate = true) {
    clock_.advance(std::chrono::milliseconds(1));  // the chooser lists in creation order
    body["type"] = "test";
    body["name"] = name;
    if (!body.contains("domains")) body["domains"] = {"acme.test"};
    auto in = parse_connection_input(body, true);
    EXPECT_TRUE(in) << in.error().text();
    auto c = connections_.create(sandbox_, org.id, *in, actor_);
    EXPECT_TRUE(c) << c.error().text();
    if (activate) c = connections_.set_status(sandbox_, org.id, c->id, "active", actor_);
    return *c;
  }
  // Posts the test IdP form as a browser would.
  LoginStep post_form(const LoginStep& redirect, const std::string& connection_id,
                      std::multimap<std::string, std::string> fields, std::string cookie = "?") {
    CallbackParams p;
    p.values = std::move(fields);
    if (!p.has("state")) p.values.emplace("state", query_value(redirect.url, "state"));
    if (cookie == "?") cookie = cookie_named(redirect, "gh_login_sandbox_");
    std::vector<std::string> cookies;
    if (!cookie.empty()) cookies.push_back(cookie);
    return login_.callback(sandbox_, connection_id, p, cookies, "http-req-1");
  }
  nlohmann::json trace(const store::Organization& org, const std::string& request_id) {
    auto t = connections_.trace(sandbox_, org.id, request_id);
    EXPECT_TRUE(t) << t.error().text();
    return t ? *t : nlohmann::json();
  }
  static bool has_check(const nlohmann::json& checks, const std::string& code, bool passed) {
    for (const auto& c : checks) {
      if (c["code"] == code && c["passed"] == passed) return true;
    }
    return false;
  }
  int64_t audit_count();

  FakeClock clock_;
  SeededRandom random_{42};
  testing::TestStore store_;
  tenancy::TenancyService tenancy_;
  tenancy::Sealing sealing_;
  catalog::CatalogService catalog_;
  ConnectionService connections_;
  std::shared_ptr<FakeRequests> requests_;
  std::shared_ptr<FakeResolver> resolver_;
  std::shared_ptr<FakeSessions> sessions_;
  HostedLogin login_;
  tenancy::Actor actor_{"api_key", "k1", "req-1", "127.0.0.1"};
  store::Environment sandbox_, production_;
  store::Organization acme_, globex_;
};

// Every mutation of the organization leaves an audit record in its transaction.
int64_t HostedLoginTest::audit_count() {
  return static_cast<int64_t>(
      store_
          ->read<std::vector<store::AuditRecord>>([&](store::Repositories& r) {
            return r.audit().list(sandbox_.id, acme_.id, 0, 1000);
          })
          ->size());
}

TEST(Discovery, EmailDomainAndGuard) {
  EXPECT_EQ(*email_domain("Jane@Acme.TEST"), "acme.test");
  for (const char* bad : {"", "jane", "jane@", "@acme.test", "jane@acme", "a b@acme.test",
                          "jane@acme.test.", "a@b@acme.test"}) {
    auto d = email_domain(bad);
    ASSERT_FALSE(d) << bad;
    EXPECT_EQ(d.error().code, errc::LoginEmailInvalid);
  }
  std::vector<store::Domain> domains = {{.name = "acme.test", .state = "verified"},
                                        {.name = "pending.test", .state = "pending"}};
  EXPECT_TRUE(domain_allowed("jane@acme.test", domains, {}));
  EXPECT_FALSE(domain_allowed("jane@pending.test", domains, {}));  // not verified
  EXPECT_FALSE(domain_allowed("jane@sub.acme.test", domains, {}));
  EXPECT_FALSE(domain_allowed("jane@partner.test", domains, {}));
  EXPECT_TRUE(domain_allowed("jane@partner.test", domains, {"Partner.test"}));
}

TEST(Discovery, ChoicesFilteredByStatusDomainPolicyAndRequest) {
  auto conn = [](std::string id, std::string status, nlohmann::json domains) {
    store::Connection c;
    c.id = std::move(id);
    c.organization_id = "org";
    c.status = std::move(status);
    c.domains = std::move(domains);
    return c;
  };
  DiscoveryInput in;
  in.organization_id = "org";
  in.domain = "acme.test";
  in.connections = {conn("a", "active", {"acme.test"}), conn("b", "active", {"ACME.test"}),
                    conn("c", "draft", {"acme.test"}), conn("d", "disabled", {"acme.test"}),
                    conn("e", "active", {"other.test"})};
  auto all = choose_connections(in);
  ASSERT_TRUE(all);
  ASSERT_EQ(all->size(), 2u);
  EXPECT_EQ((*all)[0].id, "a");
  EXPECT_EQ((*all)[1].id, "b");

  in.allowed_connections = {"b", "e"};
  auto policy = choose_connections(in);
  ASSERT_TRUE(policy);
  ASSERT_EQ(policy->size(), 1u);
  EXPECT_EQ((*policy)[0].id, "b");

  in.requested_connection = "a";  // excluded by the policy
  auto excluded = choose_connections(in);
  ASSERT_FALSE(excluded);
  EXPECT_EQ(excluded.error().code, errc::LoginConnectionNotAllowed);

  in.allowed_connections.clear();
  in.requested_connection = "zzz";
  EXPECT_EQ(choose_connections(in).error().code, errc::LoginConnectionNotAllowed);

  in.requested_connection.clear();
  in.requested_organization = "another-org";
  EXPECT_EQ(choose_connections(in).error().code, errc::LoginConnectionNotAllowed);

  in.requested_organization.clear();
  in.domain = "nobody.test";
  EXPECT_EQ(choose_connections(in).error().code, errc::LoginNoConnection);

  in.domain.clear();  // the application named the organization: every active connection
  EXPECT_EQ(choose_connections(in)->size(), 3u);
}

TEST(Trace, RedactsSecretFieldsAtAnyDepth) {
  auto r = redact({{"state", "s"}, {"email", "a@b.c"}, {"nested", {{"code", "c"}, {"x", 1}}}});
  EXPECT_EQ(r["state"], "[redacted]");
  EXPECT_EQ(r["nested"]["code"], "[redacted]");
  EXPECT_EQ(r["email"], "a@b.c");
  EXPECT_EQ(r["nested"]["x"], 1);
}

TEST(Pages, EscapedWithANonceBoundCspAndAccessibleMarkup) {
  SeededRandom random(7);
  auto step = HostedLogin::error_page(
      Error(errc::LoginNoConnection, "<script>alert(1)</script> & \"x\""), "req-<1>");
  auto res = render_step(step, random);
  EXPECT_EQ(res.status, 404);
  EXPECT_EQ(res.body.find("<script>alert"), std::string::npos);
  EXPECT_NE(res.body.find("&lt;script&gt;alert(1)&lt;&#x2F;script&gt; &amp; &quot;x&quot;"),
            std::string::npos)
      << res.body;
  EXPECT_NE(res.body.find("req-&lt;1&gt;"), std::string::npos);
  EXPECT_NE(res.body.find("login.no_connection"), std::string::npos);
  EXPECT_NE(res.body.find("<html lang=\"en\">"), std::string::npos);
  EXPECT_NE(res.body.find("role=\"alert\""), std::string::npos);
  std::string csp, cache;
  for (const auto& [k, v] : res.headers) {
    if (k == "Content-Security-Policy") csp = v;
    if (k == "Cache-Control") cache = v;
  }
  EXPECT_EQ(cache, "no-store");
  ASSERT_NE(csp.find("default-src 'none'"), std::string::npos);
  const size_t n = csp.find("'nonce-") + 7;
  const std::string nonce = csp.substr(n, csp.find('\'', n) - n);
  EXPECT_NE(res.body.find("<style nonce=\"" + nonce + "\">"), std::string::npos);

  LoginStep email;
  email.page = "login_email";
  email.view = {{"request", "r1"}, {"action", "/sandbox/login"}, {"login_hint", ""}};
  auto page = render_step(email, random).body;
  EXPECT_NE(page.find("<label for=\"email\">"), std::string::npos);
  EXPECT_NE(page.find("id=\"email\""), std::string::npos);
  EXPECT_NE(page.find("<h1>"), std::string::npos);

  LoginStep post;
  post.kind = LoginStep::Kind::auto_post;
  post.url = "https://idp.example/sso";
  post.form = {{"SAMLRequest", "abc\"><x"}};
  auto form = render_step(post, random);
  EXPECT_NE(form.body.find("value=\"abc&quot;&gt;&lt;x\""), std::string::npos) << form.body;
  EXPECT_NE(form.body.find("<script nonce="), std::string::npos);

  LoginStep redirect;
  redirect.kind = LoginStep::Kind::redirect;
  redirect.status = 303;
  redirect.url = "https://id.example/x";
  redirect.set_cookies = {"a=b"};
  auto r = render_step(redirect, random);
  EXPECT_EQ(r.status, 303);
  EXPECT_TRUE(r.body.empty());
}

TEST_F(HostedLoginTest, EmailFirstPageUnlessHintsSayWhereToGo) {
  auto page = login_.show(sandbox_, "r1", "h1");
  EXPECT_EQ(page.page, "login_email");
  EXPECT_EQ(page.view["request"], "r1");
  EXPECT_EQ(page.view["client_name"], "Demo app");

  auto unknown = login_.show(sandbox_, "nope", "h1");
  EXPECT_EQ(unknown.page, "error");
  EXPECT_EQ(unknown.view["code"], "login.request_not_found");
  EXPECT_EQ(unknown.view["request_id"], "h1");

  auto c = connection(acme_, "Acme test");
  request("r2", {.login_hint = "jane@acme.test"});
  auto skipped = login_.show(sandbox_, "r2", "h1");
  ASSERT_EQ(skipped.kind, LoginStep::Kind::redirect);
  EXPECT_NE(skipped.url.find("/sandbox/login/testidp/" + c.id + "?state="), std::string::npos);
  EXPECT_EQ(query_value(skipped.url, "login_hint"), "jane@acme.test");
  request("r3", {.domain_hint = "acme.test"});
  EXPECT_EQ(login_.show(sandbox_, "r3", "h1").kind, LoginStep::Kind::redirect);

  auto bad = login_.submit(sandbox_, "r1", "not-an-email", "", "h1");
  EXPECT_EQ(bad.page, "login_email");
  EXPECT_EQ(bad.status, 400);
  EXPECT_EQ(bad.view["error"]["code"], "login.email_invalid");
  auto nobody = login_.submit(sandbox_, "r1", "jane@nobody.test", "", "h1");
  EXPECT_EQ(nobody.view["code"], "login.no_organization");
  auto none = login_.submit(sandbox_, "r1", "jane@globex.test", "", "h1");
  EXPECT_EQ(none.view["code"], "login.no_connection");
}

TEST_F(HostedLoginTest, SeveralConnectionsGiveAChooserAndTheChoiceIsRechecked) {
  auto a = connection(acme_, "Acme one");
  auto b = connection(acme_, "Acme two");
  connection(acme_, "Acme draft", {}, false);
  auto page = login_.submit(sandbox_, "r1", "jane@acme.test", "", "h1");
  ASSERT_EQ(page.page, "chooser");
  ASSERT_EQ(page.view["connections"].size(), 2u);
  EXPECT_EQ(page.view["connections"][0]["id"], a.id);
  EXPECT_EQ(page.view["connections"][1]["name"], "Acme two");

  auto chosen = login_.submit(sandbox_, "r1", "jane@acme.test", b.id, "h1");
  ASSERT_EQ(chosen.kind, LoginStep::Kind::redirect);
  EXPECT_NE(chosen.url.find("/login/testidp/" + b.id), std::string::npos);

  // A connection of another organization is never a valid choice.
  auto g = connection(globex_, "Globex", {{"domains", {"globex.test"}}});
  auto foreign = login_.submit(sandbox_, "r1", "jane@acme.test", g.id, "h1");
  EXPECT_EQ(foreign.view["code"], "login.connection_not_allowed");

  // The policy's allowed_connections narrows the choice to one: straight to it.
  auto put = tenancy_.put_policy(sandbox_, acme_.id, {{"allowed_connections", {a.id}}}, -1, actor_);
  ASSERT_TRUE(put) << put.error().text();
  auto narrowed = login_.submit(sandbox_, "r1", "jane@acme.test", "", "h1");
  ASSERT_EQ(narrowed.kind, LoginStep::Kind::redirect) << narrowed.view.dump();
  EXPECT_NE(narrowed.url.find("/login/testidp/" + a.id), std::string::npos);
}

// Two sign-ins started in parallel tabs of one browser: each keeps its own binding cookie, so
// either may finish first; a finished login clears only its own.
TEST_F(HostedLoginTest, ParallelLoginsInOneBrowserEachFinish) {
  auto c = connection(acme_, "Acme test", {{"acr_mapping", {{"pwd", "urn:acr:1"}}}});
  request("r2", {});
  auto first = login_.submit(sandbox_, "r1", "jane@acme.test", "", "h1");
  auto second = login_.submit(sandbox_, "r2", "jane@acme.test", "", "h2");
  ASSERT_EQ(first.kind, LoginStep::Kind::redirect);
  ASSERT_EQ(second.kind, LoginStep::Kind::redirect);
  const std::string b1 = cookie_named(first, "gh_login_sandbox_");
  const std::string b2 = cookie_named(second, "gh_login_sandbox_");
  ASSERT_NE(b1, b2);
  const std::string n1 = first.set_cookies[0].substr(0, first.set_cookies[0].find('='));
  const std::string n2 = second.set_cookies[0].substr(0, second.set_cookies[0].find('='));
  EXPECT_NE(n1, n2);  // two cookies, not one overwritten

  auto answer = [&](const LoginStep& start, std::vector<std::string> cookies) {
    CallbackParams p;
    p.values = {{"state", query_value(start.url, "state")},
                {"email", "jane@acme.test"},
                {"acr", "pwd"},
                {"amr", "pwd"}};
    return login_.callback(sandbox_, c.id, p, cookies, "h3");
  };
  // The first tab answers first, the browser sending both bindings (in either order).
  auto done1 = answer(first, {b2, b1});
  ASSERT_EQ(done1.kind, LoginStep::Kind::redirect) << done1.view.dump();
  EXPECT_EQ(done1.url, "https://id.example/sandbox/oauth2/resume?request=r1");
  bool cleared_own = false;
  for (const auto& sc : done1.set_cookies) {
    EXPECT_NE(sc.rfind(n2 + "=", 0), 0u) << "the other tab's binding must survive";
    if (sc.rfind(n1 + "=;", 0) == 0) cleared_own = sc.find("Max-Age=0") != std::string::npos;
  }
  EXPECT_TRUE(cleared_own);
  auto done2 = answer(second, {b2});
  ASSERT_EQ(done2.kind, LoginStep::Kind::redirect) << done2.view.dump();
  EXPECT_EQ(done2.url, "https://id.example/sandbox/oauth2/resume?request=r2");
  // The second answer in a browser holding only the first binding is refused.
  auto third = login_.submit(sandbox_, "r2", "jane@acme.test", "", "h4");
  auto refused = answer(third, {b1});
  EXPECT_EQ(refused.view["code"], "login.browser_mismatch");
}

TEST_F(HostedLoginTest, FullLoginSetsTheSessionCookieAndResumes) {
  auto c = connection(acme_, "Acme test",
                      {{"acr_mapping", {{"pwd", "urn:acr:1"}, {"mfa", "urn:acr:2"}}}});
  auto start = login_.submit(sandbox_, "r1", "jane@acme.test", "", "h1");
  ASSERT_EQ(start.kind, LoginStep::Kind::redirect);
  const std::string binding = cookie_named(start, "gh_login_sandbox_");
  EXPECT_EQ(binding.substr(0, acme_.id.size()), acme_.id);
  EXPECT_NE(start.set_cookies[0].find("HttpOnly"), std::string::npos);
  EXPECT_NE(start.set_cookies[0].find("Path=/sandbox/login"), std::string::npos);

  auto form =
      login_.test_idp_form(sandbox_, c.id, query_value(start.url, "state"), "jane@acme.test", "h2");
  ASSERT_EQ(form.page, "testidp_form");
  EXPECT_EQ(form.view["email"], "jane@acme.test");
  EXPECT_EQ(form.view["levels"].size(), 2u);

  auto done = post_form(start, c.id,
                        {{"email", "Jane@acme.test"},
                         {"given_name", "Jane"},
                         {"family_name", "Doe"},
                         {"name", "Jane Doe"},
                         {"groups", "admins, eng\nsales"},
                         {"department", "R&D"},
                         {"acr", "mfa"},
                         {"amr", "pwd"},
                         {"amr", "otp"}});
  ASSERT_EQ(done.kind, LoginStep::Kind::redirect) << done.view.dump();
  EXPECT_EQ(done.status, 303);
  EXPECT_EQ(done.url, "https://id.example/sandbox/oauth2/resume?request=r1");
  const std::string session_cookie = done.set_cookies[0];
  EXPECT_EQ(session_cookie.rfind("gh_session_sandbox=gh_ss_cookie; Path=/sandbox/; HttpOnly; "
                                 "SameSite=Lax",
                                 0),
            0u)
      << session_cookie;
  EXPECT_NE(session_cookie.find("Secure"), std::string::npos);  // public_url is https

  ASSERT_EQ(resolver_->calls.size(), 1u);
  const auto& [id, dry_run] = resolver_->calls[0];
  EXPECT_FALSE(dry_run);
  EXPECT_EQ(id.issuer, "https://id.example/sandbox/login/testidp/" + c.id);
  EXPECT_EQ(id.subject, testidp::subject_for_email("jane@ACME.test"));
  EXPECT_EQ(id.email, "Jane@acme.test");
  EXPECT_TRUE(id.email_verified);
  EXPECT_EQ(id.attributes["groups"], nlohmann::json({"admins", "eng", "sales"}));
  EXPECT_EQ(id.attributes["department"], "R&D");
  EXPECT_EQ(id.given_name, "Jane");
  EXPECT_EQ(id.name, "Jane Doe");
  ASSERT_EQ(sessions_->started.size(), 1u);
  EXPECT_EQ(sessions_->started[0].acr, "urn:acr:2");
  EXPECT_EQ(sessions_->started[0].amr, (std::vector<std::string>{"pwd", "otp"}));
  EXPECT_EQ(sessions_->started[0].user_id, "user-" + id.subject);
  EXPECT_EQ(sessions_->started[0].organization_id, acme_.id);

  auto t = trace(acme_, "r1");
  EXPECT_TRUE(t["error"].is_null());
  bool session_checked = false;
  for (const auto& s : t["steps"])
    session_checked = session_checked || has_check(s["checks"], "sessions.start", true);
  EXPECT_TRUE(session_checked) << t.dump(2);
  std::vector<std::string> steps;
  for (const auto& s : t["steps"]) steps.push_back(s["step"]);
  EXPECT_EQ(steps, (std::vector<std::string>{"discovery", "start", "testidp.redirect", "callback",
                                             "testidp.callback", "testidp.identity", "identity",
                                             "resume"}));
  EXPECT_EQ(t["steps"][4]["message"]["state"], "[redacted]");  // the protocol message, redacted

  // The same callback again: the transaction finishes once.
  auto replay = post_form(start, c.id, {{"email", "jane@acme.test"}, {"acr", "mfa"}});
  EXPECT_TRUE(replay.page == "error");
  EXPECT_EQ(replay.view["code"], "login.transaction_used");
  EXPECT_EQ(sessions_->started.size(), 1u);
}

TEST_F(HostedLoginTest, DomainGuardRefusesEmailsOutsideTheOrganization) {
  auto c = connection(acme_, "Acme test");
  auto start = login_.submit(sandbox_, "r1", "jane@acme.test", "", "h1");
  auto done = post_form(start, c.id, {{"email", "mallory@globex.test"}, {"acr", "password"}});
  EXPECT_EQ(done.view["code"], "login.domain_not_allowed");
  EXPECT_EQ(done.status, 403);
  EXPECT_TRUE(resolver_->calls.empty());
  EXPECT_TRUE(sessions_->started.empty());
  auto t = trace(acme_, "r1");
  EXPECT_EQ(t["error"], "login.domain_not_allowed");
  bool guarded = false;
  for (const auto& s : t["steps"])
    guarded = guarded || has_check(s["checks"], "login.domain_not_allowed", false);
  EXPECT_TRUE(guarded) << t.dump(2);

  // A guest domain of the policy is let in.
  auto guests =
      tenancy_.put_policy(sandbox_, acme_.id, {{"guest_domains", {"partner.test"}}}, -1, actor_);
  ASSERT_TRUE(guests) << guests.error().text();
  request("r2", {});
  auto again = login_.submit(sandbox_, "r2", "jane@acme.test", "", "h1");
  auto guest = post_form(again, c.id, {{"email", "pat@partner.test"}, {"acr", "password"}});
  EXPECT_EQ(guest.kind, LoginStep::Kind::redirect) << guest.view.dump();
}

TEST_F(HostedLoginTest, InvalidCatalogValuesAreDroppedOnTheTraceUnlessRequired) {
  // email_verified is a boolean in the catalog; mapping it from a text claim breaks its type.
  auto c = connection(acme_, "Acme test",
                      {{"attribute_mapping", {{"claims", {{"email_verified", "department"}}}}}});
  auto start = login_.submit(sandbox_, "r1", "jane@acme.test", "", "h1");
  auto done = post_form(start, c.id,
                        {{"email", "jane@acme.test"}, {"department", "Sales"}, {"acr", "mfa"}});
  ASSERT_EQ(done.kind, LoginStep::Kind::redirect) << done.view.dump();
  ASSERT_EQ(resolver_->calls.size(), 1u);
  EXPECT_FALSE(resolver_->calls[0].first.attributes.contains("email_verified"));
  EXPECT_FALSE(resolver_->calls[0].first.email_verified);
  auto t = trace(acme_, "r1");
  bool dropped = false;
  for (const auto& s : t["steps"]) {
    for (const auto& ch : s["checks"]) {
      dropped =
          dropped || (ch["code"] == "catalog.invalid_value" && ch["passed"] == false &&
                      ch["detail"].get<std::string>().find("email_verified") != std::string::npos);
    }
  }
  EXPECT_TRUE(dropped) << t.dump(2);

  // Required by the connection: the login fails with the attribute named.
  auto strict = connection(
      acme_, "Strict",
      {{"attribute_mapping",
        {{"claims", {{"email_verified", "department"}}}, {"required", {"email_verified"}}}}});
  request("r2", {});
  auto s2 = login_.submit(sandbox_, "r2", "jane@acme.test", strict.id, "h1");
  ASSERT_EQ(s2.kind, LoginStep::Kind::redirect) << s2.view.dump();
  auto failed =
      post_form(s2, strict.id, {{"email", "jane@acme.test"}, {"department", "x"}, {"acr", "mfa"}});
  EXPECT_EQ(failed.view["code"], "login.attribute_invalid");
  EXPECT_EQ(resolver_->calls.size(), 1u);
}

TEST_F(HostedLoginTest, TestIdpOnlyInSandbox) {
  auto prod_org = make_org(production_, "acme");
  auto in = parse_connection_input({{"type", "test"}, {"name", "T"}}, true);
  ASSERT_TRUE(in);
  auto refused = connections_.create(production_, prod_org.id, *in, actor_);
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().code, errc::ConnectionSandboxOnly);
  auto list = connections_.list(production_, prod_org.id);
  ASSERT_TRUE(list);
  EXPECT_TRUE(list->empty());
  auto unknown = parse_connection_input({{"type", "ldap"}, {"name", "T"}}, true);
  ASSERT_TRUE(unknown);
  EXPECT_EQ(connections_.create(sandbox_, acme_.id, *unknown, actor_).error().code,
            errc::ConnectionTypeUnsupported);
}

TEST_F(HostedLoginTest, TamperedForgedOrUnboundCallbacksAreRefused) {
  auto c = connection(acme_, "Acme test");
  auto start = login_.submit(sandbox_, "r1", "jane@acme.test", "", "h1");
  const std::string state = query_value(start.url, "state");
  // Change the payload (another transaction) but keep the signature.
  auto payload = nlohmann::json::parse(*base64url_decode(state.substr(0, state.find('.'))));
  payload["t"] = "another-transaction";
  const std::string tampered = base64url_encode(payload.dump()) + state.substr(state.find('.'));
  auto t1 = post_form(start, c.id, {{"state", tampered}, {"email", "jane@acme.test"}});
  EXPECT_EQ(t1.view["code"], "login.state_invalid");
  auto form = login_.test_idp_form(sandbox_, c.id, tampered, "", "h1");
  EXPECT_EQ(form.view["code"], "login.state_invalid");
  // A flipped signature character.
  std::string bad_sig = state;
  bad_sig.back() = bad_sig.back() == '0' ? '1' : '0';
  auto t2 = post_form(start, c.id, {{"state", bad_sig}, {"email", "jane@acme.test"}});
  EXPECT_EQ(t2.view["code"], "login.state_invalid");
  // Another browser (no binding cookie), or a cookie naming another login.
  auto t3 = post_form(start, c.id, {{"email", "jane@acme.test"}, {"acr", "mfa"}}, "");
  EXPECT_EQ(t3.view["code"], "login.browser_mismatch");
  request("r2", {});
  auto other = login_.submit(sandbox_, "r2", "jane@acme.test", "", "h1");
  auto t4 = post_form(start, c.id, {{"email", "jane@acme.test"}, {"acr", "mfa"}},
                      cookie_named(other, "gh_login_sandbox_"));
  EXPECT_EQ(t4.view["code"], "login.browser_mismatch");
  // Expired state (the transaction too).
  clock_.advance(std::chrono::minutes(11));
  auto t5 = post_form(start, c.id, {{"email", "jane@acme.test"}, {"acr", "mfa"}});
  EXPECT_EQ(t5.view["code"], "login.transaction_not_found");
  EXPECT_TRUE(resolver_->calls.empty());
  EXPECT_TRUE(sessions_->started.empty());
}

TEST_F(HostedLoginTest, TestModeRunsEveryCheckAndWritesNothing) {
  auto c = connection(acme_, "Draft", {}, false);  // draft connections can be tested
  auto test = connections_.start_test(sandbox_, acme_.id, c.id, actor_);
  ASSERT_TRUE(test) << test.error().text();
  EXPECT_EQ(test->url.rfind("https://id.example/sandbox/login/test/" + acme_.id + "/", 0), 0u);
  const std::string tx = test->url.substr(test->url.rfind('/') + 1);
  const auto version_before = connections_.get(sandbox_, acme_.id, c.id)->version;
  const auto audit_before = audit_count();

  auto start = login_.start_test(sandbox_, acme_.id, tx, "h1");
  ASSERT_EQ(start.kind, LoginStep::Kind::redirect) << start.view.dump();
  auto result = post_form(start, c.id, {{"email", "jane@acme.test"}, {"acr", "mfa"}});
  ASSERT_EQ(result.page, "test_result") << result.view.dump();
  EXPECT_TRUE(result.view["passed"].get<bool>());
  EXPECT_TRUE(has_check(result.view["checks"], "login.state_invalid", true));
  EXPECT_TRUE(has_check(result.view["checks"], "login.domain_not_allowed", true));
  EXPECT_TRUE(has_check(result.view["checks"], "identity.resolve", true));
  ASSERT_EQ(resolver_->calls.size(), 1u);
  EXPECT_TRUE(resolver_->calls[0].second);  // dry run
  EXPECT_TRUE(sessions_->started.empty());
  EXPECT_TRUE(cookie_named(result, "gh_session_sandbox").empty());
  EXPECT_EQ(connections_.get(sandbox_, acme_.id, c.id)->version, version_before);
  EXPECT_EQ(audit_count(), audit_before);
  auto t = trace(acme_, test->request_id);
  EXPECT_TRUE(t["test_mode"].get<bool>());
  EXPECT_TRUE(t["error"].is_null());

  // A failing check is reported with its code, still without a session.
  auto again = connections_.start_test(sandbox_, acme_.id, c.id, actor_);
  auto s2 =
      login_.start_test(sandbox_, acme_.id, again->url.substr(again->url.rfind('/') + 1), "h1");
  auto failed = post_form(s2, c.id, {{"email", "eve@evil.test"}, {"acr", "mfa"}});
  EXPECT_EQ(failed.page, "test_result");
  EXPECT_FALSE(failed.view["passed"].get<bool>());
  EXPECT_EQ(failed.view["code"], "login.domain_not_allowed");
  EXPECT_TRUE(has_check(failed.view["checks"], "login.domain_not_allowed", false));
  EXPECT_EQ(trace(acme_, again->request_id)["error"], "login.domain_not_allowed");
  // The test link works once.
  EXPECT_EQ(
      login_.start_test(sandbox_, acme_.id, again->url.substr(again->url.rfind('/') + 1), "h1")
          .view["code"],
      "login.transaction_not_found");
  // Another organization cannot read the trace.
  EXPECT_EQ(connections_.trace(sandbox_, globex_.id, test->request_id).error().code,
            errc::LoginTraceNotFound);
}

TEST_F(HostedLoginTest, AdminOperationsAreAuditedAndVersioned) {
  auto c = connection(acme_, "Acme test", {}, false);
  EXPECT_EQ(c.status, "draft");
  auto active = connections_.set_status(sandbox_, acme_.id, c.id, "active", actor_);
  ASSERT_TRUE(active);
  EXPECT_EQ(connections_.set_status(sandbox_, acme_.id, c.id, "active", actor_).error().code,
            errc::ConnectionInvalidTransition);
  ConnectionInput patch;
  patch.domains = nlohmann::json::array({"acme.test", "acme2.test"});
  EXPECT_EQ(connections_.update(sandbox_, acme_.id, c.id, patch, 1, actor_).error().code,
            errc::RequestPreconditionFailed);
  auto updated = connections_.update(sandbox_, acme_.id, c.id, patch, active->version, actor_);
  ASSERT_TRUE(updated) << updated.error().text();
  EXPECT_EQ(updated->domains.size(), 2u);
  EXPECT_EQ(connections_.get(sandbox_, globex_.id, c.id).error().code, errc::ConnectionNotFound);
  auto bad = parse_connection_input({{"domains", {"not a domain"}}}, false);
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().extra["field"], "domains");
  auto records = store_->read<std::vector<store::AuditRecord>>(
      [&](store::Repositories& r) { return r.audit().list(sandbox_.id, acme_.id, 0, 100); });
  ASSERT_TRUE(records);
  std::vector<std::string> actions;
  for (const auto& r : *records) actions.push_back(r.action);
  for (const char* a : {"connection.created", "connection.activated", "connection.updated"}) {
    EXPECT_NE(std::find(actions.begin(), actions.end(), a), actions.end()) << a;
  }
}

}  // namespace
}  // namespace gh::federation
