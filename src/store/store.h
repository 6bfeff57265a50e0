// The store: repositories behind interfaces, one SQL implementation over SOCI for SQLite (the
// embedded default) and PostgreSQL (several nodes), one conformance suite for both
// (tests/store/). Every unit of work runs in one transaction; changes that others must hear of
// are published on the ChangeBus after commit (and through NOTIFY to other nodes).
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/clock.h"
#include "core/result.h"
#include "store/api_keys.h"
#include "store/applications.h"
#include "store/audit.h"
#include "store/catalog.h"
#include "store/change_bus.h"
#include "store/connections.h"
#include "store/domains.h"
#include "store/environments.h"
#include "store/keys.h"
#include "store/oauth_grants.h"
#include "store/organizations.h"
#include "store/outbox.h"
#include "store/policies.h"
#include "store/replays.h"
#include "store/saml_assertions.h"
#include "store/sessions.h"
#include "store/users.h"
#include "store/webhooks.h"

namespace gh::store {

enum class Backend { sqlite, postgres };

// Declared here, defined in store/directories.h: only the modules that use SCIM directories
// include it, so changing that interface does not recompile the tree.
class DirectoryRepository;

struct StoreOptions {
  std::string url;  // sqlite:PATH | postgres://... | postgresql://...
  std::string sqlite_synchronous = "full";
  int pool_size = 8;
  const Clock* clock = &SystemClock::instance();
};

struct MigrationStatus {
  int current = 0;  // highest applied
  int latest = 0;   // highest this binary knows
  bool up_to_date() const { return current >= latest; }
};

struct PoolStats {
  int size = 0;
  int in_use = 0;
  uint64_t waits = 0;     // leases that had to wait
  uint64_t timeouts = 0;  // leases that gave up (store.unavailable)
};

// The repositories of one transaction.
class Repositories {
 public:
  virtual ~Repositories() = default;
  virtual EnvironmentRepository& environments() = 0;
  virtual OrganizationRepository& organizations() = 0;
  virtual ApiKeyRepository& api_keys() = 0;
  virtual AuditRepository& audit() = 0;
  virtual PolicyRepository& policies() = 0;
  virtual OutboxRepository& outbox() = 0;
  virtual WebhookRepository& webhooks() = 0;
  virtual DomainRepository& domains() = 0;
  virtual KeyRepository& keys() = 0;
  virtual CatalogRepository& catalog() = 0;
  virtual ApplicationRepository& applications() = 0;
  virtual OAuthGrantRepository& oauth_grants() = 0;
  virtual ConnectionRepository& connections() = 0;
  virtual LoginTraceRepository& login_traces() = 0;
  virtual UserRepository& users() = 0;
  virtual SessionRepository& sessions() = 0;
  virtual ReplayRepository& replays() = 0;
  virtual SamlAssertionRepository& saml_assertions() = 0;
  virtual DirectoryRepository& directories() = 0;  // store/directories.h
  // Announce a change; delivered to this process's ChangeBus after commit and, on PostgreSQL,
  // to every node through NOTIFY (transactional: nothing is sent on rollback).
  virtual void changed(const std::string& topic, const std::string& key) = 0;
};

class Store {
 public:
  virtual ~Store() = default;
  virtual Backend backend() const = 0;
  virtual const std::string& url() const = 0;

  // Runs `fn` in one write transaction: commit when it returns a value, rollback on an error or
  // exception. A lost connection before any work is retried once on a fresh connection.
  template <class T>
  Result<T> transact(const std::function<Result<T>(Repositories&)>& fn);
  // The same, read-only (SQLite: a deferred transaction that never takes the write lock).
  template <class T>
  Result<T> read(const std::function<Result<T>(Repositories&)>& fn);

  virtual Result<bool> ping() = 0;
  virtual Result<MigrationStatus> migration_status() = 0;
  virtual Result<MigrationStatus> migrate() = 0;
  virtual PoolStats pool_stats() const = 0;
  virtual ChangeBus& changes() = 0;

 protected:
  virtual Result<bool> run(bool write, const std::function<Result<bool>(Repositories&)>& fn) = 0;

 private:
  template <class T>
  Result<T> run_returning(bool write, const std::function<Result<T>(Repositories&)>& fn);
};

template <class T>
Result<T> Store::run_returning(bool write, const std::function<Result<T>(Repositories&)>& fn) {
  std::optional<T> out;
  auto r = run(write, [&](Repositories& repos) -> Result<bool> {
    auto v = fn(repos);
    if (!v) return fail(v.error());
    out = std::move(*v);
    return true;
  });
  if (!r) return fail(r.error());
  return std::move(*out);
}

template <class T>
Result<T> Store::transact(const std::function<Result<T>(Repositories&)>& fn) {
  return run_returning<T>(true, fn);
}

template <class T>
Result<T> Store::read(const std::function<Result<T>(Repositories&)>& fn) {
  return run_returning<T>(false, fn);
}

// Opens (and for SQLite creates) the store. Does not migrate.
Result<std::unique_ptr<Store>> open_store(const StoreOptions& options);

// Turns "sqlite:PATH" / "postgres://..." into a backend and a SOCI connect string.
Result<std::pair<Backend, std::string>> parse_store_url(const std::string& url);

}  // namespace gh::store
