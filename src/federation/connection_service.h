// Connections as the admin API and the CLI manage them, and login traces: every mutation runs
// in one transaction with its audit record and outbox event (TenancyService::record). Also
// creates "test connection" logins (a login transaction in test mode) and stores and reads
// traces sealed under the organization's data key.
#pragma once

#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "catalog/service.h"
#include "core/clock.h"
#include "core/random.h"
#include "federation/connection.h"
#include "federation/trace.h"
#include "store/store.h"
#include "tenancy/sealing.h"
#include "tenancy/service.h"

namespace gh::federation {

inline constexpr int64_t kLoginTransactionLifetimeMs = 10 * 60 * 1000;

// A create or PATCH body, parsed at the edge (fields absent stay as they are on PATCH).
struct ConnectionInput {
  std::optional<std::string> type;
  std::optional<std::string> name;
  std::optional<nlohmann::json> domains;
  std::optional<nlohmann::json> settings;
  std::optional<nlohmann::json> attribute_mapping;
  std::optional<nlohmann::json> acr_mapping;
  std::optional<bool> allow_email_linking;
};
// connection.invalid / request.invalid_field naming the field; `creating` requires type and name.
Result<ConnectionInput> parse_connection_input(const nlohmann::json& body, bool creating);

// The API's view: id, type, name, status, domains, settings (public), mappings, version, times.
nlohmann::json connection_json(const store::Connection& c);

// Seals and opens login traces (organization data).
class TraceStore {
 public:
  TraceStore(store::Store& store, tenancy::Sealing& sealing, int64_t retention_days,
             const Clock& clock = SystemClock::instance())
      : store_(store),
        sealing_(sealing),
        retention_ms_(retention_days * 86'400'000),
        clock_(clock) {}
  Result<bool> save(const std::string& environment_id, const std::string& organization_id,
                    const std::string& request_id, const std::string& connection_id,
                    const Trace& trace);
  // The trace body, or nullopt when there is none yet (or it expired).
  Result<std::optional<nlohmann::json>> load(const std::string& environment_id,
                                             const std::string& organization_id,
                                             const std::string& request_id);

 private:
  store::Store& store_;
  tenancy::Sealing& sealing_;
  int64_t retention_ms_;
  const Clock& clock_;
};

class ConnectionService {
 public:
  ConnectionService(store::Store& store, tenancy::TenancyService& tenancy,
                    tenancy::Sealing& sealing, catalog::CatalogService* catalog,
                    std::string public_url, int64_t trace_retention_days,
                    const Clock& clock = SystemClock::instance(),
                    Random& random = SecureRandom::instance());

  Result<store::Connection> create(const store::Environment& env, const std::string& org_id,
                                   const ConnectionInput& in, const tenancy::Actor& actor);
  Result<store::Connection> get(const store::Environment& env, const std::string& org_id,
                                const std::string& id);
  Result<std::vector<store::Connection>> list(const store::Environment& env,
                                              const std::string& org_id);
  Result<store::Connection> update(const store::Environment& env, const std::string& org_id,
                                   const std::string& id, const ConnectionInput& in,
                                   int64_t expected_version, const tenancy::Actor& actor);
  Result<store::Connection> remove(const store::Environment& env, const std::string& org_id,
                                   const std::string& id, const tenancy::Actor& actor);
  // status: "active" or "disabled" (connection.invalid_transition otherwise).
  Result<store::Connection> set_status(const store::Environment& env, const std::string& org_id,
                                       const std::string& id, const std::string& status,
                                       const tenancy::Actor& actor);

  // "Test connection": a login transaction in test mode (draft or active connections) and the
  // URL that runs it in a browser: every check runs and is reported, nothing else is written.
  struct TestLogin {
    std::string request_id;  // the trace's id
    std::string url;
    int64_t expires_at_ms = 0;
  };
  Result<TestLogin> start_test(const store::Environment& env, const std::string& org_id,
                               const std::string& id, const tenancy::Actor& actor);

  // The trace of a login: {"request_id", "connection_id", "created_at", "expires_at", ...body}.
  Result<nlohmann::json> trace(const store::Environment& env, const std::string& org_id,
                               const std::string& request_id);

  ConnectionDeps deps() const;
  TraceStore& traces() { return traces_; }

 private:
  Result<bool> validate(const store::Environment& env, store::Connection& c);

  store::Store& store_;
  tenancy::TenancyService& tenancy_;
  tenancy::Sealing& sealing_;
  catalog::CatalogService* catalog_;
  std::string public_url_;
  const Clock& clock_;
  Random& random_;
  TraceStore traces_;
};

}  // namespace gh::federation
