// The SQL store over SOCI: one code path for SQLite and PostgreSQL; only the connect string and
// a few statements differ.
#include "store/sql/sql_store.h"

#include <soci/connection-pool.h>
#include <soci/soci.h>

#include <algorithm>
#include <atomic>
#include <filesystem>
#include <mutex>
#include <stdexcept>

#include "core/blocking.h"
#include "core/log.h"
#include "store/migrations.h"
#include "store/sql/application_repo.h"
#include "store/sql/catalog_repo.h"
#include "store/sql/connection_repo.h"
#include "store/sql/directory_repo.h"
#include "store/sql/domain_repo.h"
#include "store/sql/environment_repo.h"
#include "store/sql/key_repo.h"
#include "store/sql/libpq.h"
#include "store/sql/oauth_grant_repo.h"
#include "store/sql/outbox_repo.h"
#include "store/sql/pg_listener.h"
#include "store/sql/replay_repo.h"
#include "store/sql/saml_assertion_repo.h"
#include "store/sql/session_repo.h"
#include "store/sql/tenancy_repos.h"
#include "store/sql/user_repo.h"
#include "store/sql/webhook_repo.h"

namespace gh::store {

Result<std::pair<Backend, std::string>> parse_store_url(const std::string& url) {
  if (url.rfind("sqlite:", 0) == 0) {
    std::string path = url.substr(7);
    if (path.rfind("//", 0) == 0) path = path.substr(2);  // sqlite://PATH
    if (path.empty()) return fail(errc::ConfigInvalid, "store: sqlite: needs a file path");
    return std::pair{Backend::sqlite, path};
  }
  if (url.rfind("postgres://", 0) == 0 || url.rfind("postgresql://", 0) == 0) {
    // SOCI mangles URIs; hand it libpq's keyword=value form, parsed by libpq itself.
    auto pq = load_libpq();
    if (!pq) return fail(pq.error());
    char* err = nullptr;
    PQconninfoOption* opts = (*pq)->PQconninfoParse(url.c_str(), &err);
    if (!opts) {
      std::string msg = err ? err : "unparseable";
      if (err) (*pq)->PQfreemem(err);
      return fail(errc::ConfigInvalid, "store: not a valid PostgreSQL URL: " + msg);
    }
    std::string conninfo;
    for (auto* o = opts; o->keyword; ++o) {
      if (!o->val || !*o->val) continue;
      std::string value;
      for (const char* c = o->val; *c; ++c) {
        if (*c == '\\' || *c == '\'') value += '\\';
        value += *c;
      }
      conninfo += std::string(conninfo.empty() ? "" : " ") + o->keyword + "='" + value + "'";
    }
    (*pq)->PQconninfoFree(opts);
    return std::pair{Backend::postgres, conninfo};
  }
  return fail(errc::ConfigInvalid,
              "store must be sqlite:PATH or postgres://user@host:port/db, got '" +
                  url.substr(0, url.find("://")) + "...'");
}

bool is_constraint_violation(const soci::soci_error& e) {
  if (e.get_error_category() == soci::soci_error::constraint_violation) return true;
  const std::string what = e.what();
  return what.find("UNIQUE constraint") != std::string::npos ||
         what.find("duplicate key") != std::string::npos;
}

namespace {

bool is_connection_error(const soci::soci_error& e) {
  if (e.get_error_category() == soci::soci_error::connection_error) return true;
  const std::string what = e.what();
  return what.find("server closed the connection") != std::string::npos ||
         what.find("terminating connection") != std::string::npos ||
         what.find("no connection to the server") != std::string::npos ||
         what.find("connection not open") != std::string::npos;
}

class SqlRepositories final : public Repositories {
 public:
  SqlRepositories(SqlContext& ctx)
      : ctx_(ctx),
        environments_(ctx),
        organizations_(ctx),
        api_keys_(ctx),
        audit_(ctx),
        policies_(ctx),
        outbox_(ctx),
        webhooks_(ctx),
        domains_(ctx),
        keys_(ctx),
        catalog_(ctx),
        applications_(ctx),
        oauth_grants_(ctx),
        connections_(ctx),
        login_traces_(ctx),
        users_(ctx),
        sessions_(ctx),
        replays_(ctx),
        saml_assertions_(ctx),
        directories_(ctx) {}
  EnvironmentRepository& environments() override { return environments_; }
  OrganizationRepository& organizations() override { return organizations_; }
  ApiKeyRepository& api_keys() override { return api_keys_; }
  AuditRepository& audit() override { return audit_; }
  PolicyRepository& policies() override { return policies_; }
  OutboxRepository& outbox() override { return outbox_; }
  WebhookRepository& webhooks() override { return webhooks_; }
  DomainRepository& domains() override { return domains_; }
  KeyRepository& keys() override { return keys_; }
  CatalogRepository& catalog() override { return catalog_; }
  ApplicationRepository& applications() override { return applications_; }
  OAuthGrantRepository& oauth_grants() override { return oauth_grants_; }
  ConnectionRepository& connections() override { return connections_; }
  LoginTraceRepository& login_traces() override { return login_traces_; }
  UserRepository& users() override { return users_; }
  SessionRepository& sessions() override { return sessions_; }
  ReplayRepository& replays() override { return replays_; }
  SamlAssertionRepository& saml_assertions() override { return saml_assertions_; }
  DirectoryRepository& directories() override { return directories_; }
  void changed(const std::string& topic, const std::string& key) override {
    Change c{topic, key};
    if (ctx_.backend == Backend::postgres) {
      // NOTIFY is transactional: other nodes hear it only if we commit.
      std::string payload = ChangeBus::encode(c);
      ctx_.sql << "SELECT pg_notify('gatehouse_changes', :p)", soci::use(payload);
    }
    pending_.push_back(std::move(c));
  }
  std::vector<Change>& pending() { return pending_; }

 private:
  SqlContext& ctx_;
  SqlEnvironmentRepository environments_;
  SqlOrganizationRepository organizations_;
  SqlApiKeyRepository api_keys_;
  SqlAuditRepository audit_;
  SqlPolicyRepository policies_;
  SqlOutboxRepository outbox_;
  SqlWebhookRepository webhooks_;
  SqlDomainRepository domains_;
  SqlKeyRepository keys_;
  SqlCatalogRepository catalog_;
  SqlApplicationRepository applications_;
  SqlOAuthGrantRepository oauth_grants_;
  SqlConnectionRepository connections_;
  SqlLoginTraceRepository login_traces_;
  SqlUserRepository users_;
  SqlSessionRepository sessions_;
  SqlReplayRepository replays_;
  SqlSamlAssertionRepository saml_assertions_;
  SqlDirectoryRepository directories_;
  std::vector<Change> pending_;
};

class SqlStore final : public Store {
 public:
  SqlStore(Backend backend, std::string url, std::string connect, StoreOptions options)
      : backend_(backend),
        url_(std::move(url)),
        connect_(std::move(connect)),
        options_(std::move(options)),
        pool_(static_cast<size_t>(options_.pool_size)) {}

  ~SqlStore() override { listener_.reset(); }

  // One pooled session, opened on its first lease (an idle node holds one connection, not
  // pool_size: each SQLite connection keeps its own parsed schema and page cache).
  void open_session(soci::session& s) {
    if (backend_ == Backend::sqlite) {
      s.open("sqlite3", "db=" + connect_ + " timeout=10");
      s << "PRAGMA journal_mode=WAL";
      s << ("PRAGMA synchronous=" +
            std::string(options_.sqlite_synchronous == "normal" ? "NORMAL" : "FULL"));
      s << "PRAGMA foreign_keys=ON";
      s << "PRAGMA busy_timeout=10000";
    } else {
      s.open("postgresql", connect_);
    }
  }

  Result<bool> open() {
    try {
      open_session(pool_.at(0));  // fail fast on a wrong URL or an unreachable server
    } catch (const soci::soci_error& e) {
      return fail(errc::StoreUnavailable, "cannot open the store", redact(e.what()));
    }
    if (backend_ == Backend::postgres) {
      auto pq = load_libpq();
      if (!pq) return fail(pq.error());
      listener_ = std::make_unique<PgListener>(**pq, connect_, bus_);
      listener_->start();
    }
    return true;
  }

  Backend backend() const override { return backend_; }
  const std::string& url() const override { return url_; }
  ChangeBus& changes() override { return bus_; }

  PoolStats pool_stats() const override {
    return {options_.pool_size, in_use_.load(), waits_.load(), timeouts_.load()};
  }

  Result<bool> ping() override {
    return run(false, [](Repositories&) -> Result<bool> { return true; });
  }

  Result<MigrationStatus> migration_status() override {
    MigrationStatus status;
    status.latest = latest_migration();
    auto r = with_session([&](soci::session& sql) -> Result<bool> {
      ensure_migrations_table(sql);
      soci::indicator ind;
      int current = 0;
      sql << "SELECT MAX(version) FROM schema_migrations", soci::into(current, ind);
      status.current = ind == soci::i_ok ? current : 0;
      // A known version below the highest applied one may be missing (a lower number landed
      // after a higher one was applied): the schema is only as current as that gap.
      for (const auto& m : migrations()) {
        if (m.version >= status.current) continue;
        int applied = 0;
        sql << "SELECT COUNT(*) FROM schema_migrations WHERE version = :v", soci::use(m.version),
            soci::into(applied);
        if (applied == 0) status.current = m.version - 1;
      }
      return true;
    });
    if (!r) return fail(r.error());
    return status;
  }

  Result<MigrationStatus> migrate() override {
    auto r = with_session([&](soci::session& sql) -> Result<bool> {
      ensure_migrations_table(sql);
      std::vector<Migration> ordered = migrations();
      std::sort(ordered.begin(), ordered.end(),
                [](const Migration& a, const Migration& b) { return a.version < b.version; });
      for (const auto& m : ordered) {
        std::unique_lock<std::mutex> lock(write_mu_, std::defer_lock);
        if (backend_ == Backend::sqlite) {
          lock.lock();
          sql << "BEGIN IMMEDIATE";
        } else {
          sql << "BEGIN";
          // Several nodes may start at once: one migrates, the others wait and then skip.
          sql << "SELECT pg_advisory_xact_lock(7428001)";
        }
        try {
          int applied = 0;
          sql << "SELECT COUNT(*) FROM schema_migrations WHERE version = :v", soci::use(m.version),
              soci::into(applied);
          if (applied == 0) {
            for (const auto& stmt : backend_ == Backend::sqlite ? m.sqlite : m.postgres) {
              sql << stmt;
            }
            long long now = options_.clock->now_ms();
            sql << "INSERT INTO schema_migrations (version, description, applied_at) "
                   "VALUES (:v, :d, :t)",
                soci::use(m.version), soci::use(m.description), soci::use(now);
            log::info("migration applied",
                      {{"version", m.version}, {"description", m.description}});
          }
          sql << "COMMIT";
        } catch (...) {
          try {
            sql << "ROLLBACK";
          } catch (...) {
          }
          throw;
        }
      }
      return true;
    });
    if (!r) return fail(r.error());
    return migration_status();
  }

 protected:
  Result<bool> run(bool write, const std::function<Result<bool>(Repositories&)>& fn) override {
    may_block();  // a fast-path handler goes to the worker pool here (core/blocking.h)
    std::vector<Change> committed;
    auto r = with_session([&](soci::session& sql) -> Result<bool> {
      std::unique_lock<std::mutex> lock(write_mu_, std::defer_lock);
      if (backend_ == Backend::sqlite) {
        // One writer: BEGIN IMMEDIATE takes the write lock up front, so two writers never
        // deadlock upgrading from read to write; the mutex keeps our own threads off the
        // busy-wait path (other processes, e.g. the CLI, still wait on busy_timeout).
        if (write) lock.lock();
        sql << (write ? "BEGIN IMMEDIATE" : "BEGIN");
      } else {
        sql << (write ? "BEGIN" : "BEGIN READ ONLY");
      }
      SqlContext ctx{sql, backend_, *options_.clock};
      SqlRepositories repos(ctx);
      try {
        auto result = fn(repos);
        if (!result) {
          sql << "ROLLBACK";
          return result;
        }
        sql << "COMMIT";
        committed = std::move(repos.pending());
        return result;
      } catch (...) {
        try {
          sql << "ROLLBACK";
        } catch (...) {
        }
        throw;
      }
    });
    if (r) {
      for (const auto& c : committed) bus_.publish(c);
    }
    return r;
  }

 private:
  static std::string redact(std::string message) {
    // libpq messages can echo the connection string; never let a password through.
    const size_t pw = message.find("password=");
    if (pw != std::string::npos) message = message.substr(0, pw) + "password=***";
    return message;
  }

  void ensure_migrations_table(soci::session& sql) {
    sql << "CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, "
           "description TEXT NOT NULL, applied_at BIGINT NOT NULL)";
  }

  // Leases a connection; retries once on a connection that the server dropped.
  Result<bool> with_session(const std::function<Result<bool>(soci::session&)>& fn) {
    size_t pos = 0;
    if (!pool_.try_lease(pos, 0)) {
      waits_.fetch_add(1);
      if (!pool_.try_lease(pos, 10'000)) {
        timeouts_.fetch_add(1);
        return fail(errc::StoreUnavailable, "all store connections are busy");
      }
    }
    in_use_.fetch_add(1);
    struct GiveBack {
      soci::connection_pool& pool;
      size_t pos;
      std::atomic<int>& in_use;
      ~GiveBack() {
        in_use.fetch_sub(1);
        pool.give_back(pos);
      }
    } give_back{pool_, pos, in_use_};
    soci::session& sql = pool_.at(pos);
    if (sql.get_backend() == nullptr) {
      try {
        open_session(sql);
      } catch (const soci::soci_error& e) {
        sql.close();
        return fail(errc::StoreUnavailable, "cannot open the store", redact(e.what()));
      }
    }
    for (int attempt = 0;; ++attempt) {
      try {
        return fn(sql);
      } catch (const soci::soci_error& e) {
        if (attempt == 0 && backend_ == Backend::postgres && is_connection_error(e)) {
          try {
            sql.reconnect();
            continue;
          } catch (const soci::soci_error& e2) {
            return fail(errc::StoreUnavailable, "the store connection was lost", redact(e2.what()));
          }
        }
        if (is_connection_error(e)) {
          return fail(errc::StoreUnavailable, "the store connection was lost", redact(e.what()));
        }
        const std::string what = e.what();
        if (what.find("database is locked") != std::string::npos) {
          return fail(errc::StoreUnavailable, "the store is busy", what);
        }
        log::error("store error", {{"error", redact(what)}});
        return fail(errc::ServerInternal, "", redact(what));
      }
    }
  }

  Backend backend_;
  std::string url_;
  std::string connect_;
  StoreOptions options_;
  soci::connection_pool pool_;
  std::mutex write_mu_;
  std::atomic<int> in_use_{0};
  std::atomic<uint64_t> waits_{0};
  std::atomic<uint64_t> timeouts_{0};
  ChangeBus bus_;
  std::unique_ptr<PgListener> listener_;
};

}  // namespace

Result<std::unique_ptr<Store>> open_store(const StoreOptions& options) {
  auto parsed = parse_store_url(options.url);
  if (!parsed) return fail(parsed.error());
  auto [backend, connect] = *parsed;
  if (backend == Backend::sqlite) {
    std::error_code ec;
    const auto dir = std::filesystem::path(connect).parent_path();
    if (!dir.empty()) std::filesystem::create_directories(dir, ec);
  }
  auto store = std::make_unique<SqlStore>(backend, options.url, connect, options);
  auto opened = store->open();
  if (!opened) return fail(opened.error());
  return std::unique_ptr<Store>(std::move(store));
}

}  // namespace gh::store
