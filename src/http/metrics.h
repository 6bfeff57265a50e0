// Prometheus metrics for the HTTP server: requests by route and status, a latency histogram
// per route, in-flight requests, connections, and gauges others register (store pool stats).
// Lock-free on the request path: counters are atomics in per-route slots.
#pragma once

#include <array>
#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

namespace gh::http {

class Metrics {
 public:
  static constexpr std::array<double, 12> kBuckets = {0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005,
                                                      0.01,   0.025,   0.05,   0.1,   0.5,    2.5};
  // Route slots: one per registered route (in Router order) plus one for "unmatched". Call
  // before the server starts.
  void set_routes(std::vector<std::string> route_names);
  Metrics() { set_routes({}); }

  void observe(size_t route_slot, const std::string& method, int status, double seconds);
  size_t unmatched_slot() const { return routes_.size() - 1; }

  std::atomic<int64_t> in_flight{0};
  std::atomic<int64_t> open_connections{0};
  std::atomic<uint64_t> rejected_connections{0};

  // Extra gauge lines computed at scrape time (e.g. the store pool).
  using GaugeSource = std::function<std::vector<std::pair<std::string, double>>()>;
  void add_gauge_source(GaugeSource source);

  std::string render() const;

 private:
  struct RouteSlot {
    std::string name;
    std::array<std::atomic<uint64_t>, 600> by_status{};  // index = HTTP status
    std::array<std::atomic<uint64_t>, kBuckets.size() + 1> buckets{};
    std::atomic<uint64_t> count{0};
    std::atomic<uint64_t> sum_micros{0};
  };
  std::vector<std::unique_ptr<RouteSlot>> routes_;
  mutable std::mutex gauges_mu_;
  std::vector<GaugeSource> gauges_;
};

}  // namespace gh::http
