// Conformance of the user and session repositories on both backends: users with their
// normalized unique email, cursor paging, optimistic versions and states; identity bindings
// unique per (organization, connection, issuer, subject); sessions found by cookie lookup,
// touched, revoked, counted, with their client lists; and isolation (other organizations' and
// environments' ids answer not-found and change nothing).
#include <gtest/gtest.h>

#include "core/ids.h"
#include "identity/error_codes.h"
#include "sessions/error_codes.h"
#include "test_store.h"

namespace gh::store {
namespace {

class UserConformance : public ::testing::TestWithParam<Backend> {
 protected:
  UserConformance() : store_(GetParam(), &clock_) {
    env_a_ = make_env("env-a");
    env_b_ = make_env("env-b");
    acme_ = make_org(env_a_, "acme");
    globex_ = make_org(env_a_, "globex");
    acme_b_ = make_org(env_b_, "acme");
  }
  Environment make_env(const std::string& name) {
    return *store_->transact<Environment>(
        [&](Repositories& r) { return r.environments().create({.name = name}); });
  }
  Organization make_org(const Environment& env, const std::string& slug) {
    return *store_->transact<Organization>([&](Repositories& r) {
      return r.organizations().create({.environment_id = env.id, .slug = slug, .name = slug});
    });
  }
  Result<User> add_user(const Organization& org, const std::string& email) {
    return store_->transact<User>([&](Repositories& r) {
      User u;
      u.environment_id = org.environment_id;
      u.organization_id = org.id;
      u.email = email;
      u.name = "Name " + email;
      u.attributes = {{"department", "R&D"}};
      return r.users().create(u);
    });
  }
  Result<IdentityBinding> bind(const Organization& org, const std::string& user_id,
                               const std::string& conn, const std::string& sub) {
    return store_->transact<IdentityBinding>([&](Repositories& r) {
      IdentityBinding b;
      b.environment_id = org.environment_id;
      b.organization_id = org.id;
      b.user_id = user_id;
      b.connection_id = conn;
      b.issuer = "https://idp.example/" + conn;
      b.subject = sub;
      return r.users().bind(b);
    });
  }
  // The probes every tenant-scoped method must refuse: another organization of the same
  // environment, the same organization id under another environment, another environment's
  // organization.
  std::vector<std::pair<std::string, std::string>> others() const {
    return {{env_a_.id, globex_.id}, {env_b_.id, acme_.id}, {env_b_.id, acme_b_.id}};
  }
  FakeClock clock_;
  testing::TestStore store_;
  Environment env_a_, env_b_;
  Organization acme_, globex_, acme_b_;
};

TEST_P(UserConformance, CreateGetFindAndUniqueEmail) {
  auto u = add_user(acme_, "  Alice@Acme.Example ");
  ASSERT_TRUE(u) << u.error().text();
  EXPECT_EQ(u->email, "alice@acme.example");
  EXPECT_EQ(u->state, "active");
  EXPECT_EQ(u->version, 1);
  EXPECT_EQ(u->created_at_ms, clock_.now_ms());
  EXPECT_TRUE(is_uuid(u->id));

  auto got = store_->read<User>(
      [&](Repositories& r) { return r.users().get(env_a_.id, acme_.id, u->id); });
  ASSERT_TRUE(got);
  EXPECT_EQ(got->email, "alice@acme.example");
  EXPECT_EQ(got->attributes["department"], "R&D");
  EXPECT_EQ(got->name, "Name   Alice@Acme.Example ");

  auto found = store_->read<std::optional<User>>([&](Repositories& r) {
    return r.users().find_by_email(env_a_.id, acme_.id, "ALICE@acme.example");
  });
  ASSERT_TRUE(found && *found);
  EXPECT_EQ((*found)->id, u->id);

  auto dup = add_user(acme_, "alice@ACME.example");
  ASSERT_FALSE(dup);
  EXPECT_EQ(dup.error().code, errc::IdentityEmailInUse);
  // The same email in another organization is another person's account.
  ASSERT_TRUE(add_user(globex_, "alice@acme.example"));
  // Users without email do not collide.
  ASSERT_TRUE(add_user(acme_, ""));
  ASSERT_TRUE(add_user(acme_, ""));
  auto none = store_->read<std::optional<User>>(
      [&](Repositories& r) { return r.users().find_by_email(env_a_.id, acme_.id, ""); });
  ASSERT_TRUE(none);
  EXPECT_FALSE(*none);

  for (const auto& [env, org] : others()) {
    auto other =
        store_->read<User>([&](Repositories& r) { return r.users().get(env, org, u->id); });
    ASSERT_FALSE(other);
    EXPECT_EQ(other.error().code, errc::IdentityUserNotFound);
    auto by_email = store_->read<std::optional<User>>(
        [&](Repositories& r) { return r.users().find_by_email(env, org, "alice@acme.example"); });
    ASSERT_TRUE(by_email);
    if (*by_email) {
      EXPECT_NE((*by_email)->id, u->id);
    }
  }
}

TEST_P(UserConformance, ListPagesByIdWithinTheOrganization) {
  std::vector<std::string> ids;
  for (int i = 0; i < 5; ++i) {
    clock_.advance(std::chrono::milliseconds(1));
    ids.push_back(add_user(acme_, "u" + std::to_string(i) + "@acme.example")->id);
  }
  ASSERT_TRUE(add_user(globex_, "g@globex.example"));
  std::vector<std::string> seen;
  Page page{"", 2};
  for (int guard = 0; guard < 10; ++guard) {
    auto p = store_->read<PageOf<User>>(
        [&](Repositories& r) { return r.users().list(env_a_.id, acme_.id, page); });
    ASSERT_TRUE(p);
    for (const auto& u : p->items) seen.push_back(u.id);
    if (p->next.empty()) break;
    EXPECT_EQ(p->items.size(), 2u);
    page.after = p->next;
  }
  EXPECT_EQ(seen, ids);
  for (const auto& [env, org] : others()) {
    if (org == globex_.id) continue;
    auto p = store_->read<PageOf<User>>([&](Repositories& r) {
      return r.users().list(env, org, Page{"", 100});
    });
    ASSERT_TRUE(p);
    EXPECT_TRUE(p->items.empty());
  }
}

TEST_P(UserConformance, UpdateWithVersionAndSetState) {
  auto u = *add_user(acme_, "bob@acme.example");
  ASSERT_TRUE(add_user(acme_, "carol@acme.example"));
  User next = u;
  next.given_name = "Bob";
  next.email_verified = true;
  next.attributes = {{"title", "Engineer"}};
  auto updated = store_->transact<User>([&](Repositories& r) { return r.users().update(next, 1); });
  ASSERT_TRUE(updated) << updated.error().text();
  EXPECT_EQ(updated->version, 2);
  EXPECT_EQ(updated->given_name, "Bob");
  EXPECT_TRUE(updated->email_verified);
  EXPECT_EQ(updated->attributes["title"], "Engineer");

  auto stale = store_->transact<User>([&](Repositories& r) { return r.users().update(next, 1); });
  ASSERT_FALSE(stale);
  EXPECT_EQ(stale.error().code, errc::RequestPreconditionFailed);

  next.email = "Carol@acme.example";
  auto taken = store_->transact<User>([&](Repositories& r) { return r.users().update(next, 2); });
  ASSERT_FALSE(taken);
  EXPECT_EQ(taken.error().code, errc::IdentityEmailInUse);

  auto suspended = store_->transact<User>(
      [&](Repositories& r) { return r.users().set_state(env_a_.id, acme_.id, u.id, "suspended"); });
  ASSERT_TRUE(suspended);
  EXPECT_EQ(suspended->state, "suspended");
  EXPECT_EQ(suspended->version, 3);
  auto bad = store_->transact<User>(
      [&](Repositories& r) { return r.users().set_state(env_a_.id, acme_.id, u.id, "gone"); });
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().code, errc::IdentityInvalidState);

  clock_.advance(std::chrono::seconds(5));
  ASSERT_TRUE(store_->transact<bool>([&](Repositories& r) {
    return r.users().record_login(env_a_.id, acme_.id, u.id, "", clock_.now_ms());
  }));
  EXPECT_EQ(
      store_->read<User>([&](Repositories& r) { return r.users().get(env_a_.id, acme_.id, u.id); })
          ->last_login_at_ms,
      clock_.now_ms());

  for (const auto& [env, org] : others()) {
    User foreign = *updated;
    foreign.environment_id = env;
    foreign.organization_id = org;
    foreign.name = "hijacked";
    auto up = store_->transact<User>(
        [&](Repositories& r) { return r.users().update(foreign, suspended->version); });
    ASSERT_FALSE(up);
    EXPECT_EQ(up.error().code, errc::IdentityUserNotFound);
    auto st = store_->transact<User>(
        [&](Repositories& r) { return r.users().set_state(env, org, u.id, "active"); });
    ASSERT_FALSE(st);
    EXPECT_EQ(st.error().code, errc::IdentityUserNotFound);
    auto login = store_->transact<bool>(
        [&](Repositories& r) { return r.users().record_login(env, org, u.id, "", 1); });
    ASSERT_FALSE(login);
    EXPECT_EQ(login.error().code, errc::IdentityUserNotFound);
  }
  auto still =
      store_->read<User>([&](Repositories& r) { return r.users().get(env_a_.id, acme_.id, u.id); });
  EXPECT_EQ(still->state, "suspended");
  EXPECT_EQ(still->name, u.name);
}

TEST_P(UserConformance, BindingsAreUniquePerConnectionIssuerSubject) {
  auto alice = *add_user(acme_, "alice@acme.example");
  auto bob = *add_user(acme_, "bob@acme.example");
  auto g = *add_user(globex_, "g@globex.example");
  auto b1 = bind(acme_, alice.id, "conn-1", "sub-1");
  ASSERT_TRUE(b1) << b1.error().text();
  clock_.advance(std::chrono::milliseconds(1));
  auto b2 = bind(acme_, alice.id, "conn-2", "sub-1");
  ASSERT_TRUE(b2) << b2.error().text();

  auto dup = bind(acme_, bob.id, "conn-1", "sub-1");
  ASSERT_FALSE(dup);
  EXPECT_EQ(dup.error().code, errc::IdentityBindingExists);
  // Another organization may bind the same (connection, issuer, subject) triple.
  ASSERT_TRUE(bind(globex_, g.id, "conn-1", "sub-1"));
  // A user of another organization cannot be bound here.
  auto cross = bind(acme_, g.id, "conn-9", "sub-9");
  ASSERT_FALSE(cross);
  EXPECT_EQ(cross.error().code, errc::IdentityUserNotFound);

  auto found = store_->read<std::optional<IdentityBinding>>([&](Repositories& r) {
    return r.users().find_binding(env_a_.id, acme_.id, "conn-1", "https://idp.example/conn-1",
                                  "sub-1");
  });
  ASSERT_TRUE(found && *found);
  EXPECT_EQ((*found)->user_id, alice.id);
  auto wrong_issuer = store_->read<std::optional<IdentityBinding>>([&](Repositories& r) {
    return r.users().find_binding(env_a_.id, acme_.id, "conn-1", "https://evil.example", "sub-1");
  });
  ASSERT_TRUE(wrong_issuer);
  EXPECT_FALSE(*wrong_issuer);

  auto list = store_->read<std::vector<IdentityBinding>>(
      [&](Repositories& r) { return r.users().list_bindings(env_a_.id, acme_.id, alice.id); });
  ASSERT_TRUE(list);
  ASSERT_EQ(list->size(), 2u);
  EXPECT_EQ((*list)[0].id, b1->id);
  EXPECT_EQ((*list)[1].id, b2->id);

  clock_.advance(std::chrono::seconds(3));
  ASSERT_TRUE(store_->transact<bool>([&](Repositories& r) {
    return r.users().record_login(env_a_.id, acme_.id, alice.id, b1->id, clock_.now_ms());
  }));
  list = store_->read<std::vector<IdentityBinding>>(
      [&](Repositories& r) { return r.users().list_bindings(env_a_.id, acme_.id, alice.id); });
  EXPECT_EQ((*list)[0].last_login_at_ms, clock_.now_ms());
  EXPECT_EQ((*list)[1].last_login_at_ms, 0);

  for (const auto& [env, org] : others()) {
    auto f = store_->read<std::optional<IdentityBinding>>([&](Repositories& r) {
      return r.users().find_binding(env, org, "conn-2", "https://idp.example/conn-2", "sub-1");
    });
    ASSERT_TRUE(f);
    EXPECT_FALSE(*f);
    auto l = store_->read<std::vector<IdentityBinding>>(
        [&](Repositories& r) { return r.users().list_bindings(env, org, alice.id); });
    ASSERT_TRUE(l);
    EXPECT_TRUE(l->empty());
    auto rm = store_->transact<IdentityBinding>(
        [&](Repositories& r) { return r.users().remove_binding(env, org, alice.id, b1->id); });
    ASSERT_FALSE(rm);
    EXPECT_EQ(rm.error().code, errc::IdentityBindingNotFound);
  }
  // Another user's binding cannot be removed through this user.
  auto wrong_user = store_->transact<IdentityBinding>([&](Repositories& r) {
    return r.users().remove_binding(env_a_.id, acme_.id, bob.id, b1->id);
  });
  ASSERT_FALSE(wrong_user);
  EXPECT_EQ(wrong_user.error().code, errc::IdentityBindingNotFound);

  auto removed = store_->transact<IdentityBinding>([&](Repositories& r) {
    return r.users().remove_binding(env_a_.id, acme_.id, alice.id, b1->id);
  });
  ASSERT_TRUE(removed);
  EXPECT_EQ(removed->subject, "sub-1");
  // Once removed, the triple can be bound again (explicit re-binding).
  ASSERT_TRUE(bind(acme_, bob.id, "conn-1", "sub-1"));
}

class SessionConformance : public UserConformance {
 protected:
  Session sample(const Organization& org, const std::string& user_id, const std::string& lookup) {
    Session s;
    s.sid = new_uuid_v7(clock_);
    s.environment_id = org.environment_id;
    s.organization_id = org.id;
    s.user_id = user_id;
    s.connection_id = "conn-1";
    s.cookie_lookup = lookup;
    s.cookie_hash = "hash-" + lookup;
    s.auth_time_ms = clock_.now_ms() - 1000;
    s.acr = "urn:gatehouse:acr:mfa";
    s.amr = {"pwd", "otp"};
    s.created_at_ms = s.last_seen_at_ms = clock_.now_ms();
    s.idle_expires_at_ms = clock_.now_ms() + 60'000;
    s.absolute_expires_at_ms = clock_.now_ms() + 600'000;
    return s;
  }
  Result<Session> create(const Session& s) {
    return store_->transact<Session>([&](Repositories& r) { return r.sessions().create(s); });
  }
};

TEST_P(SessionConformance, CreateGetFindByCookieAndIsolation) {
  auto s = create(sample(acme_, "user-1", "lookup-1"));
  ASSERT_TRUE(s) << s.error().text();
  auto got = store_->read<Session>(
      [&](Repositories& r) { return r.sessions().get(env_a_.id, acme_.id, s->sid); });
  ASSERT_TRUE(got);
  EXPECT_EQ(got->amr, (std::vector<std::string>{"pwd", "otp"}));
  EXPECT_EQ(got->acr, "urn:gatehouse:acr:mfa");
  EXPECT_EQ(got->cookie_hash, "hash-lookup-1");
  EXPECT_EQ(got->expires_at_ms(), clock_.now_ms() + 60'000);
  EXPECT_TRUE(got->live_at(clock_.now_ms()));

  auto found = store_->read<std::optional<Session>>(
      [&](Repositories& r) { return r.sessions().find_by_cookie_lookup(env_a_.id, "lookup-1"); });
  ASSERT_TRUE(found && *found);
  EXPECT_EQ((*found)->sid, s->sid);
  // The same lookup in another environment finds nothing.
  auto elsewhere = store_->read<std::optional<Session>>(
      [&](Repositories& r) { return r.sessions().find_by_cookie_lookup(env_b_.id, "lookup-1"); });
  ASSERT_TRUE(elsewhere);
  EXPECT_FALSE(*elsewhere);

  for (const auto& [env, org] : others()) {
    auto other =
        store_->read<Session>([&](Repositories& r) { return r.sessions().get(env, org, s->sid); });
    ASSERT_FALSE(other);
    EXPECT_EQ(other.error().code, errc::SessionNotFound);
    auto touched = store_->transact<bool>(
        [&](Repositories& r) { return r.sessions().touch(env, org, s->sid, 1, 2); });
    ASSERT_TRUE(touched);
    EXPECT_FALSE(*touched);
    auto revoked = store_->transact<Session>(
        [&](Repositories& r) { return r.sessions().revoke(env, org, s->sid, 1, "x"); });
    ASSERT_FALSE(revoked);
    EXPECT_EQ(revoked.error().code, errc::SessionNotFound);
    auto all = store_->transact<std::vector<Session>>([&](Repositories& r) {
      return r.sessions().revoke_all_for_user(env, org, "user-1", 1, "x");
    });
    ASSERT_TRUE(all);
    EXPECT_TRUE(all->empty());
    auto listed = store_->read<std::vector<Session>>(
        [&](Repositories& r) { return r.sessions().list_for_user(env, org, "user-1", 0); });
    ASSERT_TRUE(listed);
    EXPECT_TRUE(listed->empty());
    auto client = store_->transact<bool>(
        [&](Repositories& r) { return r.sessions().add_client(env, org, s->sid, "app"); });
    ASSERT_FALSE(client);
    EXPECT_EQ(client.error().code, errc::SessionNotFound);
    auto n = store_->read<int64_t>([&](Repositories& r) {
      return r.sessions().count_live_for_user(env, org, "user-1", clock_.now_ms());
    });
    ASSERT_TRUE(n);
    EXPECT_EQ(*n, 0);
  }
  auto still = store_->read<Session>(
      [&](Repositories& r) { return r.sessions().get(env_a_.id, acme_.id, s->sid); });
  EXPECT_EQ(still->revoked_at_ms, 0);
  EXPECT_TRUE(still->clients.empty());
}

TEST_P(SessionConformance, TouchNeverPassesTheAbsoluteExpiry) {
  auto s = *create(sample(acme_, "user-1", "lookup-1"));
  clock_.advance(std::chrono::seconds(30));
  auto touched = store_->transact<bool>([&](Repositories& r) {
    return r.sessions().touch(env_a_.id, acme_.id, s.sid, clock_.now_ms(),
                              clock_.now_ms() + 60'000);
  });
  ASSERT_TRUE(touched && *touched);
  auto got = *store_->read<Session>(
      [&](Repositories& r) { return r.sessions().get(env_a_.id, acme_.id, s.sid); });
  EXPECT_EQ(got.last_seen_at_ms, clock_.now_ms());
  EXPECT_EQ(got.idle_expires_at_ms, clock_.now_ms() + 60'000);
  ASSERT_TRUE(store_->transact<bool>([&](Repositories& r) {
    return r.sessions().touch(env_a_.id, acme_.id, s.sid, clock_.now_ms(),
                              s.absolute_expires_at_ms + 99'000);
  }));
  got = *store_->read<Session>(
      [&](Repositories& r) { return r.sessions().get(env_a_.id, acme_.id, s.sid); });
  EXPECT_EQ(got.idle_expires_at_ms, s.absolute_expires_at_ms);
}

TEST_P(SessionConformance, RevokeListCountAndClients) {
  auto s1 = *create(sample(acme_, "user-1", "l1"));
  clock_.advance(std::chrono::milliseconds(10));
  auto s2 = *create(sample(acme_, "user-1", "l2"));
  clock_.advance(std::chrono::milliseconds(10));
  auto s3 = *create(sample(acme_, "user-1", "l3"));
  ASSERT_TRUE(create(sample(acme_, "user-2", "l4")));
  auto count = [&](const std::string& user) {
    return *store_->read<int64_t>([&](Repositories& r) {
      return r.sessions().count_live_for_user(env_a_.id, acme_.id, user, clock_.now_ms());
    });
  };
  EXPECT_EQ(count("user-1"), 3);

  auto revoked = store_->transact<Session>([&](Repositories& r) {
    return r.sessions().revoke(env_a_.id, acme_.id, s2.sid, clock_.now_ms(), "admin");
  });
  ASSERT_TRUE(revoked);
  EXPECT_EQ(revoked->revoked_at_ms, clock_.now_ms());
  EXPECT_EQ(revoked->revoked_reason, "admin");
  clock_.advance(std::chrono::milliseconds(5));
  auto again = store_->transact<Session>([&](Repositories& r) {
    return r.sessions().revoke(env_a_.id, acme_.id, s2.sid, clock_.now_ms(), "other");
  });
  ASSERT_TRUE(again);
  EXPECT_EQ(again->revoked_reason, "admin");  // the first revocation stands
  EXPECT_EQ(again->revoked_at_ms, revoked->revoked_at_ms);
  auto touched = store_->transact<bool>([&](Repositories& r) {
    return r.sessions().touch(env_a_.id, acme_.id, s2.sid, clock_.now_ms(), clock_.now_ms() + 1);
  });
  EXPECT_FALSE(*touched);
  EXPECT_EQ(count("user-1"), 2);

  auto all = store_->read<std::vector<Session>>([&](Repositories& r) {
    return r.sessions().list_for_user(env_a_.id, acme_.id, "user-1", 0);
  });
  ASSERT_EQ(all->size(), 3u);
  EXPECT_EQ((*all)[0].sid, s1.sid);  // oldest first
  auto live = store_->read<std::vector<Session>>([&](Repositories& r) {
    return r.sessions().list_for_user(env_a_.id, acme_.id, "user-1", clock_.now_ms());
  });
  ASSERT_EQ(live->size(), 2u);
  EXPECT_EQ((*live)[0].sid, s1.sid);
  EXPECT_EQ((*live)[1].sid, s3.sid);

  // Expiry: past the idle window a session is no longer live.
  clock_.advance(std::chrono::seconds(61));
  EXPECT_EQ(count("user-1"), 0);
  clock_.advance(std::chrono::seconds(-61));

  auto first = store_->transact<bool>(
      [&](Repositories& r) { return r.sessions().add_client(env_a_.id, acme_.id, s1.sid, "app"); });
  ASSERT_TRUE(first && *first);
  auto dup = store_->transact<bool>(
      [&](Repositories& r) { return r.sessions().add_client(env_a_.id, acme_.id, s1.sid, "app"); });
  ASSERT_TRUE(dup);
  EXPECT_FALSE(*dup);
  ASSERT_TRUE(store_->transact<bool>([&](Repositories& r) {
    return r.sessions().add_client(env_a_.id, acme_.id, s1.sid, "cli");
  }));
  auto got = store_->read<Session>(
      [&](Repositories& r) { return r.sessions().get(env_a_.id, acme_.id, s1.sid); });
  EXPECT_EQ(got->clients, (std::vector<std::string>{"app", "cli"}));

  auto swept = store_->transact<std::vector<Session>>([&](Repositories& r) {
    return r.sessions().revoke_all_for_user(env_a_.id, acme_.id, "user-1", clock_.now_ms(),
                                            "user_suspended");
  });
  ASSERT_TRUE(swept);
  ASSERT_EQ(swept->size(), 2u);  // s2 was revoked already
  for (const auto& s : *swept) EXPECT_EQ(s.revoked_reason, "user_suspended");
  EXPECT_EQ(count("user-1"), 0);
  EXPECT_EQ(count("user-2"), 1);
}

INSTANTIATE_TEST_SUITE_P(Sqlite, UserConformance, ::testing::Values(Backend::sqlite));
INSTANTIATE_TEST_SUITE_P(Postgres, UserConformance, ::testing::Values(Backend::postgres));
INSTANTIATE_TEST_SUITE_P(Sqlite, SessionConformance, ::testing::Values(Backend::sqlite));
INSTANTIATE_TEST_SUITE_P(Postgres, SessionConformance, ::testing::Values(Backend::postgres));

}  // namespace
}  // namespace gh::store
