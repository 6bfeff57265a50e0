#include "http/proxy.h"

#include <arpa/inet.h>

#include <charconv>

namespace gh::http {

std::optional<std::array<uint8_t, 16>> parse_ip(std::string_view text) {
  std::string s(text);
  std::array<uint8_t, 16> out{};
  in_addr v4{};
  if (inet_pton(AF_INET, s.c_str(), &v4) == 1) {
    out[10] = 0xff;
    out[11] = 0xff;
    std::memcpy(&out[12], &v4, 4);
    return out;
  }
  in6_addr v6{};
  if (inet_pton(AF_INET6, s.c_str(), &v6) == 1) {
    std::memcpy(out.data(), &v6, 16);
    return out;
  }
  return std::nullopt;
}

bool IpRange::contains(const std::array<uint8_t, 16>& ip) const {
  int bits = prefix;
  for (size_t i = 0; i < 16 && bits > 0; ++i, bits -= 8) {
    const uint8_t mask = bits >= 8 ? 0xff : static_cast<uint8_t>(0xff << (8 - bits));
    if ((ip[i] & mask) != (addr[i] & mask)) return false;
  }
  return true;
}

Result<IpRange> parse_ip_range(std::string_view text) {
  const size_t slash = text.find('/');
  auto ip = parse_ip(text.substr(0, slash));
  if (!ip) return fail(errc::ConfigInvalid, "'" + std::string(text) + "' is not an IP range");
  IpRange range;
  range.addr = *ip;
  const bool v4 = text.substr(0, slash).find(':') == std::string_view::npos;
  range.prefix = 128;
  if (slash != std::string_view::npos) {
    int p = -1;
    const auto part = text.substr(slash + 1);
    auto [ptr, ec] = std::from_chars(part.data(), part.data() + part.size(), p);
    if (ec != std::errc() || ptr != part.data() + part.size() || p < 0 || p > (v4 ? 32 : 128)) {
      return fail(errc::ConfigInvalid, "'" + std::string(text) + "' has a bad prefix length");
    }
    range.prefix = v4 ? p + 96 : p;
  }
  return range;
}

Result<TrustedProxies> TrustedProxies::parse(const std::vector<std::string>& ranges) {
  TrustedProxies t;
  for (const auto& r : ranges) {
    auto range = parse_ip_range(r);
    if (!range) return fail(range.error());
    t.ranges_.push_back(*range);
  }
  return t;
}

bool TrustedProxies::trusts(std::string_view ip) const {
  if (ranges_.empty()) return false;
  auto parsed = parse_ip(ip);
  if (!parsed) return false;
  for (const auto& r : ranges_) {
    if (r.contains(*parsed)) return true;
  }
  return false;
}

std::string TrustedProxies::client_ip(std::string_view peer_ip,
                                      std::optional<std::string_view> xff) const {
  if (!xff || !trusts(peer_ip)) return std::string(peer_ip);
  std::string_view list = *xff;
  std::string candidate(peer_ip);
  while (!list.empty()) {
    const size_t comma = list.rfind(',');
    std::string_view item = comma == std::string_view::npos ? list : list.substr(comma + 1);
    list = comma == std::string_view::npos ? std::string_view{} : list.substr(0, comma);
    while (!item.empty() && item.front() == ' ') item.remove_prefix(1);
    while (!item.empty() && item.back() == ' ') item.remove_suffix(1);
    if (!parse_ip(item)) break;  // garbage: stop at the last address we could verify
    candidate = std::string(item);
    if (!trusts(item)) break;
  }
  return candidate;
}

}  // namespace gh::http
