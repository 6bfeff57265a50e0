// Conformance of the domain repository on both backends: claims, the environment-wide rule
// that one organization holds a verified domain, the discovery lookup, scheduling, and
// isolation (other organizations' and environments' ids answer not-found).
#include <gtest/gtest.h>

#include "tenancy/error_codes.h"
#include "test_store.h"

namespace gh::store {
namespace {

class DomainConformance : public ::testing::TestWithParam<Backend> {
 protected:
  DomainConformance() : store_(GetParam(), &clock_) {
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
  Result<Domain> add(const Organization& org, const std::string& name, int64_t next = 0) {
    return store_->transact<Domain>([&](Repositories& r) {
      Domain d;
      d.environment_id = org.environment_id;
      d.organization_id = org.id;
      d.name = name;
      d.token = "tok-" + org.slug;
      d.next_check_at_ms = next;
      return r.domains().create(d);
    });
  }
  Result<Domain> verify(const Organization& org, const std::string& name) {
    return store_->transact<Domain>([&](Repositories& r) {
      return r.domains().mark_verified(org.environment_id, org.id, name, clock_.now_ms(),
                                       clock_.now_ms() + 1000);
    });
  }
  Result<std::optional<Domain>> discover(const Environment& env, const std::string& name) {
    return store_->read<std::optional<Domain>>(
        [&](Repositories& r) { return r.domains().find_verified(env.id, name); });
  }
  FakeClock clock_;
  testing::TestStore store_;
  Environment env_a_, env_b_;
  Organization acme_, globex_, acme_b_;
};

TEST_P(DomainConformance, ClaimReadListAndIsolation) {
  auto d = add(acme_, "acme.example");
  ASSERT_TRUE(d) << d.error().text();
  EXPECT_EQ(d->state, "pending");
  EXPECT_FALSE(d->id.empty());
  EXPECT_EQ(d->created_at_ms, clock_.now_ms());
  ASSERT_TRUE(add(acme_, "acme.test"));

  auto dup = add(acme_, "acme.example");
  ASSERT_FALSE(dup);
  EXPECT_EQ(dup.error().code, errc::DomainAlreadyAdded);

  auto got = store_->read<Domain>(
      [&](Repositories& r) { return r.domains().get(env_a_.id, acme_.id, "acme.example"); });
  ASSERT_TRUE(got);
  EXPECT_EQ(got->token, "tok-acme");
  auto list = store_->read<std::vector<Domain>>(
      [&](Repositories& r) { return r.domains().list(env_a_.id, acme_.id); });
  ASSERT_TRUE(list);
  ASSERT_EQ(list->size(), 2u);
  EXPECT_EQ((*list)[0].name, "acme.example");  // ordered by name
  EXPECT_EQ((*list)[1].name, "acme.test");

  // Another organization's id, another environment's id: not found, nothing listed or removed.
  for (auto [env, org] : {std::pair{env_a_.id, globex_.id}, std::pair{env_b_.id, acme_.id},
                          std::pair{env_b_.id, acme_b_.id}}) {
    auto other = store_->read<Domain>(
        [&](Repositories& r) { return r.domains().get(env, org, "acme.example"); });
    ASSERT_FALSE(other);
    EXPECT_EQ(other.error().code, errc::DomainNotFound);
    auto none = store_->read<std::vector<Domain>>(
        [&](Repositories& r) { return r.domains().list(env, org); });
    ASSERT_TRUE(none);
    EXPECT_TRUE(none->empty());
    auto rm = store_->transact<Domain>(
        [&](Repositories& r) { return r.domains().remove(env, org, "acme.example"); });
    ASSERT_FALSE(rm);
    EXPECT_EQ(rm.error().code, errc::DomainNotFound);
    auto v = store_->transact<Domain>(
        [&](Repositories& r) { return r.domains().mark_verified(env, org, "acme.example", 1, 2); });
    ASSERT_FALSE(v);
    EXPECT_EQ(v.error().code, errc::DomainNotFound);
    auto c = store_->transact<Domain>([&](Repositories& r) {
      return r.domains().mark_checked(env, org, "acme.example", "failed", "x", 1, 2);
    });
    ASSERT_FALSE(c);
    EXPECT_EQ(c.error().code, errc::DomainNotFound);
  }
  auto still = store_->read<Domain>(
      [&](Repositories& r) { return r.domains().get(env_a_.id, acme_.id, "acme.example"); });
  ASSERT_TRUE(still);
  EXPECT_EQ(still->state, "pending");
}

TEST_P(DomainConformance, OneOrganizationHoldsAVerifiedDomainPerEnvironment) {
  // Two organizations may claim the same name while neither has proved it.
  ASSERT_TRUE(add(acme_, "shared.example"));
  ASSERT_TRUE(add(globex_, "shared.example"));
  EXPECT_FALSE(*discover(env_a_, "shared.example"));

  clock_.advance(std::chrono::milliseconds(5));
  auto v = verify(acme_, "shared.example");
  ASSERT_TRUE(v) << v.error().text();
  EXPECT_EQ(v->state, "verified");
  EXPECT_EQ(v->verified_at_ms, clock_.now_ms());
  EXPECT_EQ(v->last_checked_at_ms, clock_.now_ms());
  EXPECT_EQ(v->next_check_at_ms, clock_.now_ms() + 1000);
  EXPECT_TRUE(v->last_error.empty());
  // Idempotent for the holder.
  ASSERT_TRUE(verify(acme_, "shared.example"));

  // The other organization can neither verify it nor claim it anew.
  auto second = verify(globex_, "shared.example");
  ASSERT_FALSE(second);
  EXPECT_EQ(second.error().code, errc::DomainAlreadyClaimed);
  ASSERT_TRUE(store_->transact<Domain>([&](Repositories& r) {
    return r.domains().remove(env_a_.id, globex_.id, "shared.example");
  }));
  auto again = add(globex_, "shared.example");
  ASSERT_FALSE(again);
  EXPECT_EQ(again.error().code, errc::DomainAlreadyClaimed);

  // Another environment is independent.
  ASSERT_TRUE(add(acme_b_, "shared.example"));
  ASSERT_TRUE(verify(acme_b_, "shared.example"));

  // Discovery: (environment, domain) → the holder; nothing for unknown names.
  auto found = discover(env_a_, "shared.example");
  ASSERT_TRUE(found);
  ASSERT_TRUE(found->has_value());
  EXPECT_EQ((*found)->organization_id, acme_.id);
  auto found_b = discover(env_b_, "shared.example");
  ASSERT_TRUE(found_b && found_b->has_value());
  EXPECT_EQ((*found_b)->organization_id, acme_b_.id);
  EXPECT_FALSE(*discover(env_a_, "unknown.example"));

  // Failing releases the claim: discovery forgets it and the other organization may claim it.
  auto failed = store_->transact<Domain>([&](Repositories& r) {
    return r.domains().mark_checked(env_a_.id, acme_.id, "shared.example", "failed", "record gone",
                                    clock_.now_ms(), clock_.now_ms() + 1000);
  });
  ASSERT_TRUE(failed);
  EXPECT_EQ(failed->state, "failed");
  EXPECT_EQ(failed->last_error, "record gone");
  EXPECT_FALSE(*discover(env_a_, "shared.example"));
  ASSERT_TRUE(add(globex_, "shared.example"));
  ASSERT_TRUE(verify(globex_, "shared.example"));
  auto now_globex = discover(env_a_, "shared.example");
  ASSERT_TRUE(now_globex && now_globex->has_value());
  EXPECT_EQ((*now_globex)->organization_id, globex_.id);
  auto back = verify(acme_, "shared.example");
  ASSERT_FALSE(back);
  EXPECT_EQ(back.error().code, errc::DomainAlreadyClaimed);

  // Removing releases it too.
  ASSERT_TRUE(store_->transact<Domain>([&](Repositories& r) {
    return r.domains().remove(env_a_.id, globex_.id, "shared.example");
  }));
  EXPECT_FALSE(*discover(env_a_, "shared.example"));
  ASSERT_TRUE(verify(acme_, "shared.example"));
}

TEST_P(DomainConformance, TakeDueHandsEachDueDomainOutOnce) {
  const int64_t now = clock_.now_ms();
  ASSERT_TRUE(add(acme_, "a.example", now - 10));
  ASSERT_TRUE(add(globex_, "b.example", now));
  ASSERT_TRUE(add(acme_b_, "c.example", now + 10));  // not yet due
  auto due = store_->transact<std::vector<Domain>>(
      [&](Repositories& r) { return r.domains().take_due(now, now + 5000, 10); });
  ASSERT_TRUE(due);
  ASSERT_EQ(due->size(), 2u);
  EXPECT_EQ((*due)[0].name, "a.example");  // most overdue first
  EXPECT_EQ((*due)[1].name, "b.example");
  EXPECT_EQ((*due)[0].next_check_at_ms, now + 5000);
  // A second poller at the same time (another node) gets none of them.
  auto again = store_->transact<std::vector<Domain>>(
      [&](Repositories& r) { return r.domains().take_due(now, now + 5000, 10); });
  ASSERT_TRUE(again);
  EXPECT_TRUE(again->empty());
  auto later = store_->transact<std::vector<Domain>>(
      [&](Repositories& r) { return r.domains().take_due(now + 10, now + 5000, 1); });
  ASSERT_TRUE(later);
  ASSERT_EQ(later->size(), 1u);
  EXPECT_EQ((*later)[0].name, "c.example");
  EXPECT_EQ((*later)[0].organization_id, acme_b_.id);
}

INSTANTIATE_TEST_SUITE_P(Sqlite, DomainConformance, ::testing::Values(Backend::sqlite));
INSTANTIATE_TEST_SUITE_P(Postgres, DomainConformance, ::testing::Values(Backend::postgres));

}  // namespace
}  // namespace gh::store
