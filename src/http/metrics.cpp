#include "http/metrics.h"

#include <sstream>

namespace gh::http {

void Metrics::set_routes(std::vector<std::string> route_names) {
  routes_.clear();
  route_names.push_back("unmatched");
  for (auto& n : route_names) {
    auto slot = std::make_unique<RouteSlot>();
    slot->name = std::move(n);
    routes_.push_back(std::move(slot));
  }
}

size_t Metrics::status_slot(int status) {
  // A 600-entry table built once: status -> slot.
  static const std::array<uint8_t, 600> table = [] {
    std::array<uint8_t, 600> t{};
    for (int s = 100; s < 600; ++s) t[s] = static_cast<uint8_t>(kStatuses.size() + s / 100 - 1);
    for (size_t i = 0; i < kStatuses.size(); ++i) t[kStatuses[i]] = static_cast<uint8_t>(i);
    return t;
  }();
  return table[status];
}

void Metrics::observe(size_t route_slot, const std::string& /*method*/, int status,
                      double seconds) {
  auto& slot = *routes_[route_slot < routes_.size() ? route_slot : routes_.size() - 1];
  if (status >= 100 && status < 600) {
    slot.by_status[status_slot(status)].fetch_add(1, std::memory_order_relaxed);
  }
  size_t b = 0;
  while (b < kBuckets.size() && seconds > kBuckets[b]) ++b;
  slot.buckets[b].fetch_add(1, std::memory_order_relaxed);
  slot.count.fetch_add(1, std::memory_order_relaxed);
  slot.sum_micros.fetch_add(static_cast<uint64_t>(seconds * 1e6), std::memory_order_relaxed);
}

void Metrics::add_gauge_source(GaugeSource source) {
  std::lock_guard lock(gauges_mu_);
  gauges_.push_back(std::move(source));
}

namespace {
std::string escape_label(const std::string& v) {
  std::string out;
  for (char c : v) {
    if (c == '\\' || c == '"') out += '\\';
    if (c == '\n') {
      out += "\\n";
      continue;
    }
    out += c;
  }
  return out;
}
}  // namespace

std::string Metrics::render() const {
  std::ostringstream out;
  out << "# HELP gatehouse_http_requests_total HTTP requests by route pattern and status.\n"
         "# TYPE gatehouse_http_requests_total counter\n";
  for (const auto& slot : routes_) {
    for (size_t i = 0; i < kStatusSlots; ++i) {
      const auto n = slot->by_status[i].load(std::memory_order_relaxed);
      if (n == 0) continue;
      out << "gatehouse_http_requests_total{route=\"" << escape_label(slot->name) << "\",status=\"";
      if (i < kStatuses.size()) {
        out << kStatuses[i];
      } else {
        out << (i - kStatuses.size() + 1) << "xx";
      }
      out << "\"} " << n << "\n";
    }
  }
  out << "# HELP gatehouse_http_request_duration_seconds Request latency by route pattern.\n"
         "# TYPE gatehouse_http_request_duration_seconds histogram\n";
  for (const auto& slot : routes_) {
    const auto count = slot->count.load(std::memory_order_relaxed);
    if (count == 0) continue;
    const std::string label = "route=\"" + escape_label(slot->name) + "\"";
    uint64_t cumulative = 0;
    for (size_t b = 0; b < kBuckets.size(); ++b) {
      cumulative += slot->buckets[b].load(std::memory_order_relaxed);
      out << "gatehouse_http_request_duration_seconds_bucket{" << label << ",le=\"" << kBuckets[b]
          << "\"} " << cumulative << "\n";
    }
    cumulative += slot->buckets[kBuckets.size()].load(std::memory_order_relaxed);
    out << "gatehouse_http_request_duration_seconds_bucket{" << label << ",le=\"+Inf\"} "
        << cumulative << "\n";
    out << "gatehouse_http_request_duration_seconds_sum{" << label << "} "
        << static_cast<double>(slot->sum_micros.load(std::memory_order_relaxed)) / 1e6 << "\n";
    out << "gatehouse_http_request_duration_seconds_count{" << label << "} " << count << "\n";
  }
  out << "# HELP gatehouse_http_in_flight_requests Requests being handled now.\n"
         "# TYPE gatehouse_http_in_flight_requests gauge\n"
      << "gatehouse_http_in_flight_requests " << in_flight.load() << "\n"
      << "# HELP gatehouse_http_open_connections Open client connections.\n"
         "# TYPE gatehouse_http_open_connections gauge\n"
      << "gatehouse_http_open_connections " << open_connections.load() << "\n"
      << "# HELP gatehouse_http_rejected_connections_total Connections refused at the limit.\n"
         "# TYPE gatehouse_http_rejected_connections_total counter\n"
      << "gatehouse_http_rejected_connections_total " << rejected_connections.load() << "\n";
  std::vector<GaugeSource> sources;
  {
    std::lock_guard lock(gauges_mu_);
    sources = gauges_;
  }
  for (const auto& source : sources) {
    for (const auto& [name, value] : source()) {
      const std::string base = name.substr(0, name.find('{'));
      out << "# TYPE " << base << " gauge\n" << name << " " << value << "\n";
    }
  }
  return out.str();
}

}  // namespace gh::http
