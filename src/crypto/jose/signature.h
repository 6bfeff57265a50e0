// The signature primitives under JWS, on a parsed key: RFC 7518 §3.3 (RS256), §3.5 (PS256),
// §3.4 (ES256: the JWS signature is r||s, 64 bytes, not DER), RFC 8037 §3.1 (EdDSA).
#pragma once

#include <string>
#include <string_view>

#include "core/result.h"
#include "crypto/jose/algorithm.h"
#include "crypto/jose/jwk.h"

namespace gh::jose {

// The JWS signature over `input`. Needs a private key of the type `alg` requires.
Result<std::string> sign_bytes(const Jwk& key, Alg alg, std::string_view input);
// True only for a valid signature by `key` under exactly `alg`.
bool verify_bytes(const Jwk& key, Alg alg, std::string_view input, std::string_view signature);

// ES256 signature encodings: DER ECDSA-Sig-Value <-> fixed 32+32 bytes. Empty on bad input.
std::string ecdsa_der_to_raw(std::string_view der);
std::string ecdsa_raw_to_der(std::string_view raw);

}  // namespace gh::jose
