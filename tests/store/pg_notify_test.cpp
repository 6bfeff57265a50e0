// Several nodes on one PostgreSQL database hear each other's changes through LISTEN/NOTIFY,
// and a lost listener connection flushes everything.
#include <gtest/gtest.h>

#include <chrono>
#include <condition_variable>
#include <thread>

#include "test_store.h"

namespace gh::store {
namespace {

struct Recorder {
  std::mutex mu;
  std::condition_variable cv;
  std::vector<Change> changes;
  void attach(Store& s) {
    s.changes().subscribe([this](const Change& c) {
      std::lock_guard lock(mu);
      changes.push_back(c);
      cv.notify_all();
    });
  }
  bool wait_for(const std::function<bool(const Change&)>& pred, std::chrono::milliseconds d) {
    std::unique_lock lock(mu);
    return cv.wait_for(lock, d, [&] {
      for (const auto& c : changes) {
        if (pred(c)) return true;
      }
      return false;
    });
  }
  void clear() {
    std::lock_guard lock(mu);
    changes.clear();
  }
};

TEST(PostgresNotify, OtherNodeHearsCommittedChangesWithinOneSecond) {
  testing::TestStore node_a(Backend::postgres);
  auto node_b = node_a.open_another();
  Recorder b;
  b.attach(*node_b);
  // Wait until B's listener is up (it announces itself with a flush).
  ASSERT_TRUE(b.wait_for([](const Change& c) { return c.flush_all(); }, std::chrono::seconds(5)));

  const auto t0 = std::chrono::steady_clock::now();
  auto r = node_a->transact<Environment>([](Repositories& repos) {
    auto e = repos.environments().create({.name = "production", .kind = "production"});
    if (e) repos.changed("environment", "production");
    return e;
  });
  ASSERT_TRUE(r);
  ASSERT_TRUE(
      b.wait_for([](const Change& c) { return c.topic == "environment" && c.key == "production"; },
                 std::chrono::seconds(1)));
  EXPECT_LT(std::chrono::steady_clock::now() - t0, std::chrono::seconds(1));

  // Rolled back: nobody hears it.
  (void)node_a->transact<bool>([](Repositories& repos) -> Result<bool> {
    repos.changed("environment", "ghost");
    return fail(errc::RequestInvalidField);
  });
  EXPECT_FALSE(
      b.wait_for([](const Change& c) { return c.key == "ghost"; }, std::chrono::milliseconds(300)));
}

TEST(PostgresNotify, KilledListenerConnectionFlushesAndReconnects) {
  testing::TestStore node_a(Backend::postgres);
  auto node_b = node_a.open_another();
  Recorder b;
  b.attach(*node_b);
  ASSERT_TRUE(b.wait_for([](const Change& c) { return c.flush_all(); }, std::chrono::seconds(5)));
  b.clear();

  const std::string db = node_a.url().substr(node_a.url().rfind('/') + 1);
  testing::postgres_exec(testing::postgres_admin_url(),
                         "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE "
                         "application_name = 'gatehouse-listener' AND datname = '" +
                             db + "'");
  // Loss → flush_all; reconnect → flush_all again; then notifications flow again.
  ASSERT_TRUE(b.wait_for([](const Change& c) { return c.flush_all(); }, std::chrono::seconds(5)));
  bool delivered = false;
  for (int i = 0; i < 50 && !delivered; ++i) {
    auto name = "env-" + std::to_string(i);
    ASSERT_TRUE(node_a->transact<Environment>([&](Repositories& repos) {
      auto e = repos.environments().create({.name = name});
      if (e) repos.changed("environment", name);
      return e;
    }));
    delivered =
        b.wait_for([&](const Change& c) { return c.key == name; }, std::chrono::milliseconds(200));
  }
  EXPECT_TRUE(delivered);
}

}  // namespace
}  // namespace gh::store
