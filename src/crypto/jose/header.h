// The JOSE protected header, parsed once into a typed struct, and the checks that apply to every
// token before any key is touched (RFC 7515 §4, RFC 7516 §4).
#pragma once

#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"
#include "crypto/jose/algorithm.h"

namespace gh::jose {

struct JoseHeader {
  std::string alg_name;    // as written in the token
  std::optional<Alg> alg;  // set when the name is one we implement
  std::string kid;
  std::string typ;
  std::string cty;
  std::string enc;  // JWE only
  std::vector<std::string> crit;
  nlohmann::json raw;  // the whole object, for crit extensions the caller understands
};

struct HeaderPolicy {
  // Required typ (RFC 8725 §3.11), compared case-insensitively, with or without the
  // "application/" prefix (RFC 7515 §4.1.9). Empty: typ is not checked.
  std::string_view typ;
  // Header extensions the caller processes; any other name in "crit" fails the token.
  std::vector<std::string> understood_crit;
};

// Decodes and checks a base64url protected header:
// - a JSON object with a string "alg"; "none" (any case) -> jose.alg_not_allowed;
// - "jwk", "jku", "x5u", "x5c" present -> jose.header_forbidden (keys come from our sets only);
// - "crit": a non-empty array of names present in the header, each understood -> else
//   jose.crit_unsupported; "b64" (RFC 7797) is never understood;
// - "zip" -> jose.malformed (compressed plaintext is refused);
// - typ as required by the policy -> else jose.typ_mismatch.
Result<JoseHeader> parse_protected_header(std::string_view b64, const HeaderPolicy& policy);

bool typ_matches(std::string_view actual, std::string_view expected);

}  // namespace gh::jose
