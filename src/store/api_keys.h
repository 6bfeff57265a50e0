// Admin API keys. The secret is never stored: only HMAC-SHA-256(pepper, secret), compared in
// constant time by the caller (tenancy/secrets.h). `lookup` is the public part of the token
// that finds the row.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"

namespace gh::store {

struct ApiKey {
  std::string id;  // UUIDv7
  std::string environment_id;
  std::string organization_id;  // empty: environment-wide
  std::string name;
  std::string role;         // admin | read_only (environment-wide) | organization (org-scoped)
  std::string lookup;       // public, unique
  std::string secret_hash;  // hex HMAC-SHA-256 under the server pepper
  int64_t created_at_ms = 0;
  int64_t expires_at_ms = 0;  // 0: never
  int64_t revoked_at_ms = 0;  // 0: active
  int64_t last_used_at_ms = 0;
  std::string created_by;  // actor that created it
};

class ApiKeyRepository {
 public:
  virtual ~ApiKeyRepository() = default;
  virtual Result<ApiKey> create(const ApiKey& key) = 0;
  // Authentication path: by the public lookup part, across environments. nullopt if none.
  virtual Result<std::optional<ApiKey>> find_by_lookup(std::string_view lookup) = 0;
  // Keys of an environment; with organization_id, only that organization's keys.
  virtual Result<std::vector<ApiKey>> list(std::string_view environment_id,
                                           std::string_view organization_id) = 0;
  // apikey.not_found for unknown ids or ids of another environment / organization.
  virtual Result<ApiKey> get(std::string_view environment_id, std::string_view organization_id,
                             std::string_view key_id) = 0;
  virtual Result<ApiKey> revoke(std::string_view environment_id, std::string_view organization_id,
                                std::string_view key_id, int64_t now_ms) = 0;
};

}  // namespace gh::store
