#include "tenancy/rate_limiter.h"

#include <algorithm>
#include <cmath>
#include <functional>

namespace gh::tenancy {

RateLimiter::Decision RateLimiter::take(const std::string& key) {
  auto& shard = shards_[std::hash<std::string>{}(key) % shards_.size()];
  const int64_t now = clock_.now_ms();
  std::lock_guard lock(shard.mu);
  auto [it, inserted] = shard.buckets.try_emplace(key, Bucket{burst_, now});
  Bucket& b = it->second;
  if (!inserted) {
    b.tokens = std::min(burst_, b.tokens + (now - b.last_ms) / 1000.0 * per_second_);
    b.last_ms = now;
  }
  if (b.tokens >= 1.0) {
    b.tokens -= 1.0;
    return {true, 0};
  }
  const double wait_s = (1.0 - b.tokens) / per_second_;
  return {false, std::max(1, static_cast<int>(std::ceil(wait_s)))};
}

}  // namespace gh::tenancy
