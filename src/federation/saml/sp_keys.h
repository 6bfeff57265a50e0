// An SP key pair per connection and use (signing, encryption): RSA-2048 with a self-signed
// certificate (SAML metadata carries certificates; nobody validates an SP certificate's chain,
// IdPs pin it). The private key is returned as PEM for sealing; it is never stored in clear.
#pragma once

#include <string>

#include "core/result.h"

namespace gh::federation::saml {

struct SpKeyPair {
  std::string private_key_pem;  // PKCS#8
  std::string certificate_pem;
};

Result<SpKeyPair> generate_sp_key_pair(const std::string& common_name, int64_t now_ms);

// The base64 body of a PEM certificate (what ds:X509Certificate holds).
std::string certificate_body(const std::string& certificate_pem);

}  // namespace gh::federation::saml
