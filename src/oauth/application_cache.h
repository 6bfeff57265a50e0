// What the token endpoint reads on every request (the application with its secrets, its
// client_credentials grants and the resources they name), cached for a few seconds so that a
// token costs no store round trip. Every change through ApplicationService announces
// kApplicationsChangedTopic in its transaction, which drops the cache on this node at once and
// on the others through the store's change bus (NOTIFY on PostgreSQL), like the API-key cache.
// A write that bypasses the service (another process on SQLite) is seen within the TTL.
#pragma once

#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "core/clock.h"
#include "core/result.h"
#include "store/store.h"

namespace gh::oauth {

inline constexpr std::string_view kApplicationsChangedTopic = "applications";
inline constexpr int64_t kApplicationCacheTtlMs = 5'000;

struct CachedClient {
  store::Application app;
  std::vector<store::ClientSecret> secrets;
};

// An application's client_credentials grants with the resources they name.
struct CachedGrants {
  std::vector<store::ResourceGrant> grants;
  std::map<std::string, store::Resource, std::less<>> resources;  // by resource id
};

class ApplicationCache {
 public:
  explicit ApplicationCache(store::Store& store, const Clock& clock = SystemClock::instance(),
                            size_t max_entries = 10'000);
  ApplicationCache(const ApplicationCache&) = delete;
  ApplicationCache& operator=(const ApplicationCache&) = delete;

  // application.not_found for an unknown client_id (not cached: a flood of unknown ids must
  // not evict the known ones).
  Result<std::shared_ptr<const CachedClient>> client(std::string_view environment_id,
                                                     std::string_view client_id);
  Result<std::shared_ptr<const CachedGrants>> grants(const store::Application& app);
  // A resource by its identifier (RFC 8707 indicator); nullopt when there is none.
  Result<std::optional<store::Resource>> resource(std::string_view environment_id,
                                                  std::string_view identifier);

  void forget_all();

 private:
  template <class T>
  struct Entry {
    std::shared_ptr<const T> value;
    int64_t loaded_ms = 0;
  };
  template <class T>
  std::shared_ptr<const T> find(const std::unordered_map<std::string, Entry<T>>& map,
                                const std::string& key, int64_t now) const;
  template <class T>
  void put(std::unordered_map<std::string, Entry<T>>& map, const std::string& key,
           std::shared_ptr<const T> value, int64_t now);

  store::Store& store_;
  const Clock& clock_;
  const size_t max_entries_;
  mutable std::mutex mu_;
  uint64_t generation_ = 0;  // bumped by forget_all: a load that raced it is not kept
  std::unordered_map<std::string, Entry<CachedClient>> clients_;
  std::unordered_map<std::string, Entry<CachedGrants>> grants_;
  std::unordered_map<std::string, Entry<std::optional<store::Resource>>> resources_;
};

}  // namespace gh::oauth
