#include "events/signature.h"

#include <openssl/crypto.h>
#include <openssl/hmac.h>

#include <charconv>
#include <cstdlib>

namespace gh::events {

std::string hmac_sha256_hex(std::string_view key, std::string_view message) {
  unsigned char mac[32];
  unsigned int len = 0;
  HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()),
       reinterpret_cast<const unsigned char*>(message.data()), message.size(), mac, &len);
  static const char* digits = "0123456789abcdef";
  std::string out;
  out.reserve(len * 2);
  for (unsigned int i = 0; i < len; ++i) {
    out.push_back(digits[mac[i] >> 4]);
    out.push_back(digits[mac[i] & 15]);
  }
  return out;
}

std::string signature_header(int64_t timestamp_s, std::string_view body,
                             const std::vector<std::string>& secrets) {
  const std::string t = std::to_string(timestamp_s);
  std::string message = t + "." + std::string(body);
  std::string header = "t=" + t;
  for (const auto& s : secrets) header += ",v1=" + hmac_sha256_hex(s, message);
  return header;
}

bool verify_signature(std::string_view header, std::string_view body, std::string_view secret,
                      int64_t now_s, int64_t tolerance_s) {
  int64_t t = -1;
  std::vector<std::string_view> candidates;
  size_t start = 0;
  while (start <= header.size()) {
    size_t comma = header.find(',', start);
    std::string_view part = header.substr(
        start, comma == std::string_view::npos ? std::string_view::npos : comma - start);
    if (part.starts_with("t=")) {
      auto v = part.substr(2);
      auto [p, ec] = std::from_chars(v.data(), v.data() + v.size(), t);
      if (ec != std::errc() || p != v.data() + v.size()) return false;
    } else if (part.starts_with("v1=")) {
      candidates.push_back(part.substr(3));
    }
    if (comma == std::string_view::npos) break;
    start = comma + 1;
  }
  if (t < 0 || std::llabs(now_s - t) > tolerance_s) return false;
  const std::string expected = hmac_sha256_hex(secret, std::to_string(t) + "." + std::string(body));
  bool ok = false;
  for (auto c : candidates) {
    if (c.size() == expected.size() && CRYPTO_memcmp(c.data(), expected.data(), c.size()) == 0) {
      ok = true;
    }
  }
  return ok;
}

}  // namespace gh::events
