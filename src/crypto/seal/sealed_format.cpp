#include "crypto/seal/sealed_format.h"

#include "crypto/aead.h"

namespace gh::crypto {

namespace {
void put_field(std::string& out, std::string_view v) {
  const auto n = static_cast<uint32_t>(v.size());
  const char len[4] = {static_cast<char>(n >> 24), static_cast<char>(n >> 16),
                       static_cast<char>(n >> 8), static_cast<char>(n)};
  out.append(len, 4);
  out.append(v);
}
}  // namespace

std::optional<SealedView> parse_sealed(std::string_view sealed) {
  if (sealed.size() < 2 || static_cast<uint8_t>(sealed[0]) != kSealedVersion1) return std::nullopt;
  const size_t id_len = static_cast<uint8_t>(sealed[1]);
  if (id_len == 0 || id_len > kMaxDataKeyIdSize) return std::nullopt;
  const size_t header_len = 2 + id_len;
  if (sealed.size() < header_len + kGcmNonceSize + kGcmTagSize) return std::nullopt;
  SealedView v;
  v.header = sealed.substr(0, header_len);
  v.key_id = sealed.substr(2, id_len);
  v.nonce = sealed.substr(header_len, kGcmNonceSize);
  v.ciphertext = sealed.substr(header_len + kGcmNonceSize,
                               sealed.size() - header_len - kGcmNonceSize - kGcmTagSize);
  v.tag = sealed.substr(sealed.size() - kGcmTagSize);
  return v;
}

std::string sealed_header(std::string_view key_id) {
  std::string h;
  h += static_cast<char>(kSealedVersion1);
  h += static_cast<char>(key_id.size());
  h += key_id;
  return h;
}

void append_seal_aad(std::string& out, std::string_view header, const SealContext& c) {
  out += "gatehouse.seal.v1";
  put_field(out, header);
  put_field(out, c.environment);
  put_field(out, c.organization);
  put_field(out, c.table);
  put_field(out, c.row);
  put_field(out, c.column);
}

}  // namespace gh::crypto
