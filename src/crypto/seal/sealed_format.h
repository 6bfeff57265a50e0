// The sealed-value format, versioned and self-describing:
//   v1: 0x01 | key id length (1 byte, 1..64) | key id (ASCII) | nonce (12) | ciphertext | tag (16)
// The AAD is the header (version, length, key id) followed by the SealContext, each field
// length-prefixed so that ("ab","c") and ("a","bc") never collide.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace gh::crypto {

// Where a sealed value lives. Every field is bound into the AAD: a ciphertext copied to
// another environment, organization, table, row or column does not open.
struct SealContext {
  std::string_view environment;
  std::string_view organization;
  std::string_view table;
  std::string_view row;
  std::string_view column;
};

inline constexpr uint8_t kSealedVersion1 = 0x01;
inline constexpr size_t kMaxDataKeyIdSize = 64;

struct SealedView {
  std::string_view header;  // version, key id length and key id: authenticated
  std::string_view key_id;
  std::string_view nonce;
  std::string_view ciphertext;
  std::string_view tag;
};

std::optional<SealedView> parse_sealed(std::string_view sealed);
std::string sealed_header(std::string_view key_id);
// Appends the AAD for (header, context) to `out`.
void append_seal_aad(std::string& out, std::string_view header, const SealContext& context);

}  // namespace gh::crypto
