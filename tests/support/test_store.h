// Stores for tests: a fresh SQLite file, or a fresh database on the throwaway PostgreSQL
// cluster that `make test` starts (GATEHOUSE_TEST_PG). Each call gets its own, dropped after.
#pragma once

#include <memory>
#include <string>

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
