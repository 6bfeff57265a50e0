// The events module's pure parts (signatures, retry schedule, input checks) and the fan-out on
// a real (SQLite) store: organization scoping, event-type filters, disabled endpoints, and a
// persisted position that never fans an event out twice.
#include <gtest/gtest.h>

#include <set>

#include "core/ids.h"
#include "crypto/kek/local_kek.h"
#include "events/backchannel_logout.h"
#include "events/error_codes.h"
#include "events/retry_policy.h"
#include "events/signature.h"
#include "events/webhook_service.h"
#include "tenancy/error_codes.h"
#include "test_store.h"

namespace gh::events {
namespace {

TEST(Signature, HmacSha256OfTimestampDotBody) {
  // RFC 4231 test case 2 shape: HMAC-SHA-256("Jefe", "what do ya want for nothing?").
  EXPECT_EQ(hmac_sha256_hex("Jefe", "what do ya want for nothing?"),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
  const std::string body = R"({"id":"e1"})";
  const std::string h = signature_header(1767225600, body, {"whsec_new", "whsec_old"});
  EXPECT_EQ(h, "t=1767225600,v1=" + hmac_sha256_hex("whsec_new", "1767225600." + body) +
                   ",v1=" + hmac_sha256_hex("whsec_old", "1767225600." + body));
  // During an overlap a receiver holding either secret verifies.
  EXPECT_TRUE(verify_signature(h, body, "whsec_new", 1767225600));
  EXPECT_TRUE(verify_signature(h, body, "whsec_old", 1767225600 + 300));
  EXPECT_FALSE(verify_signature(h, body, "whsec_other", 1767225600));
  EXPECT_FALSE(verify_signature(h, body + " ", "whsec_new", 1767225600));
  // Outside the replay window.
  EXPECT_FALSE(verify_signature(h, body, "whsec_new", 1767225600 + 301));
  EXPECT_FALSE(verify_signature("v1=abc", body, "whsec_new", 1767225600));
  EXPECT_FALSE(verify_signature("t=x,v1=abc", body, "whsec_new", 1767225600));
}

TEST(RetryPolicy, ExponentialWithJitterCappedAndBounded) {
  RetryPolicy p{1000, 60'000, 5};
  SeededRandom rnd(7);
  for (int attempt = 1; attempt <= 12; ++attempt) {
    int64_t window = std::min<int64_t>(60'000, int64_t{1000} << std::min(attempt - 1, 20));
    for (int i = 0; i < 50; ++i) {
      const int64_t d = p.delay_ms(attempt, rnd);
      EXPECT_GE(d, window / 2) << attempt;
      EXPECT_LE(d, window) << attempt;
    }
  }
  EXPECT_FALSE(p.exhausted(4));
  EXPECT_TRUE(p.exhausted(5));
  // Jitter: two endpoints failing together do not retry together.
  std::set<int64_t> seen;
  for (int i = 0; i < 20; ++i) seen.insert(p.delay_ms(3, rnd));
  EXPECT_GT(seen.size(), 10u);
}

TEST(WebhookInput, UrlsAndEventTypes) {
  for (const char* ok : {"https://hooks.example.com/gatehouse", "http://127.0.0.1:9000/x",
                         "http://localhost/x", "http://[::1]:8080/"}) {
    EXPECT_TRUE(WebhookService::check_url(ok)) << ok;
  }
  for (const char* bad : {"http://hooks.example.com/x", "ftp://example.com", "https://",
                          "https://user:pw@example.com/", "https://example.com/#frag",
                          "https://exa mple.com/", "javascript:alert(1)", ""}) {
    auto r = WebhookService::check_url(bad);
    ASSERT_FALSE(r) << bad;
    EXPECT_EQ(r.error().code, errc::WebhookInvalidUrl);
  }
  EXPECT_TRUE(WebhookService::check_event_types({"*"})->empty());
  EXPECT_EQ(*WebhookService::check_event_types({"organization.created", "api_key.revoked"}),
            (std::vector<std::string>{"organization.created", "api_key.revoked"}));
  for (auto bad : std::vector<std::vector<std::string>>{
           {}, {"Organization.Created"}, {"nodot"}, {"a..b"}, {std::string(200, 'a') + ".b"}}) {
    auto r = WebhookService::check_event_types(bad);
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().code, errc::WebhookInvalidEventTypes);
  }
}

class FanOut : public ::testing::Test {
 protected:
  FanOut()
      : store_(store::Backend::sqlite, &clock_),
        sealing_(*store_,
                 *crypto::LocalKek::from_bytes("local:test", std::string(32, 'k'),
                                               SecureRandom::instance()),
                 {}, clock_),
        service_(*store_, sealing_, {}, clock_) {
    env_ = *store_->transact<store::Environment>(
        [&](store::Repositories& r) { return r.environments().create({.name = "sandbox"}); });
    for (auto slug : {"acme", "globex"}) {
      orgs_.push_back(*store_->transact<store::Organization>([&](store::Repositories& r) {
        return r.organizations().create({.environment_id = env_.id, .slug = slug, .name = slug});
      }));
    }
  }
  void emit(const std::string& org, const std::string& type) {
    ASSERT_TRUE(store_->transact<store::OutboxEvent>([&](store::Repositories& r) {
      return r.outbox().enqueue({.environment_id = env_.id, .organization_id = org, .type = type});
    }));
  }
  std::vector<store::WebhookDelivery> deliveries(const store::WebhookEndpoint& e) {
    return *service_.deliveries({env_, ""}, e.id, "", 1000);
  }
  FakeClock clock_;
  testing::TestStore store_;
  tenancy::Sealing sealing_;
  WebhookService service_;
  store::Environment env_;
  std::vector<store::Organization> orgs_;
  tenancy::Actor actor_{"system", "test", "", ""};
};

TEST_F(FanOut, ScopesTypesAndExactlyOnce) {
  auto all = service_.create({env_, ""}, {.url = "https://a.example/"}, actor_);
  ASSERT_TRUE(all) << all.error().text();
  EXPECT_TRUE(all->secret.starts_with("whsec_"));
  // At rest the secret is sealed (bound to this endpoint and secret id), never in the clear.
  auto stored = store_->read<store::WebhookEndpoint>([&](store::Repositories& r) {
    return r.webhooks().get_endpoint(env_.id, "", all->endpoint.id);
  });
  ASSERT_TRUE(stored);
  ASSERT_EQ(stored->secrets.size(), 1u);
  EXPECT_TRUE(stored->secrets[0].secret.starts_with("sealed:"));
  EXPECT_EQ(stored->secrets[0].secret.find(all->secret.substr(6)), std::string::npos);
  auto acme = service_.create({env_, orgs_[0].id}, {.url = "https://b.example/"}, actor_);
  ASSERT_TRUE(acme);
  EXPECT_EQ(acme->endpoint.organization_id, orgs_[0].id);
  auto only_created =
      service_.create({env_, ""},
                      {.url = "https://c.example/",
                       .event_types = std::vector<std::string>{"organization.created"}},
                      actor_);
  ASSERT_TRUE(only_created);
  auto off = service_.create({env_, ""}, {.url = "https://d.example/", .enabled = false}, actor_);
  ASSERT_TRUE(off);
  // Unknown organization: refused.
  auto ghost = service_.create({env_, "nope"}, {.url = "https://e.example/"}, actor_);
  ASSERT_FALSE(ghost);
  EXPECT_EQ(ghost.error().code, errc::TenantNotFound);

  emit(orgs_[0].id, "organization.created");
  emit(orgs_[1].id, "organization.created");
  emit(orgs_[1].id, "organization.updated");
  emit("", "policy.updated");
  auto n = service_.fan_out_all();
  ASSERT_TRUE(n) << n.error().text();
  EXPECT_EQ(*n, 4);
  EXPECT_EQ(*service_.fan_out_all(), 0) << "the position moved";

  EXPECT_EQ(deliveries(all->endpoint).size(), 4u);
  auto mine = deliveries(acme->endpoint);
  ASSERT_EQ(mine.size(), 1u);  // never another organization's events
  EXPECT_EQ(mine[0].organization_id, orgs_[0].id);
  EXPECT_EQ(deliveries(only_created->endpoint).size(), 2u);
  EXPECT_EQ(deliveries(off->endpoint).size(), 0u);
  auto body = nlohmann::json::parse(mine[0].body);
  EXPECT_EQ(body["type"], "organization.created");
  EXPECT_EQ(body["organization_id"], orgs_[0].id);

  // The organization's scope never sees the environment-wide endpoint.
  auto hidden = service_.get({env_, orgs_[0].id}, all->endpoint.id);
  ASSERT_FALSE(hidden);
  EXPECT_EQ(hidden.error().code, errc::WebhookNotFound);
  auto other_org = service_.deliveries({env_, orgs_[1].id}, acme->endpoint.id, "", 10);
  ASSERT_FALSE(other_org);
}

TEST_F(FanOut, RotationKeepsTheOldSecretSigningDuringTheOverlap) {
  auto e = service_.create({env_, ""}, {.url = "https://a.example/"}, actor_);
  ASSERT_TRUE(e);
  auto r = service_.rotate_secret({env_, ""}, e->endpoint.id, 3600, actor_);
  ASSERT_TRUE(r) << r.error().text();
  EXPECT_NE(r->secret, e->secret);
  ASSERT_EQ(r->endpoint.secrets.size(), 2u);
  EXPECT_EQ(r->endpoint.secrets[0].expires_at_ms, clock_.now_ms() + 3600 * 1000);
  EXPECT_EQ(r->endpoint.secrets[1].expires_at_ms, 0);
  clock_.advance(std::chrono::hours(2));
  auto r2 = service_.rotate_secret({env_, ""}, e->endpoint.id, 0, actor_);
  ASSERT_TRUE(r2);
  // The first secret expired and is gone; the second ends now (overlap 0); the third is current.
  ASSERT_EQ(r2->endpoint.secrets.size(), 1u);
  EXPECT_EQ(r2->endpoint.secrets[0].expires_at_ms, 0);
  auto bad = service_.rotate_secret({env_, ""}, e->endpoint.id, -1, actor_);
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().code, errc::WebhookInvalidRotation);
}

// OIDC Back-Channel Logout 1.0 §2.4: the claims of a logout token.
TEST(BackchannelLogout, LogoutTokenClaims) {
  LogoutNotice n{"https://rp.example/bcl", "gh_app_x", "org-1", "user-1", "sid-1", "jti-1", false};
  auto c = logout_token_claims(n, "https://id.example/sandbox", 1'800'000'000);
  EXPECT_EQ(c["iss"], "https://id.example/sandbox");
  EXPECT_EQ(c["aud"], "gh_app_x");
  EXPECT_EQ(c["iat"], 1'800'000'000);
  EXPECT_EQ(c["exp"], 1'800'000'000 + kLogoutTokenTtlS);
  EXPECT_EQ(c["jti"], "jti-1");
  EXPECT_EQ(c["sub"], "user-1");
  EXPECT_EQ(c["sid"], "sid-1");
  ASSERT_TRUE(c["events"].is_object());
  ASSERT_EQ(c["events"].size(), 1u);
  EXPECT_EQ(c["events"]["http://schemas.openid.net/event/backchannel-logout"],
            nlohmann::json::object());
  EXPECT_FALSE(c.contains("nonce"));  // §2.4: a logout token never carries a nonce
  // sid only (no sub) is allowed; neither is not.
  n.sub.clear();
  EXPECT_FALSE(logout_token_claims(n, "i", 1).contains("sub"));
  auto round = parse_notice(notice_json(n).dump());
  ASSERT_TRUE(round);
  EXPECT_EQ(round->sid, "sid-1");
  EXPECT_EQ(round->jti, "jti-1");
  n.sid.clear();
  EXPECT_FALSE(parse_notice(notice_json(n).dump()));
  EXPECT_FALSE(parse_notice("not json"));
}

TEST_F(FanOut, SessionRevokedBecomesOneLogoutDeliveryPerRegisteredClient) {
  auto app = [&](const std::string& client_id, const std::string& uri, const std::string& status) {
    store::Application a;
    a.id = new_uuid_v7(clock_, SecureRandom::instance());
    a.environment_id = env_.id;
    a.client_id = client_id;
    a.name = client_id;
    a.backchannel_logout_uri = uri;
    a.status = status;
    a.created_at_ms = a.updated_at_ms = clock_.now_ms();
    return *store_->transact<store::Application>(
        [&](store::Repositories& r) { return r.applications().create(a); });
  };
  auto with_bcl = app("gh_app_bcl", "http://127.0.0.1:1/bcl", "active");
  app("gh_app_plain", "", "active");
  app("gh_app_off", "http://127.0.0.1:1/off", "disabled");
  auto revoked = [&](const std::string& org, const std::string& sid) {
    ASSERT_TRUE(store_->transact<store::OutboxEvent>([&](store::Repositories& r) {
      return r.outbox().enqueue(
          {.environment_id = env_.id,
           .organization_id = org,
           .type = "session.revoked",
           .payload = {{"session",
                        {{"sid", sid},
                         {"user_id", "user-1"},
                         {"organization_id", org},
                         {"clients", {"gh_app_bcl", "gh_app_plain", "gh_app_off", "gone"}}}}}});
    }));
  };
  revoked(orgs_[0].id, "sid-1");
  revoked(orgs_[1].id, "sid-2");
  ASSERT_TRUE(service_.fan_out_all());
  // Only the registered, active client gets one, per session; no webhook endpoint is needed.
  auto all = service_.logout_deliveries({env_, ""}, "", "", 100);
  ASSERT_TRUE(all) << all.error().text();
  ASSERT_EQ(all->size(), 2u);
  for (const auto& d : *all) {
    EXPECT_EQ(d.event_type, kBackchannelLogoutDelivery);
    EXPECT_EQ(d.endpoint_id, with_bcl.id);
    auto n = parse_notice(d.body);
    ASSERT_TRUE(n);
    EXPECT_EQ(n->client_id, "gh_app_bcl");
    EXPECT_EQ(n->uri, "http://127.0.0.1:1/bcl");
    EXPECT_EQ(n->sub, "user-1");
    EXPECT_EQ(n->organization_id, d.organization_id);
  }
  // Organization-scoped: each organization sees its own receiver rows only.
  auto acme = service_.logout_deliveries({env_, orgs_[0].id}, with_bcl.id, "", 100);
  ASSERT_TRUE(acme);
  ASSERT_EQ(acme->size(), 1u);
  EXPECT_EQ(parse_notice((*acme)[0].body)->sid, "sid-1");
  EXPECT_TRUE(service_.logout_deliveries({env_, "other-org"}, "", "", 100)->empty());
  EXPECT_TRUE(service_.logout_deliveries({env_, ""}, "other-app", "", 100)->empty());
  // The webhook delivery listing of an endpoint never shows them.
  EXPECT_EQ(*service_.fan_out_all(), 0);

  // Without a signer nothing is sent unsigned: the attempt is retried later.
  http::HttpClient client({.timeout_ms = 500, .connect_timeout_ms = 500});
  ASSERT_EQ(*service_.deliver_due(client, "node-a", 10, 500), 2);
  auto after = service_.logout_deliveries({env_, ""}, "", "", 100);
  for (const auto& d : *after) {
    EXPECT_EQ(d.status, "pending");
    EXPECT_GT(d.next_attempt_at_ms, clock_.now_ms());
    EXPECT_EQ(d.attempts, 1);
  }
  // With a signer, a receiver that is down: retried with backoff, same jti.
  std::vector<std::string> signed_jtis;
  service_.set_logout_token_signer(
      [&](const store::Environment&, const LogoutNotice& n) -> Result<std::string> {
        signed_jtis.push_back(n.jti);
        return std::string("header.payload.sig");
      });
  clock_.advance(std::chrono::hours(1));
  ASSERT_EQ(*service_.deliver_due(client, "node-a", 10, 500), 2);
  EXPECT_EQ(signed_jtis.size(), 2u);
  auto deliveries = service_.logout_deliveries({env_, ""}, "", "", 100);
  ASSERT_TRUE(deliveries);
  for (const auto& d : *deliveries) {
    EXPECT_EQ(d.status, "pending");
    EXPECT_EQ(d.attempts, 2);
    EXPECT_FALSE(d.last_error.empty());
  }
}

// OIDC Back-Channel Logout 1.0 §2.2: a receiver that registered
// backchannel_logout_session_required gets only logout tokens that carry sid; a logout without a
// sid (sub only) goes to the other receivers and not to it.
TEST_F(FanOut, LogoutSessionRequiredReceiversGetSidOnly) {
  auto app = [&](const std::string& client_id, bool sid_required) {
    store::Application a;
    a.id = new_uuid_v7(clock_, SecureRandom::instance());
    a.environment_id = env_.id;
    a.client_id = client_id;
    a.name = client_id;
    a.backchannel_logout_uri = "http://127.0.0.1:1/" + client_id;
    a.backchannel_logout_session_required = sid_required;
    a.created_at_ms = a.updated_at_ms = clock_.now_ms();
    return *store_->transact<store::Application>(
        [&](store::Repositories& r) { return r.applications().create(a); });
  };
  auto needs_sid = app("gh_app_sid", true);
  auto any = app("gh_app_any", false);
  auto revoked = [&](const std::string& sid) {
    nlohmann::json session = {{"user_id", "user-1"},
                              {"organization_id", orgs_[0].id},
                              {"clients", {"gh_app_sid", "gh_app_any"}}};
    if (!sid.empty()) session["sid"] = sid;
    ASSERT_TRUE(store_->transact<store::OutboxEvent>([&](store::Repositories& r) {
      return r.outbox().enqueue({.environment_id = env_.id,
                                 .organization_id = orgs_[0].id,
                                 .type = "session.revoked",
                                 .payload = {{"session", session}}});
    }));
  };
  revoked("sid-1");
  revoked("");  // sub only
  ASSERT_TRUE(service_.fan_out_all());
  auto of = [&](const store::Application& a) {
    return *service_.logout_deliveries({env_, ""}, a.id, "", 100);
  };
  auto sid_rows = of(needs_sid);
  ASSERT_EQ(sid_rows.size(), 1u);
  auto n = parse_notice(sid_rows[0].body);
  ASSERT_TRUE(n) << n.error().text();
  EXPECT_EQ(n->sid, "sid-1");
  EXPECT_TRUE(n->sid_required);
  EXPECT_TRUE(logout_token_claims(*n, "https://id.example/sandbox", 1).contains("sid"));
  auto any_rows = of(any);
  ASSERT_EQ(any_rows.size(), 2u);
  int without_sid = 0;
  for (const auto& d : any_rows) {
    auto m = parse_notice(d.body);
    ASSERT_TRUE(m);
    EXPECT_FALSE(m->sid_required);
    EXPECT_EQ(m->sub, "user-1");
    if (m->sid.empty()) ++without_sid;
  }
  EXPECT_EQ(without_sid, 1);
  // A frozen notice that requires sid and has none never becomes a token.
  LogoutNotice bad{"https://rp.example/bcl", "gh_app_sid", "org-1", "user-1", "", "jti-2", true};
  EXPECT_FALSE(parse_notice(notice_json(bad).dump()));
}

}  // namespace
}  // namespace gh::events
