// Unwrapped data keys, cached so that opening a sealed value costs one AES-GCM operation,
// not a KEK round trip (an HSM call for a customer-managed key). Every entry lives at most
// `ttl` (clamped to 60 s) from the moment its KEK last unwrapped it: that is the bound on how
// long a disabled customer key keeps working. forget()/clear() are for the store's change
// notifications (LISTEN/NOTIFY), which make revocation immediate on every node.
#pragma once

#include <array>
#include <chrono>
#include <cstdint>
#include <optional>
#include <shared_mutex>
#include <string>
#include <string_view>
#include <unordered_map>

#include "core/clock.h"

namespace gh::crypto {

inline constexpr std::chrono::milliseconds kMaxDataKeyCacheTtl{60'000};

using DataKeyBytes = std::array<char, 32>;

struct CachedDataKey {
  DataKeyBytes key;
  std::string environment;
  std::string organization;
  int64_t expires_ms = 0;
};

class DataKeyCache {
 public:
  DataKeyCache(const Clock& clock, std::chrono::milliseconds ttl, size_t max_entries = 100'000);
  ~DataKeyCache();

  // The key if cached, not expired, and belonging to (environment, organization).
  std::optional<DataKeyBytes> get(std::string_view key_id, std::string_view environment,
                                  std::string_view organization) const;
  void put(std::string key_id, const DataKeyBytes& key, std::string environment,
           std::string organization);
  // The active data key id of (environment, organization), cached under the same TTL.
  std::optional<std::string> active_id(std::string_view environment,
                                       std::string_view organization) const;
  void put_active(std::string_view environment, std::string_view organization, std::string key_id);

  void forget_organization(std::string_view environment, std::string_view organization);
  void clear();
  std::chrono::milliseconds ttl() const { return ttl_; }
  size_t size() const;

 private:
  struct Hash {
    using is_transparent = void;
    size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
  };
  struct Active {
    std::string key_id;
    int64_t expires_ms = 0;
  };
  void evict_locked(int64_t now_ms);

  const Clock& clock_;
  std::chrono::milliseconds ttl_;
  size_t max_entries_;
  mutable std::shared_mutex mutex_;
  std::unordered_map<std::string, CachedDataKey, Hash, std::equal_to<>> keys_;
  std::unordered_map<std::string, Active, Hash, std::equal_to<>> active_;
};

}  // namespace gh::crypto
