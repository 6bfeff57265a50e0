// The store conformance suite: every repository method, run against both backends (ctest
// labels store-sqlite and store-pg). A backend is done when this passes.
#include <gtest/gtest.h>

#include <atomic>
#include <condition_variable>
#include <thread>

#include "store/migrations.h"
#include "test_store.h"

namespace gh::store {
namespace {

using testing::TestStore;

class StoreConformance : public ::testing::TestWithParam<Backend> {
 protected:
  StoreConformance() : store_(GetParam(), &clock_) {}
  FakeClock clock_;
  TestStore store_;

  Result<Environment> create(const std::string& name, const std::string& kind = "sandbox") {
    return store_->transact<Environment>([&](Repositories& r) {
      auto e = r.environments().create({.name = name, .kind = kind});
      if (e) r.changed("environment", name);
      return e;
    });
  }
  Result<Environment> get(const std::string& name) {
    return store_->read<Environment>([&](Repositories& r) { return r.environments().get(name); });
  }
};

TEST_P(StoreConformance, MigrationsAreIdempotentAndCurrent) {
  auto again = store_->migrate();
  ASSERT_TRUE(again) << again.error().text();
  EXPECT_EQ(again->current, latest_migration());
  auto status = store_->migration_status();
  ASSERT_TRUE(status);
  EXPECT_TRUE(status->up_to_date());
  EXPECT_GE(status->latest, 1);
}

TEST_P(StoreConformance, PingAndBackend) {
  EXPECT_TRUE(store_->ping());
  EXPECT_EQ(store_->backend(), GetParam());
}

TEST_P(StoreConformance, EnvironmentCreateGetList) {
  auto created = create("production", "production");
  ASSERT_TRUE(created) << created.error().text();
  EXPECT_EQ(created->version, 1);
  EXPECT_EQ(created->display_name, "production");
  EXPECT_EQ(created->created_at_ms, clock_.now_ms());
  EXPECT_EQ(created->id.size(), 36u);
  ASSERT_TRUE(create("sandbox"));

  auto got = get("production");
  ASSERT_TRUE(got);
  EXPECT_EQ(got->id, created->id);
  EXPECT_EQ(got->kind, "production");

  auto list = store_->read<std::vector<Environment>>(
      [](Repositories& r) { return r.environments().list(); });
  ASSERT_TRUE(list);
  ASSERT_EQ(list->size(), 2u);
  EXPECT_EQ((*list)[0].name, "production");
  EXPECT_EQ((*list)[1].name, "sandbox");
}

TEST_P(StoreConformance, EnvironmentGetUnknownIsNotFound) {
  auto got = get("nowhere");
  ASSERT_FALSE(got);
  EXPECT_EQ(got.error().code, errc::EnvironmentNotFound);
}

TEST_P(StoreConformance, EnvironmentDuplicateNameIsRefusedAndTransactionStaysUsable) {
  ASSERT_TRUE(create("sandbox"));
  // Within one transaction: the duplicate fails, the next statement still works (on
  // PostgreSQL an unhandled unique violation would abort the whole transaction).
  auto r = store_->transact<bool>([&](Repositories& repos) -> Result<bool> {
    auto dup = repos.environments().create({.name = "sandbox"});
    EXPECT_FALSE(dup);
    if (!dup) {
      EXPECT_EQ(dup.error().code, errc::EnvironmentAlreadyExists);
    }
    auto other = repos.environments().create({.name = "staging"});
    EXPECT_TRUE(other);
    return true;
  });
  ASSERT_TRUE(r) << r.error().text();
  EXPECT_TRUE(get("staging"));
}

TEST_P(StoreConformance, EnvironmentInvalidNamesAreRefused) {
  for (const std::string& bad :
       std::vector<std::string>{"", "Sandbox", "1abc", "a b", "api", "healthz", "x/y",
                                std::string(33, 'a'), "dots.no"}) {
    auto r = create(bad);
    ASSERT_FALSE(r) << bad;
    EXPECT_EQ(r.error().code, errc::EnvironmentInvalidName) << bad;
  }
}

TEST_P(StoreConformance, EnvironmentUpdateWithOptimisticConcurrency) {
  auto created = create("sandbox");
  ASSERT_TRUE(created);
  clock_.advance(std::chrono::seconds(5));
  Environment next = *created;
  next.display_name = "Sandbox (EU)";
  auto updated = store_->transact<Environment>(
      [&](Repositories& r) { return r.environments().update(next, 1); });
  ASSERT_TRUE(updated) << updated.error().text();
  EXPECT_EQ(updated->version, 2);
  EXPECT_EQ(updated->display_name, "Sandbox (EU)");
  EXPECT_EQ(updated->updated_at_ms, clock_.now_ms());
  EXPECT_EQ(updated->created_at_ms, created->created_at_ms);

  // A writer that read version 1 loses.
  next.display_name = "stale";
  auto stale = store_->transact<Environment>(
      [&](Repositories& r) { return r.environments().update(next, 1); });
  ASSERT_FALSE(stale);
  EXPECT_EQ(stale.error().code, errc::RequestPreconditionFailed);
  EXPECT_EQ(get("sandbox")->display_name, "Sandbox (EU)");

  next.name = "missing";
  auto missing = store_->transact<Environment>(
      [&](Repositories& r) { return r.environments().update(next, 1); });
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().code, errc::EnvironmentNotFound);
}

TEST_P(StoreConformance, ErrorRollsBackTheWholeUnitOfWork) {
  auto r = store_->transact<bool>([&](Repositories& repos) -> Result<bool> {
    EXPECT_TRUE(repos.environments().create({.name = "doomed"}));
    return fail(errc::RequestInvalidField, "caller gave up");
  });
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, errc::RequestInvalidField);
  EXPECT_EQ(get("doomed").error().code, errc::EnvironmentNotFound);
}

TEST_P(StoreConformance, ExceptionRollsBack) {
  EXPECT_THROW(store_->transact<bool>([&](Repositories& repos) -> Result<bool> {
    EXPECT_TRUE(repos.environments().create({.name = "doomed"}));
    throw std::runtime_error("boom");
  }),
               std::runtime_error);
  EXPECT_EQ(get("doomed").error().code, errc::EnvironmentNotFound);
  EXPECT_TRUE(create("after"));  // the connection is usable again
}

TEST_P(StoreConformance, ChangesArePublishedAfterCommitOnly) {
  std::vector<Change> seen;
  std::mutex mu;
  store_->changes().subscribe([&](const Change& c) {
    std::lock_guard lock(mu);
    if (!c.flush_all()) seen.push_back(c);
  });
  ASSERT_TRUE(create("sandbox"));
  (void)store_->transact<bool>([&](Repositories& repos) -> Result<bool> {
    repos.changed("environment", "rolled-back");
    return fail(errc::RequestInvalidField);
  });
  std::lock_guard lock(mu);
  // On PostgreSQL our own NOTIFY may also come back through the listener; count distinct.
  bool saw_commit = false;
  for (const auto& c : seen) {
    EXPECT_NE(c.key, "rolled-back");
    if (c.topic == "environment" && c.key == "sandbox") saw_commit = true;
  }
  EXPECT_TRUE(saw_commit);
}

TEST_P(StoreConformance, ConcurrentWritersAllCommit) {
  constexpr int kThreads = 8;
  constexpr int kEach = 10;
  std::vector<std::thread> threads;
  std::atomic<int> failures{0};
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kEach; ++i) {
        auto r = create("env-" + std::to_string(t) + "-" + std::to_string(i));
        if (!r) failures++;
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(failures.load(), 0);
  auto list = store_->read<std::vector<Environment>>(
      [](Repositories& r) { return r.environments().list(); });
  ASSERT_TRUE(list);
  EXPECT_EQ(list->size(), static_cast<size_t>(kThreads * kEach));
  const auto stats = store_->pool_stats();
  EXPECT_EQ(stats.size, 4);
  EXPECT_EQ(stats.in_use, 0);
}

INSTANTIATE_TEST_SUITE_P(Sqlite, StoreConformance, ::testing::Values(Backend::sqlite));
INSTANTIATE_TEST_SUITE_P(Postgres, StoreConformance, ::testing::Values(Backend::postgres));

}  // namespace
}  // namespace gh::store
