// Stores for tests: a fresh SQLite file, or a fresh database on the throwaway PostgreSQL
// cluster that `make test` starts (GATEHOUSE_TEST_PG). Each call gets its own, dropped after.
#pragma once

#include <chrono>
#include <memory>
#include <string>

#include <gtest/gtest.h>

#include "store/store.h"

namespace gh::testing {

class TempDir {
 public:
  TempDir();
  ~TempDir();
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

// The PostgreSQL URL `make test` exported, or fails the test (never silently skipped).
std::string postgres_admin_url();

class TestStore {
 public:
  // Opens (and migrates) a fresh store on `backend`.
  explicit TestStore(store::Backend backend, const Clock* clock = &SystemClock::instance());
  ~TestStore();
  store::Store& operator*() { return *store_; }
  store::Store* operator->() { return store_.get(); }
  const std::string& url() const { return url_; }
  // Another handle on the same database (as a second node would have).
  std::unique_ptr<store::Store> open_another() const;

  // Waits until every transaction that committed before the call is readable through the
  // outbox; fails (with the horizon it waited for) after `timeout`. Call it between writing
  // events and reading them back: `ASSERT_TRUE(store_.wait_until_outbox_readable());`.
  // PostgreSQL: outbox reads stop below pg_snapshot_xmin, the oldest transaction still
  // running anywhere in the cluster (transaction ids and snapshots are cluster-wide, not per
  // database), so a transaction another test holds open in its own database on the shared
  // throwaway cluster hides rows this test has just committed until it ends. SQLite commits
  // one writer at a time in order: returns at once.
  ::testing::AssertionResult wait_until_outbox_readable(
      std::chrono::milliseconds timeout = std::chrono::seconds(5)) const;

 private:
  store::Backend backend_;
  std::unique_ptr<TempDir> dir_;
  std::string database_;
  std::string url_;
  const Clock* clock_;
  std::unique_ptr<store::Store> store_;
};

// Runs one SQL statement on the admin database (CREATE/DROP DATABASE, pg_terminate_backend).
void postgres_exec(const std::string& url, const std::string& sql);

}  // namespace gh::testing
