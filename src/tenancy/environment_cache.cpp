#include "tenancy/environment_cache.h"

namespace gh::tenancy {

EnvironmentCache::EnvironmentCache(store::Store& store, std::chrono::milliseconds ttl,
                                   const Clock& clock)
    : store_(store), ttl_(ttl), clock_(clock) {
  store_.changes().subscribe([this](const store::Change& change) {
    if (change.flush_all()) {
      clear();
    } else if (change.topic == "environment") {
      invalidate(change.key);
    }
  });
}

Result<store::Environment> EnvironmentCache::get(const std::string& name) {
  const int64_t now = clock_.now_ms();
  uint64_t generation = 0;
  {
    std::lock_guard lock(mu_);
    generation = generation_;
    if (auto it = entries_.find(name); it != entries_.end() && it->second.expires_ms > now) {
      return it->second.env;
    }
  }
  auto env = store_.read<store::Environment>(
      [&](store::Repositories& repos) { return repos.environments().get(name); });
  if (!env) return env;
  std::lock_guard lock(mu_);
  // A change announced while we were reading may postdate what we read: do not cache it.
  if (generation == generation_) entries_[name] = {*env, now + ttl_.count()};
  return env;
}

void EnvironmentCache::invalidate(const std::string& name) {
  std::lock_guard lock(mu_);
  ++generation_;
  entries_.erase(name);
}

void EnvironmentCache::clear() {
  std::lock_guard lock(mu_);
  ++generation_;
  entries_.clear();
}

}  // namespace gh::tenancy
