// One asymmetric key, parsed once into an EVP_PKEY (RFC 7517 JWK, RFC 7518 §6, RFC 8037 OKP).
// Supported: RSA (2048..8192 bits), EC P-256, OKP Ed25519. Symmetric ("oct") keys are refused:
// an HMAC key can never be made from, or confused with, one of these.
#pragma once

#include <openssl/types.h>

#include <memory>
#include <nlohmann/json.hpp>
#include <string>

#include "core/result.h"
#include "crypto/jose/algorithm.h"

namespace gh::jose {

enum class KeySpec { Rsa2048, Rsa3072, EcP256, Ed25519 };

class Jwk {
 public:
  // Parses the key members of a JWK object (kty and its parameters). Metadata members
  // (kid, alg, use) are the key set's business. A JWK with any private member is imported as
  // a private key and must carry all of them (RSA: d, p, q, dp, dq, qi).
  static Result<Jwk> from_json(const nlohmann::json& jwk);
  static Result<Jwk> generate(KeySpec spec);
  // Takes ownership of an EVP_PKEY made elsewhere (RSA, EC P-256 or Ed25519).
  static Result<Jwk> from_pkey(EVP_PKEY* pkey, bool has_private);

  KeyType type() const { return type_; }
  bool has_private() const { return has_private_; }
  int bits() const;
  EVP_PKEY* pkey() const { return pkey_.get(); }

  // Public members only, whatever this key holds: {"kty", "n", "e"} / {"kty", "crv", "x",
  // "y"} / {"kty", "crv", "x"}.
  nlohmann::json public_json() const;
  // Public and private members, for sealing private keys at rest. Never publish this.
  nlohmann::json private_json() const;
  // RFC 7638 JWK thumbprint (SHA-256, base64url): our kid.
  std::string thumbprint() const;
  // A copy holding only the public half.
  Result<Jwk> public_only() const;

 private:
  Jwk(std::shared_ptr<EVP_PKEY> pkey, KeyType type, bool has_private)
      : pkey_(std::move(pkey)), type_(type), has_private_(has_private) {}
  std::shared_ptr<EVP_PKEY> pkey_;
  KeyType type_ = KeyType::RSA;
  bool has_private_ = false;
};

}  // namespace gh::jose
