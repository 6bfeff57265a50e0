#include "test_store.h"

#include <gtest/gtest.h>
#include <libpq-fe.h>
#include <stdlib.h>

#include <filesystem>
#include <memory>
#include <optional>
#include <stdexcept>
#include <thread>

#include "core/random.h"

namespace gh::testing {

TempDir::TempDir() {
  std::string tmpl = (std::filesystem::temp_directory_path() / "gatehouse-test.XXXXXX").string();
  if (!mkdtemp(tmpl.data())) throw std::runtime_error("mkdtemp failed");
  path_ = tmpl;
}

TempDir::~TempDir() {
  std::error_code ec;
  std::filesystem::remove_all(path_, ec);
}

std::string postgres_admin_url() {
  const char* url = getenv("GATEHOUSE_TEST_PG");
  if (!url || !*url) {
    ADD_FAILURE() << "GATEHOUSE_TEST_PG is not set: run the tests with `make test`, which "
                     "starts a throwaway PostgreSQL cluster";
    throw std::runtime_error("GATEHOUSE_TEST_PG not set");
  }
  return url;
}

void postgres_exec(const std::string& url, const std::string& sql) {
  PGconn* conn = PQconnectdb(url.c_str());
  if (PQstatus(conn) != CONNECTION_OK) {
    std::string msg = PQerrorMessage(conn);
    PQfinish(conn);
    throw std::runtime_error("cannot connect to test PostgreSQL: " + msg);
  }
  PGresult* res = PQexec(conn, sql.c_str());
  const auto status = PQresultStatus(res);
  std::string msg = PQerrorMessage(conn);
  PQclear(res);
  PQfinish(conn);
  if (status != PGRES_COMMAND_OK && status != PGRES_TUPLES_OK) {
    throw std::runtime_error(sql + ": " + msg);
  }
}

namespace {
std::string with_database(const std::string& admin_url, const std::string& db) {
  const size_t slash = admin_url.rfind('/');
  return admin_url.substr(0, slash + 1) + db;
}
}  // namespace

TestStore::TestStore(store::Backend backend, const Clock* clock)
    : backend_(backend), clock_(clock) {
  if (backend == store::Backend::sqlite) {
    dir_ = std::make_unique<TempDir>();
    url_ = "sqlite:" + dir_->path() + "/gatehouse.db";
  } else {
    const std::string admin = postgres_admin_url();
    database_ = "gh_test_" + SecureRandom::instance().hex(6);
    postgres_exec(admin, "CREATE DATABASE " + database_);
    url_ = with_database(admin, database_);
  }
  store_ = open_another();
  auto migrated = store_->migrate();
  if (!migrated) throw std::runtime_error("migrate: " + migrated.error().text());
}

std::unique_ptr<store::Store> TestStore::open_another() const {
  store::StoreOptions options;
  options.url = url_;
  options.pool_size = 4;
  options.clock = clock_;
  options.sqlite_synchronous = "normal";
  auto s = store::open_store(options);
  if (!s) throw std::runtime_error("open_store: " + s.error().text() + " " + s.error().detail);
  return std::move(*s);
}

namespace {
// One bigint from `sql` on `conn`, or nullopt with the reason in `error`.
std::optional<long long> query_bigint(PGconn* conn, const char* sql, std::string& error) {
  PGresult* res = PQexec(conn, sql);
  std::optional<long long> out;
  if (PQresultStatus(res) == PGRES_TUPLES_OK && PQntuples(res) == 1) {
    out = std::stoll(PQgetvalue(res, 0, 0));
  } else {
    error = PQerrorMessage(conn);
  }
  PQclear(res);
  return out;
}
}  // namespace

::testing::AssertionResult TestStore::wait_until_outbox_readable(
    std::chrono::milliseconds timeout) const {
  if (backend_ != store::Backend::postgres) return ::testing::AssertionSuccess();
  PGconn* conn = PQconnectdb(url_.c_str());
  std::unique_ptr<PGconn, void (*)(PGconn*)> guard(conn, PQfinish);
  if (PQstatus(conn) != CONNECTION_OK) {
    return ::testing::AssertionFailure() << "cannot connect: " << PQerrorMessage(conn);
  }
  std::string error;
  // Every transaction id below xmax had started before this call; once the cluster's xmin
  // reaches it, all of them have ended and their outbox rows pass the reader's `tx < xmin`.
  const auto horizon =
      query_bigint(conn, "SELECT pg_snapshot_xmax(pg_current_snapshot())::text::bigint", error);
  if (!horizon) return ::testing::AssertionFailure() << error;
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  long long xmin = 0;
  for (;;) {
    // Each statement outside a transaction block takes a fresh snapshot (and no xid).
    const auto now_xmin =
        query_bigint(conn, "SELECT pg_snapshot_xmin(pg_current_snapshot())::text::bigint", error);
    if (!now_xmin) return ::testing::AssertionFailure() << error;
    xmin = *now_xmin;
    if (xmin >= *horizon) return ::testing::AssertionSuccess();
    if (std::chrono::steady_clock::now() > deadline) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return ::testing::AssertionFailure()
         << "the outbox stayed behind for " << timeout.count() << " ms: cluster xmin " << xmin
         << " < horizon " << *horizon << " (a transaction is still open somewhere in the cluster)";
}

TestStore::~TestStore() {
  store_.reset();
  if (backend_ == store::Backend::postgres) {
    try {
      postgres_exec(postgres_admin_url(), "DROP DATABASE IF EXISTS " + database_ + " WITH (FORCE)");
    } catch (...) {
    }
  }
}

}  // namespace gh::testing
