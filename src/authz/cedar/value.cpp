#include "authz/cedar/value.h"

#include <algorithm>
#include <cstdio>

namespace gh::cedar {

namespace {

__extension__ typedef unsigned __int128 u128;
__extension__ typedef __int128 i128;

template <class T>
int cmp3(const T& a, const T& b) {
  auto c = a <=> b;
  return c < 0 ? -1 : (c > 0 ? 1 : 0);
}

bool all_digits(std::string_view s) {
  if (s.empty()) return false;
  return std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

// Parses decimal digits into `out`, refusing values above `max`.
bool parse_nat(std::string_view s, u128 max, u128& out) {
  if (!all_digits(s)) return false;
  u128 n = 0;
  for (char c : s) {
    n = n * 10 + static_cast<unsigned>(c - '0');
    if (n > max) return false;
  }
  out = n;
  return true;
}

std::vector<std::string_view> split(std::string_view s, char sep) {
  std::vector<std::string_view> parts;
  size_t start = 0;
  while (true) {
    size_t pos = s.find(sep, start);
    if (pos == std::string_view::npos) {
      parts.push_back(s.substr(start));
      return parts;
    }
    parts.push_back(s.substr(start, pos - start));
    start = pos + 1;
  }
}

u128 ip_number(const IpAddr& a) {
  u128 n = 0;
  int bytes = a.v6 ? 16 : 4;
  for (int i = 0; i < bytes; ++i) n = (n << 8) | a.bytes[i];
  return n;
}

// cedar-spec IPAddr.lean CIDR.range: the first and last address of the network.
std::pair<u128, u128> ip_range(const IpAddr& a) {
  int host_bits = a.width() - a.prefix;
  u128 n = ip_number(a);
  if (host_bits >= 128) return {0, ~static_cast<u128>(0)};
  u128 lo = (n >> host_bits) << host_bits;
  u128 hi = lo + ((static_cast<u128>(1) << host_bits) - 1);
  return {lo, hi};
}

// cedar-spec parsePrefixNat: 1..digits characters, no leading zero, at most `size`.
std::optional<uint8_t> parse_prefix(std::string_view s, size_t digits, unsigned size) {
  if (s.empty() || s.size() > digits || (s[0] == '0' && s.size() > 1)) return std::nullopt;
  u128 n = 0;
  if (!parse_nat(s, size, n)) return std::nullopt;
  return static_cast<uint8_t>(n);
}

std::optional<IpAddr> parse_ipv4(std::string_view text) {
  auto slash = split(text, '/');
  if (slash.size() > 2) return std::nullopt;
  IpAddr a;
  a.prefix = 32;
  if (slash.size() == 2) {
    auto p = parse_prefix(slash[1], 2, 32);
    if (!p) return std::nullopt;
    a.prefix = *p;
  }
  auto segs = split(slash[0], '.');
  if (segs.size() != 4) return std::nullopt;
  for (int i = 0; i < 4; ++i) {
    auto s = segs[i];
    if (s.empty() || s.size() > 3 || (s[0] == '0' && s.size() > 1)) return std::nullopt;
    u128 n = 0;
    if (!parse_nat(s, 255, n)) return std::nullopt;
    a.bytes[i] = static_cast<uint8_t>(n);
  }
  return a;
}

bool parse_v6_groups(std::string_view s, std::vector<uint16_t>& out) {
  if (s.empty()) return true;
  for (auto g : split(s, ':')) {
    if (g.empty() || g.size() > 4) return false;
    unsigned n = 0;
    for (char c : g) {
      int d;
      if (c >= '0' && c <= '9') {
        d = c - '0';
      } else if (c >= 'a' && c <= 'f') {
        d = c - 'a' + 10;
      } else if (c >= 'A' && c <= 'F') {
        d = c - 'A' + 10;
      } else {
        return false;
      }
      n = n * 16 + static_cast<unsigned>(d);
    }
    out.push_back(static_cast<uint16_t>(n));
  }
  return true;
}

std::optional<IpAddr> parse_ipv6(std::string_view text) {
  auto slash = split(text, '/');
  if (slash.size() > 2) return std::nullopt;
  IpAddr a;
  a.v6 = true;
  a.prefix = 128;
  if (slash.size() == 2) {
    auto p = parse_prefix(slash[1], 3, 128);
    if (!p) return std::nullopt;
    a.prefix = *p;
  }
  std::string_view addr = slash[0];
  std::vector<uint16_t> groups;
  size_t dc = addr.find("::");
  if (dc == std::string_view::npos) {
    if (!parse_v6_groups(addr, groups)) return std::nullopt;
  } else {
    std::string_view left = addr.substr(0, dc), right = addr.substr(dc + 2);
    if (right.find("::") != std::string_view::npos) return std::nullopt;
    std::vector<uint16_t> tail;
    if (!parse_v6_groups(left, groups) || !parse_v6_groups(right, tail)) return std::nullopt;
    if (groups.size() + tail.size() >= 8) return std::nullopt;
    groups.resize(8 - tail.size(), 0);
    groups.insert(groups.end(), tail.begin(), tail.end());
  }
  if (groups.size() != 8) return std::nullopt;
  for (int i = 0; i < 8; ++i) {
    a.bytes[2 * i] = static_cast<uint8_t>(groups[i] >> 8);
    a.bytes[2 * i + 1] = static_cast<uint8_t>(groups[i] & 0xff);
  }
  return a;
}

// Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's days_from_civil).
int64_t days_from_civil(int64_t y, unsigned m, unsigned d) {
  y -= m <= 2;
  const int64_t era = (y >= 0 ? y : y - 399) / 400;
  const unsigned yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<int64_t>(doe) - 719468;
}

bool is_leap(int64_t y) { return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0; }

bool digits_at(std::string_view s, size_t pos, size_t n, unsigned& out) {
  if (pos + n > s.size()) return false;
  unsigned v = 0;
  for (size_t i = pos; i < pos + n; ++i) {
    if (s[i] < '0' || s[i] > '9') return false;
    v = v * 10 + static_cast<unsigned>(s[i] - '0');
  }
  out = v;
  return true;
}

}  // namespace

std::string EntityUid::to_string() const { return type + "::" + quote_cedar_string(id); }

bool IpAddr::in_range(const IpAddr& net) const {
  if (v6 != net.v6) return false;
  auto r1 = ip_range(*this);
  auto r2 = ip_range(net);
  return r2.second >= r1.second && r1.first >= r2.first;
}

bool IpAddr::is_loopback() const {
  IpAddr net;
  net.v6 = v6;
  if (v6) {
    net.bytes[15] = 1;
    net.prefix = 128;
  } else {
    net.bytes[0] = 127;
    net.prefix = 8;
  }
  return in_range(net);
}

bool IpAddr::is_multicast() const {
  IpAddr net;
  net.v6 = v6;
  if (v6) {
    net.bytes[0] = 0xff;
    net.prefix = 8;
  } else {
    net.bytes[0] = 224;
    net.prefix = 4;
  }
  return in_range(net);
}

std::string IpAddr::to_string() const {
  char buf[64];
  std::string out;
  if (!v6) {
    std::snprintf(buf, sizeof buf, "%u.%u.%u.%u", bytes[0], bytes[1], bytes[2], bytes[3]);
    out = buf;
  } else {
    for (int i = 0; i < 8; ++i) {
      std::snprintf(buf, sizeof buf, "%s%x", i ? ":" : "", (bytes[2 * i] << 8) | bytes[2 * i + 1]);
      out += buf;
    }
  }
  if (prefix != width()) out += "/" + std::to_string(prefix);
  return out;
}

std::string Decimal::to_string() const {
  u128 mag = scaled < 0 ? static_cast<u128>(-(scaled + 1)) + 1 : static_cast<u128>(scaled);
  auto left = static_cast<unsigned long long>(mag / 10000);
  auto right = static_cast<unsigned>(mag % 10000);
  char buf[48];
  std::snprintf(buf, sizeof buf, "%s%llu.%04u", scaled < 0 ? "-" : "", left, right);
  return buf;
}

std::optional<IpAddr> parse_ip(std::string_view text) {
  if (auto v4 = parse_ipv4(text)) return v4;
  return parse_ipv6(text);
}

// cedar-spec Decimal.parse: <int>.<1 to 4 digits>, scaled by 10⁴, within 64 bits.
std::optional<Decimal> parse_decimal(std::string_view text) {
  auto parts = split(text, '.');
  if (parts.size() != 2) return std::nullopt;
  std::string_view left = parts[0], right = parts[1];
  if (right.empty() || right.size() > 4 || !all_digits(right)) return std::nullopt;
  bool negative = !left.empty() && left[0] == '-';
  if (negative) left.remove_prefix(1);
  u128 l = 0, r = 0;
  if (!parse_nat(left, static_cast<u128>(1) << 80, l)) return std::nullopt;
  parse_nat(right, 9999, r);
  for (size_t i = right.size(); i < 4; ++i) r *= 10;
  u128 mag = l * 10000 + r;
  if (negative) {
    if (mag > static_cast<u128>(INT64_MAX) + 1) return std::nullopt;
    return Decimal{mag == static_cast<u128>(INT64_MAX) + 1 ? INT64_MIN
                                                           : -static_cast<int64_t>(mag)};
  }
  if (mag > static_cast<u128>(INT64_MAX)) return std::nullopt;
  return Decimal{static_cast<int64_t>(mag)};
}

// RFC 80 / cedar-spec Datetime.parse: YYYY-MM-DD, optionally Thh:mm:ss, optionally .SSS, then Z
// or (+|-)hhmm. Leap seconds are refused and the offset must stay below 24 hours.
std::optional<Datetime> parse_datetime(std::string_view s) {
  unsigned year, month, day, hour = 0, minute = 0, second = 0, millis = 0;
  if (s.size() < 10 || !digits_at(s, 0, 4, year) || s[4] != '-' || !digits_at(s, 5, 2, month) ||
      s[7] != '-' || !digits_at(s, 8, 2, day))
    return std::nullopt;
  if (month < 1 || month > 12 || day < 1) return std::nullopt;
  static constexpr unsigned kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  unsigned dim = kDays[month - 1] + (month == 2 && is_leap(year) ? 1 : 0);
  if (day > dim) return std::nullopt;
  int64_t offset_seconds = 0;
  if (s.size() > 10) {
    if (s[10] != 'T' || !digits_at(s, 11, 2, hour) || s.size() < 19 || s[13] != ':' ||
        !digits_at(s, 14, 2, minute) || s[16] != ':' || !digits_at(s, 17, 2, second))
      return std::nullopt;
    if (hour > 23 || minute > 59 || second > 59) return std::nullopt;
    size_t pos = 19;
    if (pos < s.size() && s[pos] == '.') {
      if (!digits_at(s, pos + 1, 3, millis)) return std::nullopt;
      pos += 4;
    }
    if (pos >= s.size()) return std::nullopt;
    if (s[pos] == 'Z') {
      if (pos + 1 != s.size()) return std::nullopt;
    } else if (s[pos] == '+' || s[pos] == '-') {
      unsigned oh, om;
      if (pos + 5 != s.size() || !digits_at(s, pos + 1, 2, oh) || !digits_at(s, pos + 3, 2, om))
        return std::nullopt;
      if (om >= 60) return std::nullopt;
      offset_seconds = static_cast<int64_t>(oh) * 3600 + om * 60;
      if (offset_seconds >= 86400) return std::nullopt;
      if (s[pos] == '-') offset_seconds = -offset_seconds;
    } else {
      return std::nullopt;
    }
  }
  int64_t days = days_from_civil(year, month, day);
  int64_t ms = days * 86400000 + static_cast<int64_t>(hour) * 3600000 +
               static_cast<int64_t>(minute) * 60000 + static_cast<int64_t>(second) * 1000 + millis -
               offset_seconds * 1000;
  return Datetime{ms};
}

// cedar-spec Duration.parse: an optional leading '-', then quantity-unit pairs in the order d, h,
// m, s, ms, each at most once; the sum must fit in 64 bits.
std::optional<Duration> parse_duration(std::string_view s) {
  bool negative = !s.empty() && s[0] == '-';
  if (negative) s.remove_prefix(1);
  if (s.empty()) return std::nullopt;
  static constexpr std::pair<std::string_view, int64_t> kUnits[] = {
      {"ms", 1}, {"s", 1000}, {"m", 60000}, {"h", 3600000}, {"d", 86400000}};
  i128 total = 0;
  for (const auto& [suffix, scale] : kUnits) {
    if (s.size() < suffix.size() || s.substr(s.size() - suffix.size()) != suffix) continue;
    std::string_view rest = s.substr(0, s.size() - suffix.size());
    size_t start = rest.size();
    while (start > 0 && rest[start - 1] >= '0' && rest[start - 1] <= '9') --start;
    if (start == rest.size()) return std::nullopt;
    u128 n = 0;
    if (!parse_nat(rest.substr(start), static_cast<u128>(INT64_MAX) + 1, n)) return std::nullopt;
    if (!negative && n > static_cast<u128>(INT64_MAX)) return std::nullopt;
    i128 v = static_cast<i128>(n) * scale;
    total += negative ? -v : v;
    s = rest.substr(0, start);
  }
  if (!s.empty()) return std::nullopt;
  if (total > INT64_MAX || total < INT64_MIN) return std::nullopt;
  return Duration{static_cast<int64_t>(total)};
}

const char* kind_name(Kind kind) {
  switch (kind) {
    case Kind::kBool:
      return "bool";
    case Kind::kLong:
      return "long";
    case Kind::kString:
      return "string";
    case Kind::kEntity:
      return "entity";
    case Kind::kSet:
      return "set";
    case Kind::kRecord:
      return "record";
    case Kind::kIp:
      return "ipaddr";
    case Kind::kDecimal:
      return "decimal";
    case Kind::kDatetime:
      return "datetime";
    case Kind::kDuration:
      return "duration";
  }
  return "?";
}

Value Value::set(ValueSet elements) {
  std::sort(elements.begin(), elements.end(),
            [](const Value& a, const Value& b) { return compare(a, b) < 0; });
  elements.erase(std::unique(elements.begin(), elements.end()), elements.end());
  return Value(
      Storage(std::in_place_index<4>, std::make_shared<const ValueSet>(std::move(elements))));
}

Value Value::record(Record fields) {
  std::stable_sort(fields.begin(), fields.end(),
                   [](const auto& a, const auto& b) { return a.first < b.first; });
  Record unique;
  unique.reserve(fields.size());
  for (auto& f : fields) {
    if (!unique.empty() && unique.back().first == f.first) {
      unique.back().second = std::move(f.second);
    } else {
      unique.push_back(std::move(f));
    }
  }
  return Value(Storage(std::in_place_index<5>, std::make_shared<const Record>(std::move(unique))));
}

int compare(const Value& a, const Value& b) {
  if (a.v_.index() != b.v_.index()) return a.v_.index() < b.v_.index() ? -1 : 1;
  switch (a.kind()) {
    case Kind::kBool:
      return cmp3(a.as_bool(), b.as_bool());
    case Kind::kLong:
      return cmp3(a.as_long(), b.as_long());
    case Kind::kString: {
      if (std::get<2>(a.v_) == std::get<2>(b.v_)) return 0;
      int c = a.as_string().compare(b.as_string());
      return c < 0 ? -1 : (c > 0 ? 1 : 0);
    }
    case Kind::kEntity:
      if (std::get<3>(a.v_) == std::get<3>(b.v_)) return 0;
      return cmp3(a.as_entity(), b.as_entity());
    case Kind::kSet: {
      const auto& x = a.as_set();
      const auto& y = b.as_set();
      if (&x == &y) return 0;
      if (x.size() != y.size()) return x.size() < y.size() ? -1 : 1;
      for (size_t i = 0; i < x.size(); ++i) {
        if (int c = compare(x[i], y[i])) return c;
      }
      return 0;
    }
    case Kind::kRecord: {
      const auto& x = a.as_record();
      const auto& y = b.as_record();
      if (&x == &y) return 0;
      if (x.size() != y.size()) return x.size() < y.size() ? -1 : 1;
      for (size_t i = 0; i < x.size(); ++i) {
        int k = x[i].first.compare(y[i].first);
        if (k) return k < 0 ? -1 : 1;
        if (int c = compare(x[i].second, y[i].second)) return c;
      }
      return 0;
    }
    case Kind::kIp:
      return cmp3(a.as_ip(), b.as_ip());
    case Kind::kDecimal:
      return cmp3(a.as_decimal(), b.as_decimal());
    case Kind::kDatetime:
      return cmp3(a.as_datetime(), b.as_datetime());
    case Kind::kDuration:
      return cmp3(a.as_duration(), b.as_duration());
  }
  return 0;
}

const Value* find_field(const Record& record, std::string_view key) {
  auto it = std::lower_bound(record.begin(), record.end(), key,
                             [](const auto& f, std::string_view k) { return f.first < k; });
  if (it == record.end() || it->first != key) return nullptr;
  return &it->second;
}

std::string quote_cedar_string(std::string_view s) {
  std::string out = "\"";
  for (unsigned char c : s) {
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\r':
        out += "\\r";
        break;
      case '\t':
        out += "\\t";
        break;
      case '\0':
        out += "\\0";
        break;
      default:
        if (c < 0x20 || c == 0x7f) {
          char buf[12];
          std::snprintf(buf, sizeof buf, "\\u{%x}", c);
          out += buf;
        } else {
          out += static_cast<char>(c);
        }
    }
  }
  out += '"';
  return out;
}

}  // namespace gh::cedar
