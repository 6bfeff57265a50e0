#include "core/random.h"

#include <openssl/rand.h>

#include <stdexcept>

#include "core/encoding.h"

namespace gh {

std::string Random::bytes(size_t n) {
  std::string out(n, '\0');
  fill({reinterpret_cast<uint8_t*>(out.data()), out.size()});
  return out;
}

std::string Random::hex(size_t n_bytes) { return to_hex(bytes(n_bytes)); }
std::string Random::base64url(size_t n_bytes) { return base64url_encode(bytes(n_bytes)); }

void SecureRandom::fill(std::span<uint8_t> out) {
  if (out.empty()) return;
  // RAND_bytes only fails when the CSPRNG cannot be seeded; continuing would be unsafe.
  if (RAND_bytes(out.data(), static_cast<int>(out.size())) != 1) {
    throw std::runtime_error("OpenSSL RAND_bytes failed");
  }
}

SecureRandom& SecureRandom::instance() {
  static SecureRandom random;
  return random;
}

void SeededRandom::fill(std::span<uint8_t> out) {
  for (auto& b : out) {
    state_ += 0x9e3779b97f4a7c15ULL;
    uint64_t z = state_;
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    b = static_cast<uint8_t>(z ^ (z >> 31));
  }
}

}  // namespace gh
