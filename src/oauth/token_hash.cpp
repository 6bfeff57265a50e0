#include "oauth/token_hash.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include "core/encoding.h"
#include "crypto/openssl.h"

namespace gh::oauth {

std::string sha256_bytes(std::string_view data) {
  std::string out(32, '\0');
  unsigned int len = 0;
  EVP_Digest(data.data(), data.size(), crypto::bytes_of(out), &len, crypto::sha256(), nullptr);
  out.resize(len);
  return out;
}

std::string token_hash(std::string_view token) { return to_hex(sha256_bytes(token)); }

bool constant_time_equal(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  return CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

bool is_valid_code_verifier(std::string_view v) {
  if (v.size() < 43 || v.size() > 128) return false;
  for (char c : v) {
    const bool ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
                    c == '-' || c == '.' || c == '_' || c == '~';
    if (!ok) return false;
  }
  return true;
}

bool pkce_s256_matches(std::string_view verifier, std::string_view challenge) {
  return constant_time_equal(base64url_encode(sha256_bytes(verifier)), challenge);
}

}  // namespace gh::oauth
