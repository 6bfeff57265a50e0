// The JOSE algorithms Gatehouse implements (RFC 7518, RFC 8037). "none" and the HMAC family are
// deliberately absent: a token naming them never finds a verifier.
#pragma once

#include <optional>
#include <string_view>

namespace gh::jose {

enum class Alg {
  RS256,         // RSASSA-PKCS1-v1_5 with SHA-256 (2048- or 3072-bit keys)
  PS256,         // RSASSA-PSS with SHA-256, MGF1-SHA-256, salt length 32
  ES256,         // ECDSA P-256 with SHA-256, raw r||s signatures (RFC 7518 §3.4)
  EdDSA,         // Ed25519 (RFC 8037)
  RsaOaep256,    // JWE key management RSA-OAEP-256 (OAEP, SHA-256, MGF1-SHA-256)
  EcdhEsA256kw,  // JWE key management ECDH-ES+A256KW on P-256
};

enum class KeyType { RSA, EC, OKP };

std::string_view alg_name(Alg alg);
// Only the names above parse; "none", "HS256", "RSA1_5", ... return nullopt.
std::optional<Alg> parse_alg(std::string_view name);
bool is_signing_alg(Alg alg);
KeyType key_type_for(Alg alg);
std::string_view key_type_name(KeyType type);

// The only content encryption we accept (RFC 7518 §5.3).
inline constexpr std::string_view kEncA256Gcm = "A256GCM";

}  // namespace gh::jose
