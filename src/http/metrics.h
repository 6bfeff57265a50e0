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
  // The statuses counted one by one (RFC 9110's and the few others servers send); any other
  // code in 100-599 is counted under its class ("1xx" ... "5xx"). Per route this is 60
  // counters instead of 600, which kept ~1 MB of idle memory for ~200 routes.
  static constexpr std::array<int16_t, 53> kStatuses = {
      100, 101, 103, 200, 201, 202, 203, 204, 205, 206, 207, 300, 301, 302, 303, 304, 307, 308,
      400, 401, 402, 403, 404, 405, 406, 407, 408, 409, 410, 411, 412, 413, 414, 415, 416, 417,
      421, 422, 425, 426, 428, 429, 431, 451, 500, 501, 502, 503, 504, 505, 507, 508, 511};
  static constexpr size_t kStatusSlots = kStatuses.size() + 5;  // + one per class
  static size_t status_slot(int status);

  struct RouteSlot {
    std::string name;
    std::array<std::atomic<uint64_t>, kStatusSlots> by_status{};
    std::array<std::atomic<uint64_t>, kBuckets.size() + 1> buckets{};
    std::atomic<uint64_t> count{0};
    std::atomic<uint64_t> sum_micros{0};
  };
  std::vector<std::unique_ptr<RouteSlot>> routes_;
  mutable std::mutex gauges_mu_;
  std::vector<GaugeSource> gauges_;
};

}  // namespace gh::http
