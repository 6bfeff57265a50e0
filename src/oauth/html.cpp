#include "oauth/html.h"

#include <openssl/evp.h>

#include <stdexcept>

#include "core/encoding.h"
#include "crypto/openssl.h"

namespace gh::oauth {

std::string csp_sha256(std::string_view inline_body) {
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  if (EVP_Digest(inline_body.data(), inline_body.size(), md, &len, crypto::sha256(), nullptr) !=
      1) {
    throw std::runtime_error("SHA-256 failed: " + crypto::openssl_error());
  }
  return "'sha256-" + base64_encode(std::string_view(reinterpret_cast<const char*>(md), len)) + "'";
}

}  // namespace gh::oauth
