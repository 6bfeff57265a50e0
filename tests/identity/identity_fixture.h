// A store (SQLite or PostgreSQL) with two environments and organizations, the tenancy, identity
// and session services on a fake clock, and helpers to set policies, verify domains and count
// what was written. Shared by tests/identity and tests/sessions.
#pragma once

#include <gtest/gtest.h>

#include "identity/identity_service.h"
#include "sessions/session_service.h"
#include "test_store.h"

namespace gh::testing {

class IdentityFixture : public ::testing::TestWithParam<store::Backend> {
 protected:
  IdentityFixture()
      : store_(GetParam(), &clock_),
        tenancy_(*store_, tenancy::SecretHasher(std::string(32, 'p')), clock_),
        identity_(*store_, tenancy_, clock_),
        sessions_(*store_, tenancy::SecretHasher(std::string(32, 'p')), clock_, random_) {
    sandbox_ = make_env("sandbox");
    production_ = make_env("production");
    acme_ = make_org(sandbox_, "acme");
    globex_ = make_org(sandbox_, "globex");
    acme_prod_ = make_org(production_, "acme");
  }

  store::Environment make_env(const std::string& name) {
    return *store_->transact<store::Environment>(
        [&](store::Repositories& r) { return r.environments().create({.name = name}); });
  }
  store::Organization make_org(const store::Environment& env, const std::string& slug) {
    return *store_->transact<store::Organization>([&](store::Repositories& r) {
      return r.organizations().create({.environment_id = env.id, .slug = slug, .name = slug});
    });
  }
  void set_policy(const store::Organization& org, const nlohmann::json& doc) {
    auto saved = store_->transact<store::PolicyDocument>([&](store::Repositories& r) {
      auto current = r.policies().get(org.environment_id, org.id);
      const int64_t v = *current ? (*current)->version : 0;
      return r.policies().put({org.environment_id, org.id, doc, 0, 0}, v);
    });
    ASSERT_TRUE(saved) << saved.error().text();
  }
  void add_domain(const store::Organization& org, const std::string& name, bool verified) {
    auto d = store_->transact<store::Domain>([&](store::Repositories& r) -> Result<store::Domain> {
      store::Domain d;
      d.environment_id = org.environment_id;
      d.organization_id = org.id;
      d.name = name;
      d.token = "t";
      auto created = r.domains().create(d);
      if (!created || !verified) return created;
      return r.domains().mark_verified(org.environment_id, org.id, name, clock_.now_ms(),
                                       clock_.now_ms() + 1000);
    });
    ASSERT_TRUE(d) << d.error().text();
  }
  identity::LoginIdentity login(const store::Organization& org, const std::string& connection,
                                const std::string& subject, const std::string& email) {
    identity::LoginIdentity id;
    id.environment_id = org.environment_id;
    id.organization_id = org.id;
    id.connection_id = connection;
    id.issuer = "https://idp.example/" + connection;
    id.subject = subject;
    id.email = email;
    id.email_verified = true;
    id.name = "Alice Example";
    id.given_name = "Alice";
    id.family_name = "Example";
    id.attributes = {{"department", "R&D"}};
    return id;
  }

  // Everything a login may write, to compare before and after.
  struct Counts {
    size_t users = 0, bindings = 0, audit = 0, outbox = 0, sessions = 0;
    bool operator==(const Counts&) const = default;
  };
  Counts counts(const store::Organization& org) {
    // PostgreSQL: outbox reads stop below the cluster-wide xmin (tests/support/test_store.h).
    EXPECT_TRUE(store_.wait_until_outbox_readable());
    return *store_->read<Counts>([&](store::Repositories& r) -> Result<Counts> {
      Counts c;
      auto users = r.users().list(org.environment_id, org.id, {"", 100});
      c.users = users->items.size();
      for (const auto& u : users->items) {
        c.bindings += r.users().list_bindings(org.environment_id, org.id, u.id)->size();
        c.sessions += r.sessions().list_for_user(org.environment_id, org.id, u.id, 0)->size();
      }
      c.audit = r.audit().list(org.environment_id, org.id, 0, 1000)->size();
      c.outbox = r.outbox().read(org.environment_id, org.id, {}, 1000)->size();
      return c;
    });
  }
  std::vector<store::OutboxEvent> events(const store::Organization& org, const std::string& type) {
    EXPECT_TRUE(store_.wait_until_outbox_readable());
    // Held in a local: a range-for over `*temporary` would outlive the temporary.
    auto all = store_->read<std::vector<store::OutboxEvent>>([&](store::Repositories& r) {
      return r.outbox().read(org.environment_id, org.id, {}, 1000);
    });
    std::vector<store::OutboxEvent> out;
    for (auto& e : *all) {
      if (e.type == type) out.push_back(std::move(e));
    }
    return out;
  }
  std::vector<store::AuditRecord> audit(const store::Organization& org, const std::string& action) {
    auto all = store_->read<std::vector<store::AuditRecord>>([&](store::Repositories& r) {
      return r.audit().list(org.environment_id, org.id, 0, 1000);
    });
    std::vector<store::AuditRecord> out;
    for (auto& a : *all) {
      if (a.action == action) out.push_back(std::move(a));
    }
    return out;
  }
  store::User user(const store::Organization& org, const std::string& id) {
    return *store_->read<store::User>(
        [&](store::Repositories& r) { return r.users().get(org.environment_id, org.id, id); });
  }

  FakeClock clock_;
  SeededRandom random_{42};
  TestStore store_;
  tenancy::TenancyService tenancy_;
  identity::IdentityService identity_;
  sessions::SessionService sessions_;
  store::Environment sandbox_, production_;
  store::Organization acme_, globex_, acme_prod_;
};

}  // namespace gh::testing
