// Time comes in through an interface so that every protocol check can be tested at the edge
// of its window (a FakeClock in tests, SystemClock in the server).
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>

namespace gh {

using TimePoint = std::chrono::system_clock::time_point;

class Clock {
 public:
  virtual ~Clock() = default;
  virtual TimePoint now() const = 0;
  int64_t now_ms() const {
    return std::chrono::duration_cast<std::chrono::milliseconds>(now().time_since_epoch()).count();
  }
};

class SystemClock final : public Clock {
 public:
  TimePoint now() const override { return std::chrono::system_clock::now(); }
  static const SystemClock& instance() {
    static const SystemClock clock;
    return clock;
  }
};

class FakeClock final : public Clock {
 public:
  explicit FakeClock(int64_t start_ms = 1'800'000'000'000) : ms_(start_ms) {}
  TimePoint now() const override { return TimePoint(std::chrono::milliseconds(ms_.load())); }
  void advance(std::chrono::milliseconds d) { ms_ += d.count(); }
  void set_ms(int64_t ms) { ms_ = ms; }

 private:
  std::atomic<int64_t> ms_;
};

// RFC 3339 / ISO 8601 UTC with milliseconds, e.g. 2026-11-27T13:35:30.123Z.
std::string format_rfc3339(int64_t epoch_ms);

}  // namespace gh
