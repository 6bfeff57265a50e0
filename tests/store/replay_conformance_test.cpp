// Conformance of the one-time-use JWT marks (issue 7: client-assertion and DPoP-proof jtis) on
// both backends: a mark is accepted once until it expires, concurrent marks have one winner,
// and the same key in another organization, environment or kind is a different mark.
#include <gtest/gtest.h>

#include <atomic>
#include <thread>

#include "test_store.h"

namespace gh::store {
namespace {

class ReplayConformance : public ::testing::TestWithParam<Backend> {
 protected:
  ReplayConformance() : store_(GetParam(), &clock_) {}
  Result<bool> mark(const std::string& env, const std::string& org, const std::string& kind,
                    const std::string& key, int64_t expires_at_ms) {
    return store_->transact<bool>([&](Repositories& r) {
      return r.replays().mark_once({env, org, kind, key, expires_at_ms}, clock_.now_ms());
    });
  }
  bool marked(const std::string& env, const std::string& org, const std::string& kind,
              const std::string& key) {
    return *store_->read<bool>([&](Repositories& r) {
      return r.replays().is_marked(env, org, kind, key, clock_.now_ms());
    });
  }
  FakeClock clock_;
  testing::TestStore store_;
};

TEST_P(ReplayConformance, AMarkIsAcceptedOnceUntilItExpires) {
  const int64_t exp = clock_.now_ms() + 60'000;
  auto first = mark("env-a", "", "client_assertion", "k1", exp);
  ASSERT_TRUE(first) << first.error().text();
  EXPECT_TRUE(*first);
  EXPECT_FALSE(*mark("env-a", "", "client_assertion", "k1", exp));
  EXPECT_TRUE(marked("env-a", "", "client_assertion", "k1"));
  // At the expiry instant the mark no longer protects anything and may be taken again.
  clock_.advance(std::chrono::milliseconds(60'000));
  EXPECT_FALSE(marked("env-a", "", "client_assertion", "k1"));
  EXPECT_TRUE(*mark("env-a", "", "client_assertion", "k1", clock_.now_ms() + 60'000));
  EXPECT_FALSE(*mark("env-a", "", "client_assertion", "k1", clock_.now_ms() + 60'000));
}

TEST_P(ReplayConformance, OtherOrganizationsEnvironmentsAndKindsAreApart) {
  const int64_t exp = clock_.now_ms() + 60'000;
  ASSERT_TRUE(*mark("env-a", "org-acme", "dpop", "k", exp));
  // Cross-tenant probes: the same key elsewhere is not seen as a replay, and is not visible.
  EXPECT_FALSE(marked("env-a", "org-globex", "dpop", "k"));
  EXPECT_FALSE(marked("env-b", "org-acme", "dpop", "k"));
  EXPECT_FALSE(marked("env-a", "", "dpop", "k"));
  EXPECT_FALSE(marked("env-a", "org-acme", "client_assertion", "k"));
  EXPECT_TRUE(*mark("env-a", "org-globex", "dpop", "k", exp));
  EXPECT_TRUE(*mark("env-b", "org-acme", "dpop", "k", exp));
  EXPECT_TRUE(*mark("env-a", "org-acme", "client_assertion", "k", exp));
  // And the original is still a replay in its own tenant.
  EXPECT_FALSE(*mark("env-a", "org-acme", "dpop", "k", exp));
}

TEST_P(ReplayConformance, PurgeDropsOnlyExpiredMarks) {
  ASSERT_TRUE(*mark("env-a", "", "dpop", "short", clock_.now_ms() + 1'000));
  ASSERT_TRUE(*mark("env-a", "", "dpop", "long", clock_.now_ms() + 120'000));
  clock_.advance(std::chrono::milliseconds(5'000));
  auto n = store_->transact<int>(
      [&](Repositories& r) { return r.replays().purge_expired(clock_.now_ms()); });
  ASSERT_TRUE(n) << n.error().text();
  EXPECT_EQ(*n, 1);
  EXPECT_TRUE(marked("env-a", "", "dpop", "long"));
  EXPECT_FALSE(*mark("env-a", "", "dpop", "long", clock_.now_ms() + 120'000));
}

TEST_P(ReplayConformance, ConcurrentMarksOnTwoNodesHaveExactlyOneWinner) {
  const int64_t exp = clock_.now_ms() + 60'000;
  auto second = store_.open_another();  // another node on the same database
  std::atomic<int> wins{0};
  std::vector<std::thread> threads;
  for (int i = 0; i < 4; ++i) {
    threads.emplace_back([&, i] {
      Store& s = (i % 2 == 0) ? *store_ : *second;
      auto r = s.transact<bool>([&](Repositories& repos) {
        return repos.replays().mark_once({"env-a", "", "client_assertion", "race", exp},
                                         clock_.now_ms());
      });
      if (r && *r) ++wins;
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(wins.load(), 1);
  // The other node sees the mark.
  EXPECT_FALSE(*second->transact<bool>([&](Repositories& repos) {
    return repos.replays().mark_once({"env-a", "", "client_assertion", "race", exp},
                                     clock_.now_ms());
  }));
}

INSTANTIATE_TEST_SUITE_P(Sqlite, ReplayConformance, ::testing::Values(Backend::sqlite));
INSTANTIATE_TEST_SUITE_P(Postgres, ReplayConformance, ::testing::Values(Backend::postgres));

}  // namespace
}  // namespace gh::store
