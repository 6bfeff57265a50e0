// When a failed webhook attempt is tried again: exponential backoff from `base_ms`, doubled per
// attempt, capped at `max_ms`, with "equal jitter" (a random point in the upper half of the
// window) so endpoints that failed together do not retry together; after `max_attempts` the
// delivery is failed (manual redelivery starts a fresh budget).
#pragma once

#include <algorithm>
#include <cstdint>

#include "core/random.h"

namespace gh::events {

struct RetryPolicy {
  int64_t base_ms = 5'000;
  int64_t max_ms = 3'600'000;
  int64_t max_attempts = 12;

  // Delay before the attempt after `attempts_made` (>= 1) failed ones.
  int64_t delay_ms(int64_t attempts_made, Random& random) const {
    const int64_t shift = std::clamp<int64_t>(attempts_made - 1, 0, 40);
    int64_t window = base_ms;
    for (int64_t i = 0; i < shift && window < max_ms; ++i) window *= 2;
    window = std::min(window, max_ms);
    uint8_t b[4];
    random.fill(b);
    const uint32_t r =
        (uint32_t{b[0]} << 24) | (uint32_t{b[1]} << 16) | (uint32_t{b[2]} << 8) | b[3];
    const int64_t half = window / 2;
    return half + static_cast<int64_t>(r % static_cast<uint64_t>(window - half + 1));
  }
  bool exhausted(int64_t attempts_made) const { return attempts_made >= max_attempts; }
};

}  // namespace gh::events
