// Conformance of the SAML assertion-ID ledger on both backends: the first use is recorded, a
// second use is a replay until the record expires, and other organizations', environments' and
// connections' IDs are separate namespaces (a use there is a first use).
#include <gtest/gtest.h>

#include "test_store.h"

namespace gh::store {
namespace {

class SamlAssertionConformance : public ::testing::TestWithParam<Backend> {
 protected:
  SamlAssertionConformance() : store_(GetParam(), &clock_) {}
  Result<bool> use(const std::string& org, const std::string& env, const std::string& conn,
                   const std::string& id, int64_t expires, int64_t now) {
    return store_->transact<bool>([&](Repositories& r) {
      return r.saml_assertions().record_use({org, env, conn, id, expires}, now);
    });
  }
  FakeClock clock_;
  testing::TestStore store_;
};

TEST_P(SamlAssertionConformance, FirstUseThenReplayUntilExpiry) {
  auto first = use("org-a", "env-a", "conn-1", "_a1", 2000, 1000);
  ASSERT_TRUE(first) << first.error().text();
  EXPECT_TRUE(*first);
  auto replay = use("org-a", "env-a", "conn-1", "_a1", 2000, 1500);
  ASSERT_TRUE(replay);
  EXPECT_FALSE(*replay);
  // Other tenants, environments and connections: separate namespaces.
  EXPECT_TRUE(*use("org-b", "env-a", "conn-1", "_a1", 2000, 1500));
  EXPECT_TRUE(*use("org-a", "env-b", "conn-1", "_a1", 2000, 1500));
  EXPECT_TRUE(*use("org-a", "env-a", "conn-2", "_a1", 2000, 1500));
  // At its expiry the record no longer blocks (the assertion's own window has closed).
  EXPECT_TRUE(*use("org-a", "env-a", "conn-1", "_a1", 3000, 2000));
  EXPECT_FALSE(*use("org-a", "env-a", "conn-1", "_a1", 3000, 2500));
}

TEST_P(SamlAssertionConformance, PurgeDropsOnlyExpired) {
  ASSERT_TRUE(*use("org-a", "env-a", "conn-1", "_x", 1000, 500));
  ASSERT_TRUE(*use("org-a", "env-a", "conn-1", "_y", 5000, 500));
  auto purged = store_->transact<int64_t>(
      [&](Repositories& r) { return r.saml_assertions().purge_expired(1000); });
  ASSERT_TRUE(purged);
  EXPECT_EQ(*purged, 1);
  EXPECT_FALSE(*use("org-a", "env-a", "conn-1", "_y", 5000, 1200));
}

INSTANTIATE_TEST_SUITE_P(Sqlite, SamlAssertionConformance, ::testing::Values(Backend::sqlite));
INSTANTIATE_TEST_SUITE_P(Postgres, SamlAssertionConformance, ::testing::Values(Backend::postgres));

}  // namespace
}  // namespace gh::store
