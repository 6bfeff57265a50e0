// The outbox cursor follows commit order: 8 concurrent writers (some holding their transaction
// open a while and committing late, some rolling back) and a poller following the cursor
// collect exactly the committed set, with no gaps and no duplicates, on both backends. On
// PostgreSQL a sequence value taken by a late committer is below values already read; a reader
// ordering by seq alone would skip it (the test shows the cursor does not).
#include <gtest/gtest.h>

#include <atomic>
#include <cstdio>
#include <mutex>
#include <set>
#include <thread>

#include "test_store.h"

namespace gh::store {
namespace {

using testing::TestStore;

class OutboxCommitOrder : public ::testing::TestWithParam<Backend> {
 protected:
  OutboxCommitOrder() : store_(GetParam()) {
    env_ = *store_->transact<Environment>(
        [&](Repositories& r) { return r.environments().create({.name = "events"}); });
  }
  TestStore store_;
  Environment env_;
};

TEST_P(OutboxCommitOrder, EightWritersAndAPollerSeeExactlyTheCommittedSet) {
  constexpr int kWriters = 8;
  constexpr int kTxPerWriter = 30;
  std::mutex mu;
  std::set<std::string> committed;
  std::atomic<int> done{0};
  std::atomic<int> late{0}, rolled_back{0};

  auto writer = [&](int w) {
    for (int i = 0; i < kTxPerWriter; ++i) {
      const bool slow = (i + w) % 5 == 0;  // holds the transaction open, commits late
      const bool rollback = (i * 7 + w) % 9 == 0;
      std::vector<std::string> ids;
      auto r = store_->transact<bool>([&](Repositories& repos) -> Result<bool> {
        const int n = 1 + (i + w) % 3;
        for (int k = 0; k < n; ++k) {
          OutboxEvent e;
          e.environment_id = env_.id;
          e.organization_id = (w % 2) ? "org-odd" : "";
          e.type = "test.written";
          e.payload = {{"writer", w}, {"tx", i}, {"n", k}};
          auto out = repos.outbox().enqueue(e);
          if (!out) return fail(out.error());
          ids.push_back(out->id);
          // Take the sequence value first, then wait: others commit higher values meanwhile.
          if (slow && k == 0) std::this_thread::sleep_for(std::chrono::milliseconds(40));
        }
        if (rollback) return fail(errc::RequestInvalidField, "roll back on purpose");
        return true;
      });
      if (r) {
        std::lock_guard lock(mu);
        committed.insert(ids.begin(), ids.end());
        if (slow) late++;
      } else {
        ASSERT_EQ(r.error().code, errc::RequestInvalidField) << r.error().text();
        rolled_back++;
      }
    }
    done++;
  };

  std::vector<std::string> seen;
  int polls = 0;
  auto poller = [&] {
    OutboxCursor cursor;
    bool drained = false;
    for (;;) {
      const bool writers_done = done.load() == kWriters;
      auto page = store_->read<std::vector<OutboxEvent>>(
          [&](Repositories& r) { return r.outbox().read(env_.id, "", cursor, 7); });
      ASSERT_TRUE(page) << page.error().text();
      ++polls;
      for (const auto& e : *page) seen.push_back(e.id);
      if (!page->empty()) {
        // Through the encoded form, as a client would.
        auto next = OutboxCursor::decode(OutboxCursor{page->back().tx, page->back().seq}.encode());
        ASSERT_TRUE(next);
        cursor = *next;
      } else if (writers_done) {
        // Every writer has finished; once everything they committed is readable (on
        // PostgreSQL another database's transaction may hold the cluster's xmin back a
        // moment), read until empty once more, then stop.
        if (drained) return;
        ASSERT_TRUE(store_.wait_until_outbox_readable());
        drained = true;
      } else {
        std::this_thread::sleep_for(std::chrono::milliseconds(2));
      }
    }
  };

  std::thread poll(poller);
  std::vector<std::thread> writers;
  for (int w = 0; w < kWriters; ++w) writers.emplace_back(writer, w);
  for (auto& t : writers) t.join();
  poll.join();

  std::set<std::string> unique(seen.begin(), seen.end());
  EXPECT_EQ(unique.size(), seen.size()) << "duplicates";
  EXPECT_EQ(unique, committed) << "gaps or phantoms";
  EXPECT_GT(late.load(), 0);
  EXPECT_GT(rolled_back.load(), 0);
  EXPECT_GT(polls, 10);
  RecordProperty("committed", static_cast<int>(committed.size()));
  std::printf(
      "committed %zu events in %d transactions (%d late, %d rolled back); poller saw %zu "
      "in %d polls\n",
      committed.size(), kWriters * kTxPerWriter - rolled_back.load(), late.load(),
      rolled_back.load(), seen.size(), polls);

  // An organization's view is the same order restricted to its events.
  std::vector<std::string> odd;
  OutboxCursor c;
  for (;;) {
    auto page = store_->read<std::vector<OutboxEvent>>(
        [&](Repositories& r) { return r.outbox().read(env_.id, "org-odd", c, 50); });
    ASSERT_TRUE(page);
    if (page->empty()) break;
    for (const auto& e : *page) {
      EXPECT_EQ(e.organization_id, "org-odd");
      odd.push_back(e.id);
    }
    c = {page->back().tx, page->back().seq};
  }
  std::vector<std::string> odd_in_order;
  std::vector<std::string> all;
  OutboxCursor c2;
  for (;;) {
    auto page = store_->read<std::vector<OutboxEvent>>(
        [&](Repositories& r) { return r.outbox().read(env_.id, "", c2, 1000); });
    ASSERT_TRUE(page);
    if (page->empty()) break;
    for (const auto& e : *page) {
      if (e.organization_id == "org-odd") odd_in_order.push_back(e.id);
    }
    c2 = {page->back().tx, page->back().seq};
  }
  EXPECT_EQ(odd, odd_in_order);
}

TEST_P(OutboxCommitOrder, AReadWaitsForAnOlderOpenTransaction) {
  // A transaction that enqueued first but has not committed hides later commits from readers
  // (PostgreSQL), or keeps them from happening (SQLite's one writer): either way a reader never
  // moves past it.
  std::atomic<bool> enqueued{false}, release{false};
  std::string late_id;
  std::thread slow([&] {
    auto r = store_->transact<bool>([&](Repositories& repos) -> Result<bool> {
      auto e = repos.outbox().enqueue({.environment_id = env_.id, .type = "test.late"});
      late_id = e->id;
      enqueued = true;
      while (!release) std::this_thread::sleep_for(std::chrono::milliseconds(1));
      return true;
    });
    ASSERT_TRUE(r);
  });
  while (!enqueued) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  if (GetParam() == Backend::postgres) {
    auto fast = store_->transact<OutboxEvent>([&](Repositories& repos) {
      return repos.outbox().enqueue({.environment_id = env_.id, .type = "test.fast"});
    });
    ASSERT_TRUE(fast);
    auto page = store_->read<std::vector<OutboxEvent>>(
        [&](Repositories& r) { return r.outbox().read(env_.id, "", {}, 10); });
    ASSERT_TRUE(page);
    EXPECT_TRUE(page->empty()) << "a later commit was readable before an older open one";
  }
  release = true;
  slow.join();
  ASSERT_TRUE(store_.wait_until_outbox_readable());
  auto page = store_->read<std::vector<OutboxEvent>>(
      [&](Repositories& r) { return r.outbox().read(env_.id, "", {}, 10); });
  ASSERT_TRUE(page);
  ASSERT_FALSE(page->empty());
  EXPECT_EQ(page->front().id, late_id);
}

TEST_P(OutboxCommitOrder, ConsumerPositionsPersist) {
  auto start = store_->transact<OutboxCursor>(
      [&](Repositories& r) { return r.outbox().consumer_position("webhooks:x", true); });
  ASSERT_TRUE(start);
  EXPECT_EQ(start->tx, 0);
  EXPECT_EQ(start->seq, 0);
  ASSERT_TRUE(store_->transact<bool>([&](Repositories& r) {
    return r.outbox().save_consumer_position("webhooks:x", {5, 9});
  }));
  auto other = store_.open_another();
  auto got = other->read<OutboxCursor>(
      [&](Repositories& r) { return r.outbox().consumer_position("webhooks:x", false); });
  ASSERT_TRUE(got);
  EXPECT_EQ(got->tx, 5);
  EXPECT_EQ(got->seq, 9);
  // A rolled-back move is not kept.
  (void)store_->transact<bool>([&](Repositories& r) -> Result<bool> {
    (void)r.outbox().save_consumer_position("webhooks:x", {6, 1});
    return fail(errc::RequestInvalidField, "no");
  });
  got = store_->read<OutboxCursor>(
      [&](Repositories& r) { return r.outbox().consumer_position("webhooks:x", false); });
  EXPECT_EQ(got->tx, 5);
}

TEST_P(OutboxCommitOrder, BadCursorsAreRefused) {
  for (const char* bad : {"!!", "bm9kb3Q", "MS4y.", "LTEuMg", "YS5i"}) {
    auto c = OutboxCursor::decode(bad);
    ASSERT_FALSE(c) << bad;
    EXPECT_EQ(c.error().code, errc::RequestInvalidParameter);
  }
  auto c = OutboxCursor::decode(OutboxCursor{12, 34}.encode());
  ASSERT_TRUE(c);
  EXPECT_EQ(c->tx, 12);
  EXPECT_EQ(c->seq, 34);
}

INSTANTIATE_TEST_SUITE_P(Sqlite, OutboxCommitOrder, ::testing::Values(Backend::sqlite));
INSTANTIATE_TEST_SUITE_P(Postgres, OutboxCommitOrder, ::testing::Values(Backend::postgres));

}  // namespace
}  // namespace gh::store
