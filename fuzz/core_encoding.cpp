// Every decoder round-trips what its encoder made and never crashes on arbitrary input.
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "core/encoding.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view in(reinterpret_cast<const char*>(data), size);
  if (auto d = gh::base64url_decode(in)) {
    if (gh::base64url_encode(*d) != in) std::abort();  // canonical: one value, one encoding
  }
  if (gh::base64url_decode(gh::base64url_encode(in)) != std::string(in)) std::abort();
  if (gh::base64_decode(gh::base64_encode(in)) != std::string(in)) std::abort();
  (void)gh::base64_decode(in);
  if (gh::percent_decode(gh::percent_encode(in), false) != std::string(in)) std::abort();
  (void)gh::percent_decode(in, true);
  if (auto params = gh::parse_query(in)) {
    for (const auto& [k, v] : *params) {
      (void)k;
      (void)v;
    }
  }
  (void)gh::is_valid_utf8(in);
  return 0;
}
