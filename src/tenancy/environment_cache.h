// Environments by name, cached in memory with a TTL. Entries drop when a change to that
// environment is announced (this node's commits, or other nodes' through LISTEN/NOTIFY), and
// all of them when the change listener reconnects; the TTL bounds staleness should a
// notification be lost anyway.
#pragma once

#include <chrono>
#include <mutex>
#include <string>
#include <unordered_map>

#include "core/clock.h"
#include "store/store.h"

namespace gh::tenancy {

class EnvironmentCache {
 public:
  EnvironmentCache(store::Store& store, std::chrono::milliseconds ttl,
                   const Clock& clock = SystemClock::instance());
  // environment.not_found, store.unavailable.
  Result<store::Environment> get(const std::string& name);
  void invalidate(const std::string& name);
  void clear();

 private:
  struct Entry {
    store::Environment env;
    int64_t expires_ms;
  };
  store::Store& store_;
  std::chrono::milliseconds ttl_;
  const Clock& clock_;
  std::mutex mu_;
  std::unordered_map<std::string, Entry> entries_;
  uint64_t generation_ = 0;
};

}  // namespace gh::tenancy
