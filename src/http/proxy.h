// Which peers may tell us the client's address and scheme (X-Forwarded-For/-Proto/-Host).
// Only configured proxies; everyone else's X-Forwarded-* headers are ignored.
#pragma once

#include <array>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"

namespace gh::http {

struct IpRange {
  std::array<uint8_t, 16> addr{};  // IPv4 stored as IPv4-mapped IPv6
  int prefix = 128;
  bool contains(const std::array<uint8_t, 16>& ip) const;
};

std::optional<std::array<uint8_t, 16>> parse_ip(std::string_view text);
Result<IpRange> parse_ip_range(std::string_view text);  // "10.0.0.0/8", "::1", "127.0.0.1"

class TrustedProxies {
 public:
  static Result<TrustedProxies> parse(const std::vector<std::string>& ranges);
  bool trusts(std::string_view ip) const;
  bool empty() const { return ranges_.empty(); }

  // The client address: walk X-Forwarded-For from the right, skipping trusted proxies.
  std::string client_ip(std::string_view peer_ip, std::optional<std::string_view> xff) const;

 private:
  std::vector<IpRange> ranges_;
};

}  // namespace gh::http
