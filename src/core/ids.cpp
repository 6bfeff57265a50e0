#include "core/ids.h"

#include <array>
#include <cstdint>

#include "core/encoding.h"

namespace gh {

std::string new_uuid_v7(const Clock& clock, Random& random) {
  // RFC 9562 §5.7: 48-bit Unix ms timestamp, version 7, 74 random bits, variant 10.
  std::array<uint8_t, 16> b{};
  random.fill(b);
  const auto ms = static_cast<uint64_t>(clock.now_ms());
  for (int i = 0; i < 6; ++i) b[i] = static_cast<uint8_t>(ms >> (40 - 8 * i));
  b[6] = static_cast<uint8_t>((b[6] & 0x0f) | 0x70);
  b[8] = static_cast<uint8_t>((b[8] & 0x3f) | 0x80);
  const std::string hex = to_hex(std::string_view(reinterpret_cast<const char*>(b.data()), 16));
  return hex.substr(0, 8) + "-" + hex.substr(8, 4) + "-" + hex.substr(12, 4) + "-" +
         hex.substr(16, 4) + "-" + hex.substr(20);
}

bool is_uuid(std::string_view s) {
  if (s.size() != 36) return false;
  for (size_t i = 0; i < s.size(); ++i) {
    const char c = s[i];
    if (i == 8 || i == 13 || i == 18 || i == 23) {
      if (c != '-') return false;
    } else if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) {
      return false;
    }
  }
  return true;
}

std::string new_request_id(Random& random) { return random.hex(8); }

}  // namespace gh
