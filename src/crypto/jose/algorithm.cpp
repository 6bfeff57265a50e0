#include "crypto/jose/algorithm.h"

#include <array>
#include <utility>

namespace gh::jose {

namespace {
constexpr std::array<std::pair<Alg, std::string_view>, 6> kNames = {{
    {Alg::RS256, "RS256"},
    {Alg::PS256, "PS256"},
    {Alg::ES256, "ES256"},
    {Alg::EdDSA, "EdDSA"},
    {Alg::RsaOaep256, "RSA-OAEP-256"},
    {Alg::EcdhEsA256kw, "ECDH-ES+A256KW"},
}};
}  // namespace

std::string_view alg_name(Alg alg) {
  for (const auto& [a, name] : kNames) {
    if (a == alg) return name;
  }
  return {};
}

std::optional<Alg> parse_alg(std::string_view name) {
  // Case-sensitive on purpose (RFC 7515 §4.1.1).
  for (const auto& [a, n] : kNames) {
    if (n == name) return a;
  }
  return std::nullopt;
}

bool is_signing_alg(Alg alg) {
  return alg == Alg::RS256 || alg == Alg::PS256 || alg == Alg::ES256 || alg == Alg::EdDSA;
}

KeyType key_type_for(Alg alg) {
  switch (alg) {
    case Alg::RS256:
    case Alg::PS256:
    case Alg::RsaOaep256:
      return KeyType::RSA;
    case Alg::ES256:
    case Alg::EcdhEsA256kw:
      return KeyType::EC;
    case Alg::EdDSA:
      return KeyType::OKP;
  }
  return KeyType::RSA;
}

std::string_view key_type_name(KeyType type) {
  switch (type) {
    case KeyType::RSA:
      return "RSA";
    case KeyType::EC:
      return "EC";
    case KeyType::OKP:
      return "OKP";
  }
  return {};
}

}  // namespace gh::jose
