// JWE compact serialization (RFC 7516 §7.1) with key management RSA-OAEP-256 or
// ECDH-ES+A256KW (RFC 7518 §4.3, §4.6) and content encryption A256GCM (§5.3) only.
// Every cryptographic failure while decrypting is the one error jose.decrypt_failed.
#pragma once

#include <string>
#include <string_view>

#include "core/random.h"
#include "core/result.h"
#include "crypto/jose/header.h"
#include "crypto/jose/key_set.h"

namespace gh::jose {

struct JweEncryptOptions {
  std::string_view typ;
  std::string_view cty;  // "JWT" for a nested (signed, then encrypted) token
};

// Encrypts to `recipient` (its public half suffices) under the recipient's alg and A256GCM.
Result<std::string> jwe_encrypt(const KeyEntry& recipient, std::string_view plaintext,
                                Random& random, const JweEncryptOptions& options = {});

struct JweDecryptOptions {
  HeaderPolicy header;
  bool require_kid = true;  // as for JWS: else exactly one enc key of the header's alg
};

struct DecryptedJwe {
  JoseHeader header;
  std::string plaintext;
  std::string kid;
  Alg alg;
};

Result<DecryptedJwe> jwe_decrypt(std::string_view compact, const KeySet& keys, Random& random,
                                 const JweDecryptOptions& options = {});

// RFC 7518 §4.6.2 Concat KDF (NIST SP 800-56A) with SHA-256, producing `key_bits` bits.
std::string concat_kdf(std::string_view z, std::string_view algorithm_id, std::string_view apu,
                       std::string_view apv, size_t key_bits);

}  // namespace gh::jose
