// Randomness comes in through an interface (tests inject a seeded one). The production
// source is OpenSSL's CSPRNG.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>

namespace gh {

class Random {
 public:
  virtual ~Random() = default;
  virtual void fill(std::span<uint8_t> out) = 0;

  std::string bytes(size_t n);
  std::string hex(size_t n_bytes);
  std::string base64url(size_t n_bytes);
};

class SecureRandom final : public Random {
 public:
  void fill(std::span<uint8_t> out) override;
  static SecureRandom& instance();
};

// Deterministic, for tests only (splitmix64).
class SeededRandom final : public Random {
 public:
  explicit SeededRandom(uint64_t seed) : state_(seed) {}
  void fill(std::span<uint8_t> out) override;

 private:
  uint64_t state_;
};

}  // namespace gh
