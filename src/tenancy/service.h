// Tenancy operations shared by the admin API and the CLI. Every mutation runs in one
// transaction with its audit record and its outbox event, and announces the change to caches.
#pragma once

#include <chrono>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>

#include "core/clock.h"
#include "store/store.h"
#include "tenancy/policy.h"
#include "tenancy/secrets.h"

namespace gh::tenancy {

// Who did it, for the audit record.
struct Actor {
  std::string type = "system";  // api_key | cli | system
  std::string id;
  std::string request_id;
  std::string source_ip;
};

// An authenticated admin API caller.
struct Principal {
  std::string key_id;
  std::string environment_id;
  std::string organization_id;  // set for organization-scoped keys
  std::string role;             // admin | read_only | organization
  Actor actor(std::string request_id, std::string source_ip) const {
    return {"api_key", key_id, std::move(request_id), std::move(source_ip)};
  }
};

struct OrganizationInput {
  std::optional<std::string> name;
  std::optional<std::string> slug;
  std::optional<nlohmann::json> metadata;
  std::optional<std::string> status;
};

struct NewApiKey {
  std::string name;
  std::string role;             // admin | read_only | organization
  std::string organization_id;  // required for role organization
  int64_t expires_at_ms = 0;
};

class TenancyService {
 public:
  TenancyService(store::Store& store, SecretHasher hasher,
                 const Clock& clock = SystemClock::instance());

  // Organizations
  Result<store::Organization> create_organization(const store::Environment& env,
                                                  const OrganizationInput& in, const Actor& actor);
  Result<store::Organization> update_organization(const store::Environment& env,
                                                  const std::string& org_id,
                                                  const OrganizationInput& in,
                                                  int64_t expected_version, const Actor& actor);
  Result<store::Organization> delete_organization(const store::Environment& env,
                                                  const std::string& org_id, const Actor& actor);
  Result<store::Organization> restore_organization(const store::Environment& env,
                                                   const std::string& org_id, const Actor& actor);

  // API keys: the token is in the result once and never stored.
  struct IssuedKey {
    store::ApiKey key;
    std::string token;
  };
  Result<IssuedKey> create_api_key(const store::Environment& env, const NewApiKey& in,
                                   const Actor& actor);
  Result<store::ApiKey> revoke_api_key(const store::Environment& env,
                                       const std::string& organization_id,
                                       const std::string& key_id, const Actor& actor);

  // Authentication of `Authorization: Bearer gh_ak_...`, with a short cache (≤ 5 s, dropped at
  // once on this node's revocations and, through the change bus, other nodes').
  Result<Principal> authenticate(std::optional<std::string_view> authorization);

  // Security policies: organization_id empty = the environment's defaults.
  Result<store::PolicyDocument> put_policy(const store::Environment& env,
                                           const std::string& organization_id,
                                           const nlohmann::json& document, int64_t expected_version,
                                           const Actor& actor);
  Result<SecurityPolicy> policy_for(const store::Environment& env,
                                    const std::string& organization_id);

  const SecretHasher& hasher() const { return hasher_; }

  // Appends the audit record and the outbox event for one mutation; an error fails (and so
  // rolls back) the mutation: no change without its audit record and event.
  Result<bool> record(store::Repositories& repos, const store::Environment& env,
                      const std::string& organization_id, const Actor& actor,
                      const std::string& action, const std::string& target_type,
                      const std::string& target_id, const nlohmann::json& summary,
                      const nlohmann::json& event_payload);

 private:
  store::Store& store_;
  SecretHasher hasher_;
  const Clock& clock_;

  struct CachedKey {
    store::ApiKey key;
    int64_t expires_ms;
  };
  std::mutex key_cache_mu_;
  std::unordered_map<std::string, CachedKey> key_cache_;  // by lookup
  static constexpr int64_t kKeyCacheTtlMs = 5000;
  // Last: destroyed first, so a change published after destruction finds no service.
  std::shared_ptr<TenancyService*> bus_handle_;
};

nlohmann::json organization_json(const store::Organization& org);
nlohmann::json api_key_json(const store::ApiKey& key);

}  // namespace gh::tenancy
