// Token buckets per key ("org:<id>", "key:<id>"), so one noisy tenant or key runs out of its
// own tokens without touching anyone else's. In memory per node: with N nodes behind a load
// balancer the effective limit is up to N times the configured one (documented).
#pragma once

#include <array>
#include <cstdint>
#include <mutex>
#include <string>
#include <unordered_map>

#include "core/clock.h"

namespace gh::tenancy {

class RateLimiter {
 public:
  RateLimiter(double per_second, double burst, const Clock& clock = SystemClock::instance())
      : per_second_(per_second), burst_(burst), clock_(clock) {}

  // Takes one token; on refusal returns the seconds until one is available (≥ 1).
  struct Decision {
    bool allowed;
    int retry_after_s;
  };
  Decision take(const std::string& key);

 private:
  struct Bucket {
    double tokens;
    int64_t last_ms;
  };
  struct Shard {
    std::mutex mu;
    std::unordered_map<std::string, Bucket> buckets;
  };
  double per_second_;
  double burst_;
  const Clock& clock_;
  std::array<Shard, 16> shards_;
};

}  // namespace gh::tenancy
