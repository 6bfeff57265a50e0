// Issue 7's revocation fan-out on both backends: ending a session revokes the refresh tokens
// issued in it (and only those), queues session.revoked (with the session's clients, for
// back-channel logout) and token.revoked, and announces the access-token cache topic; the admin
// causes (a user, an organization, a refresh family, an access token by jti) are audited and
// scoped to the organization (another organization's or environment's ids: not found).
#include <set>

#include "../identity/identity_fixture.h"
#include "identity/error_codes.h"
#include "sessions/error_codes.h"
#include "tenancy/error_codes.h"

namespace gh::sessions {
namespace {

using store::Backend;

class RevocationFanOutTest : public testing::IdentityFixture {
 protected:
  RevocationFanOutTest() {
    uid_ = identity_.resolve(login(acme_, "conn-1", "sub-1", "alice@acme.example"), false)->user_id;
  }
  StartedSession start(const std::string& uid) {
    auto s = sessions_.start({sandbox_.id, acme_.id, uid, "conn-1", clock_.now_ms(), "", {}});
    EXPECT_TRUE(s) << s.error().text();
    return *s;
  }
  void refresh(const std::string& hash, const std::string& family, const std::string& sid,
               const store::Organization& org) {
    store::RefreshToken t;
    t.token_hash = hash;
    t.family_id = family;
    t.environment_id = org.environment_id;
    t.organization_id = org.id;
    t.application_id = "app-1";
    t.client_id = "gh_app_1";
    t.user_id = uid_;
    t.sid = sid;
    t.params = "{}";
    t.created_at_ms = clock_.now_ms();
    t.expires_at_ms = t.family_expires_at_ms = clock_.now_ms() + 3'600'000;
    ASSERT_TRUE(store_->transact<store::RefreshToken>(
        [&](store::Repositories& r) { return r.oauth_grants().put_refresh(t); }));
  }
  int64_t refresh_revoked_at(const std::string& env_id, const std::string& hash) {
    auto t = store_->read<std::optional<store::RefreshToken>>(
        [&](store::Repositories& r) { return r.oauth_grants().find_refresh(env_id, hash); });
    EXPECT_TRUE(t && *t);
    return (*t)->revoked_at_ms;
  }
  std::string uid_;
  tenancy::Actor admin_{"api_key", "key-1", "req-1", "192.0.2.1"};
};

TEST_P(RevocationFanOutTest, RevokingAUserEndsSessionsTheirRefreshTokensAndQueuesEvents) {
  auto s1 = start(uid_);
  auto s2 = start(uid_);
  ASSERT_TRUE(sessions_.add_client(sandbox_.id, acme_.id, s1.session.sid, "gh_app_1"));
  refresh("h1", "fam-1", s1.session.sid, acme_);
  refresh("h1b", "fam-1", s1.session.sid, acme_);
  refresh("h2", "fam-2", s2.session.sid, acme_);
  refresh("h3", "fam-3", "", acme_);  // not issued in a session (or in another one)
  const auto bob =
      identity_.resolve(login(acme_, "conn-1", "sub-2", "bob@acme.example"), false)->user_id;
  auto sb = start(bob);
  refresh("hb", "fam-b", sb.session.sid, acme_);

  auto revoked = sessions_.revoke_user(sandbox_, acme_.id, uid_, admin_);
  ASSERT_TRUE(revoked) << revoked.error().text();
  EXPECT_EQ(revoked->size(), 2u);
  EXPECT_NE(refresh_revoked_at(sandbox_.id, "h1"), 0);
  EXPECT_NE(refresh_revoked_at(sandbox_.id, "h1b"), 0);
  EXPECT_NE(refresh_revoked_at(sandbox_.id, "h2"), 0);
  EXPECT_EQ(refresh_revoked_at(sandbox_.id, "h3"), 0);
  EXPECT_EQ(refresh_revoked_at(sandbox_.id, "hb"), 0) << "another user's session";
  EXPECT_TRUE(*sessions_.from_cookie(sandbox_.id, sb.cookie_value));
  EXPECT_FALSE(*sessions_.from_cookie(sandbox_.id, s1.cookie_value));

  auto ended = events(acme_, "session.revoked");
  ASSERT_EQ(ended.size(), 2u);
  for (const auto& e : ended) {
    EXPECT_EQ(e.payload["session"]["reason"], "admin");
    if (e.payload["session"]["sid"] == s1.session.sid) {
      EXPECT_EQ(e.payload["session"]["clients"], nlohmann::json::array({"gh_app_1"}));
    }
  }
  auto tokens = events(acme_, "token.revoked");
  ASSERT_EQ(tokens.size(), 2u);
  std::set<std::string> families;
  for (const auto& e : tokens) {
    EXPECT_EQ(e.payload["token"]["type"], "refresh_token");
    for (const auto& f : e.payload["token"]["family_ids"]) families.insert(f.get<std::string>());
  }
  EXPECT_EQ(families, (std::set<std::string>{"fam-1", "fam-2"}));
  auto rec = audit(acme_, "session.revoked_for_user");
  ASSERT_EQ(rec.size(), 1u);
  EXPECT_EQ(rec[0].target_id, uid_);
  EXPECT_EQ(rec[0].request_id, "req-1");

  // Again: nothing left to end, nothing more queued.
  auto again = sessions_.revoke_user(sandbox_, acme_.id, uid_, admin_);
  ASSERT_TRUE(again);
  EXPECT_TRUE(again->empty());
  EXPECT_EQ(events(acme_, "token.revoked").size(), 2u);
}

TEST_P(RevocationFanOutTest, SuspendingAUserGoesThroughTheSameFanOut) {
  auto s = start(uid_);
  refresh("h1", "fam-1", s.session.sid, acme_);
  auto suspended = identity_.set_state(sandbox_, acme_.id, uid_, "suspended", 0, admin_);
  ASSERT_TRUE(suspended) << suspended.error().text();
  EXPECT_NE(refresh_revoked_at(sandbox_.id, "h1"), 0);
  EXPECT_EQ(events(acme_, "token.revoked").size(), 1u);
}

TEST_P(RevocationFanOutTest, OrganizationFamilyAndJtiRevocation) {
  auto s1 = start(uid_);
  const auto bob =
      identity_.resolve(login(acme_, "conn-1", "sub-2", "bob@acme.example"), false)->user_id;
  auto s2 = start(bob);
  auto org = sessions_.list_for_organization(sandbox_, acme_.id, 100);
  ASSERT_TRUE(org);
  EXPECT_EQ(org->size(), 2u);
  auto all = sessions_.revoke_organization(sandbox_, acme_.id, admin_);
  ASSERT_TRUE(all) << all.error().text();
  EXPECT_EQ(all->size(), 2u);
  EXPECT_TRUE(sessions_.list_for_organization(sandbox_, acme_.id, 100)->empty());
  EXPECT_EQ(audit(acme_, "session.revoked_for_organization").size(), 1u);

  refresh("f1", "fam-x", "", acme_);
  auto fam = sessions_.revoke_refresh_family(sandbox_, acme_.id, "fam-x", admin_);
  ASSERT_TRUE(fam) << fam.error().text();
  EXPECT_EQ(*fam, 1);
  EXPECT_NE(refresh_revoked_at(sandbox_.id, "f1"), 0);
  auto twice = sessions_.revoke_refresh_family(sandbox_, acme_.id, "fam-x", admin_);
  ASSERT_FALSE(twice);
  EXPECT_EQ(twice.error().code, errc::SessionTokenNotFound);

  auto jti = sessions_.revoke_access_token(sandbox_, acme_.id, "jti-1", admin_);
  ASSERT_TRUE(jti && *jti);
  EXPECT_TRUE(*store_->read<bool>([&](store::Repositories& r) {
    return r.oauth_grants().is_jti_revoked(sandbox_.id, acme_.id, "jti-1");
  }));
  EXPECT_FALSE(*store_->read<bool>([&](store::Repositories& r) {
    return r.oauth_grants().is_jti_revoked(sandbox_.id, globex_.id, "jti-1");
  }));
  auto jti_again = sessions_.revoke_access_token(sandbox_, acme_.id, "jti-1", admin_);
  ASSERT_TRUE(jti_again);
  EXPECT_FALSE(*jti_again);
  EXPECT_EQ(audit(acme_, "token.revoked").size(), 2u);
  auto bad = sessions_.revoke_access_token(sandbox_, acme_.id, "", admin_);
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().code, errc::RequestInvalidField);
}

TEST_P(RevocationFanOutTest, OtherTenantsIdsAreNotFound) {
  auto s = start(uid_);
  refresh("h1", "fam-1", s.session.sid, acme_);
  for (auto [env, org] : {std::pair{&sandbox_, globex_.id}, std::pair{&production_, acme_.id},
                          std::pair{&production_, acme_prod_.id}}) {
    auto u = sessions_.revoke_user(*env, org, uid_, admin_);
    ASSERT_FALSE(u);
    EXPECT_EQ(u.error().code, errc::IdentityUserNotFound);
    auto f = sessions_.revoke_refresh_family(*env, org, "fam-1", admin_);
    ASSERT_FALSE(f);
    EXPECT_EQ(f.error().code, errc::SessionTokenNotFound);
    auto e = sessions_.end(env->id, org, s.session.sid, "gh_app_1", "", "");
    ASSERT_FALSE(e);
    EXPECT_EQ(e.error().code, errc::SessionNotFound);
    auto o = sessions_.revoke_organization(*env, org, admin_);
    if (org == acme_.id) {  // the production environment has no organization with this id
      ASSERT_FALSE(o);
      EXPECT_EQ(o.error().code, errc::TenantNotFound);
    } else {
      ASSERT_TRUE(o);  // globex and acme (production) exist; they have no sessions
      EXPECT_TRUE(o->empty());
    }
    auto rows = store_->read<std::vector<store::Session>>([&](store::Repositories& r) {
      return r.sessions().list_live_for_organization(env->id, org, clock_.now_ms(), 100);
    });
    ASSERT_TRUE(rows);
    EXPECT_TRUE(rows->empty());
    auto fams = store_->transact<std::vector<std::string>>([&](store::Repositories& r) {
      return r.oauth_grants().revoke_session_families(env->id, org, s.session.sid, clock_.now_ms());
    });
    ASSERT_TRUE(fams);
    EXPECT_TRUE(fams->empty());
  }
  EXPECT_EQ(refresh_revoked_at(sandbox_.id, "h1"), 0);
  EXPECT_TRUE(*sessions_.from_cookie(sandbox_.id, s.cookie_value));
  EXPECT_TRUE(events(acme_, "session.revoked").empty());
}

TEST_P(RevocationFanOutTest, RpInitiatedLogoutEndsTheSessionOnce) {
  auto s = start(uid_);
  refresh("h1", "fam-1", s.session.sid, acme_);
  auto e = sessions_.end(sandbox_.id, acme_.id, s.session.sid, "gh_app_1", "req-9", "192.0.2.9");
  ASSERT_TRUE(e) << e.error().text();
  EXPECT_TRUE(*e);
  EXPECT_NE(refresh_revoked_at(sandbox_.id, "h1"), 0);
  auto ev = events(acme_, "session.revoked");
  ASSERT_EQ(ev.size(), 1u);
  EXPECT_EQ(ev[0].payload["session"]["reason"], "logout");
  auto rec = audit(acme_, "session.logout");
  ASSERT_EQ(rec.size(), 1u);
  EXPECT_EQ(rec[0].actor_type, "user");
  EXPECT_EQ(rec[0].actor_id, uid_);
  auto again = sessions_.end(sandbox_.id, acme_.id, s.session.sid, "gh_app_1", "", "");
  ASSERT_TRUE(again);
  EXPECT_FALSE(*again);
  EXPECT_EQ(events(acme_, "session.revoked").size(), 1u);
}

INSTANTIATE_TEST_SUITE_P(Sqlite, RevocationFanOutTest, ::testing::Values(Backend::sqlite));
INSTANTIATE_TEST_SUITE_P(Postgres, RevocationFanOutTest, ::testing::Values(Backend::postgres));

}  // namespace
}  // namespace gh::sessions
