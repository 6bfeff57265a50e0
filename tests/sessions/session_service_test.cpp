// SessionService on both backends: cookies that are typed secrets stored as HMACs, lifetimes at
// the edges of the idle and absolute windows (fake clock), the once-a-minute touch, tampered
// and foreign cookies, inactive users, the per-user maximum, client ids, and admin revocation
// with its audit record and event, scoped to the organization.
#include "../identity/identity_fixture.h"
#include "identity/error_codes.h"
#include "sessions/error_codes.h"

namespace gh::sessions {
namespace {

using std::chrono::milliseconds;
using std::chrono::minutes;
using std::chrono::seconds;
using store::Backend;

class SessionServiceTest : public testing::IdentityFixture {
 protected:
  SessionServiceTest() {
    uid_ = identity_.resolve(login(acme_, "conn-1", "sub-1", "alice@acme.example"), false)->user_id;
  }
  NewSession fresh() {
    return {sandbox_.id,   acme_.id,      uid_, "conn-1", clock_.now_ms() - 2000,
            "urn:acr:mfa", {"pwd", "otp"}};
  }
  StartedSession start() {
    auto s = sessions_.start(fresh());
    EXPECT_TRUE(s) << s.error().text();
    return *s;
  }
  std::optional<AuthenticatedSession> lookup(const std::string& cookie,
                                             const std::string& env_id = "") {
    auto r = sessions_.from_cookie(env_id.empty() ? sandbox_.id : env_id, cookie);
    EXPECT_TRUE(r) << r.error().text();
    return *r;
  }
  store::Session row(const std::string& sid) {
    return *store_->read<store::Session>(
        [&](store::Repositories& r) { return r.sessions().get(sandbox_.id, acme_.id, sid); });
  }
  std::string uid_;
};

TEST_P(SessionServiceTest, StartGivesAnOpaqueCookieStoredOnlyAsItsHmac) {
  const int64_t t0 = clock_.now_ms();
  auto s = start();
  EXPECT_EQ(s.cookie_value.rfind("gh_ss_", 0), 0u);
  EXPECT_TRUE(tenancy::secret_lookup(s.cookie_value, kSessionCookiePrefix));
  EXPECT_EQ(s.cookie_max_age_s, 24 * 3600);  // the default absolute lifetime
  EXPECT_EQ(s.session.user_id, uid_);
  EXPECT_EQ(s.session.acr, "urn:acr:mfa");
  EXPECT_EQ(s.session.amr, (std::vector<std::string>{"pwd", "otp"}));
  EXPECT_EQ(s.session.auth_time_ms, t0 - 2000);
  EXPECT_EQ(s.session.expires_at_ms, t0 + 8 * 3600 * 1000);  // the default idle lifetime

  auto r = row(s.session.sid);
  EXPECT_NE(r.cookie_hash, s.cookie_value);
  EXPECT_EQ(r.cookie_hash.find(s.cookie_value.substr(30)), std::string::npos);
  EXPECT_EQ(r.cookie_hash, tenancy::SecretHasher(std::string(32, 'p')).hash(s.cookie_value));

  auto found = lookup(s.cookie_value);
  ASSERT_TRUE(found);
  EXPECT_EQ(found->sid, s.session.sid);
  EXPECT_EQ(found->organization_id, acme_.id);
  EXPECT_EQ(found->connection_id, "conn-1");
}

TEST_P(SessionServiceTest, IdleWindowEdgeAndTheOncePerMinuteTouch) {
  set_policy(acme_, {{"session", {{"idle_lifetime_s", 600}, {"absolute_lifetime_s", 3600}}}});
  const int64_t t0 = clock_.now_ms();
  auto s = start();
  EXPECT_EQ(s.session.expires_at_ms, t0 + 600'000);
  EXPECT_EQ(s.cookie_max_age_s, 3600);

  // Within the first minute a read does not write.
  clock_.advance(seconds(59));
  ASSERT_TRUE(lookup(s.cookie_value));
  EXPECT_EQ(row(s.session.sid).last_seen_at_ms, t0);
  EXPECT_EQ(row(s.session.sid).idle_expires_at_ms, t0 + 600'000);

  // At a minute it moves the idle window.
  clock_.advance(seconds(1));
  auto touched = lookup(s.cookie_value);
  ASSERT_TRUE(touched);
  EXPECT_EQ(touched->expires_at_ms, t0 + 60'000 + 600'000);
  EXPECT_EQ(row(s.session.sid).last_seen_at_ms, t0 + 60'000);

  // The last millisecond of the idle window is live; its end is not.
  clock_.set_ms(t0 + 60'000 + 600'000 - 1);
  EXPECT_TRUE(lookup(s.cookie_value));
  clock_.set_ms(t0 + 60'000 + 600'000 - 1 + 600'000);  // touched at the previous read
  EXPECT_FALSE(lookup(s.cookie_value));
}

TEST_P(SessionServiceTest, IdleExpiryWithoutUse) {
  set_policy(acme_, {{"session", {{"idle_lifetime_s", 600}, {"absolute_lifetime_s", 3600}}}});
  const int64_t t0 = clock_.now_ms();
  auto s = start();
  auto other = start();
  clock_.set_ms(t0 + 600'000 - 1);
  EXPECT_TRUE(lookup(s.cookie_value));  // the last live millisecond (and a touch of `s`)
  clock_.set_ms(t0 + 600'000);
  EXPECT_FALSE(lookup(other.cookie_value));  // untouched since t0: its idle window is over
  EXPECT_TRUE(lookup(s.cookie_value));
}

TEST_P(SessionServiceTest, AbsoluteWindowEdgeDespiteUse) {
  set_policy(acme_, {{"session", {{"idle_lifetime_s", 600}, {"absolute_lifetime_s", 3600}}}});
  const int64_t t0 = clock_.now_ms();
  auto s = start();
  // Used every five minutes: the idle window keeps moving, but never past the absolute end.
  while (clock_.now_ms() + 300'000 < t0 + 3'600'000) {
    clock_.advance(minutes(5));
    ASSERT_TRUE(lookup(s.cookie_value)) << (clock_.now_ms() - t0);
  }
  EXPECT_LE(row(s.session.sid).idle_expires_at_ms, t0 + 3'600'000);
  clock_.set_ms(t0 + 3'600'000 - 1);
  auto last = lookup(s.cookie_value);
  ASSERT_TRUE(last);
  EXPECT_EQ(last->expires_at_ms, t0 + 3'600'000);
  clock_.set_ms(t0 + 3'600'000);
  EXPECT_FALSE(lookup(s.cookie_value));
}

TEST_P(SessionServiceTest, TamperedMalformedAndForeignCookiesFindNothing) {
  auto s = start();
  std::string tampered = s.cookie_value;
  tampered.back() = tampered.back() == 'A' ? 'B' : 'A';
  EXPECT_FALSE(lookup(tampered));
  // The same lookup with another secret: the row is found, the HMAC is not its.
  std::string swapped = s.cookie_value.substr(0, 31) + std::string(43, 'x');
  EXPECT_FALSE(lookup(swapped));
  for (const std::string& bad : std::vector<std::string>{
           "", "gh_ss_", "gh_ak_" + s.cookie_value.substr(6), s.cookie_value + "x",
           s.cookie_value.substr(0, s.cookie_value.size() - 1), "garbage"}) {
    EXPECT_FALSE(lookup(bad)) << bad;
  }
  // A valid cookie of this environment means nothing in another one.
  EXPECT_FALSE(lookup(s.cookie_value, production_.id));
  // Unknown lookup.
  auto unknown = "gh_ss_" + std::string(24, 'a') + "_" + std::string(43, 'b');
  EXPECT_FALSE(lookup(unknown));
  EXPECT_TRUE(lookup(s.cookie_value));
}

TEST_P(SessionServiceTest, RevokedSessionsAndInactiveUsersFindNothing) {
  auto s = start();
  auto other = start();
  tenancy::Actor admin{"api_key", "key-1", "req-9", "10.0.0.1"};
  auto revoked = sessions_.revoke(sandbox_, acme_.id, s.session.sid, admin);
  ASSERT_TRUE(revoked) << revoked.error().text();
  EXPECT_EQ(revoked->revoked_reason, "admin");
  EXPECT_FALSE(lookup(s.cookie_value));
  EXPECT_TRUE(lookup(other.cookie_value));
  auto rec = audit(acme_, "session.revoked");
  ASSERT_EQ(rec.size(), 1u);
  EXPECT_EQ(rec[0].target_id, s.session.sid);
  EXPECT_EQ(rec[0].request_id, "req-9");
  auto ev = events(acme_, "session.revoked");
  ASSERT_EQ(ev.size(), 1u);
  EXPECT_EQ(ev[0].payload["session"]["sid"], s.session.sid);
  EXPECT_EQ(ev[0].payload["session"]["user_id"], uid_);
  // Revoking again records nothing more.
  ASSERT_TRUE(sessions_.revoke(sandbox_, acme_.id, s.session.sid, admin));
  EXPECT_EQ(audit(acme_, "session.revoked").size(), 1u);

  // A user no longer active: the session stays, the lookup refuses it.
  ASSERT_TRUE(store_->transact<store::User>([&](store::Repositories& r) {
    return r.users().set_state(sandbox_.id, acme_.id, uid_, "deprovisioned");
  }));
  EXPECT_FALSE(lookup(other.cookie_value));
  auto refused = sessions_.start(fresh());
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().code, errc::IdentityUserInactive);
}

TEST_P(SessionServiceTest, RevocationAndListingAreScopedToTheOrganization) {
  auto s = start();
  tenancy::Actor admin{"api_key", "key-1", "", ""};
  for (auto [env, org] : {std::pair{&sandbox_, globex_.id}, std::pair{&production_, acme_.id},
                          std::pair{&production_, acme_prod_.id}}) {
    auto r = sessions_.revoke(*env, org, s.session.sid, admin);
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().code, errc::SessionNotFound);
    auto l = sessions_.list_for_user(*env, org, uid_, false);
    ASSERT_FALSE(l);
    EXPECT_EQ(l.error().code, errc::IdentityUserNotFound);
    auto c = sessions_.add_client(env->id, org, s.session.sid, "app");
    ASSERT_FALSE(c);
    EXPECT_EQ(c.error().code, errc::SessionNotFound);
  }
  EXPECT_TRUE(lookup(s.cookie_value));
  EXPECT_TRUE(audit(acme_, "session.revoked").empty());
  auto list = sessions_.list_for_user(sandbox_, acme_.id, uid_, true);
  ASSERT_TRUE(list);
  ASSERT_EQ(list->size(), 1u);
  const auto j = session_json((*list)[0], clock_.now_ms());
  EXPECT_EQ(j["status"], "active");
  EXPECT_FALSE(j.contains("cookie_hash"));
  EXPECT_FALSE(j.contains("cookie_lookup"));
  EXPECT_EQ(j.dump().find(s.cookie_value.substr(6, 24)), std::string::npos);
}

TEST_P(SessionServiceTest, MaxSessionsPerUserRevokesTheOldest) {
  set_policy(acme_, {{"session", {{"max_sessions_per_user", 2}}}});
  auto s1 = start();
  clock_.advance(milliseconds(10));
  auto s2 = start();
  clock_.advance(milliseconds(10));
  EXPECT_TRUE(events(acme_, "session.revoked").empty());
  auto s3 = start();
  EXPECT_FALSE(lookup(s1.cookie_value));
  EXPECT_TRUE(lookup(s2.cookie_value));
  EXPECT_TRUE(lookup(s3.cookie_value));
  EXPECT_EQ(row(s1.session.sid).revoked_reason, "max_sessions");
  auto ev = events(acme_, "session.revoked");
  ASSERT_EQ(ev.size(), 1u);
  EXPECT_EQ(ev[0].payload["session"]["sid"], s1.session.sid);
  EXPECT_EQ(*store_->read<int64_t>([&](store::Repositories& r) {
    return r.sessions().count_live_for_user(sandbox_.id, acme_.id, uid_, clock_.now_ms());
  }),
            2);
  // Another user's sessions do not count.
  const auto bob =
      identity_.resolve(login(acme_, "conn-1", "sub-2", "bob@acme.example"), false)->user_id;
  ASSERT_TRUE(sessions_.start({sandbox_.id, acme_.id, bob, "conn-1", clock_.now_ms(), "", {}}));
  EXPECT_TRUE(lookup(s2.cookie_value));
  // 0 is unlimited.
  set_policy(acme_, {{"session", {{"max_sessions_per_user", 0}}}});
  for (int i = 0; i < 4; ++i) start();
  EXPECT_TRUE(lookup(s2.cookie_value));
}

TEST_P(SessionServiceTest, ClientsAreRecordedOnce) {
  auto s = start();
  auto first = sessions_.add_client(sandbox_.id, acme_.id, s.session.sid, "app-1");
  ASSERT_TRUE(first && *first);
  auto again = sessions_.add_client(sandbox_.id, acme_.id, s.session.sid, "app-1");
  ASSERT_TRUE(again);
  EXPECT_FALSE(*again);
  ASSERT_TRUE(sessions_.add_client(sandbox_.id, acme_.id, s.session.sid, "app-2"));
  EXPECT_EQ(row(s.session.sid).clients, (std::vector<std::string>{"app-1", "app-2"}));
  auto empty = sessions_.add_client(sandbox_.id, acme_.id, s.session.sid, "");
  ASSERT_FALSE(empty);
}

TEST_P(SessionServiceTest, ThePolicyRefusesNonsenseMaxima) {
  for (const nlohmann::json& bad :
       {nlohmann::json(-1), nlohmann::json(1001), nlohmann::json("2")}) {
    auto r = tenancy::validate_policy_document({{"session", {{"max_sessions_per_user", bad}}}});
    ASSERT_FALSE(r) << bad;
    EXPECT_EQ(r.error().extra["field"], "session.max_sessions_per_user");
  }
  EXPECT_TRUE(tenancy::validate_policy_document({{"session", {{"max_sessions_per_user", 3}}}}));
  EXPECT_EQ(tenancy::effective_policy({{"session", {{"max_sessions_per_user", 3}}}}, {})
                .max_sessions_per_user,
            3);
}

INSTANTIATE_TEST_SUITE_P(Sqlite, SessionServiceTest, ::testing::Values(Backend::sqlite));
INSTANTIATE_TEST_SUITE_P(Postgres, SessionServiceTest, ::testing::Values(Backend::postgres));

}  // namespace
}  // namespace gh::sessions
