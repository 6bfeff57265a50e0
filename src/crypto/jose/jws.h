// JWS compact serialization (RFC 7515 §7.1), strict: the key comes from our key set by kid
// only, and the algorithm from that key's entry, never from the token.
#pragma once

#include <string>
#include <string_view>

#include "core/result.h"
#include "crypto/jose/header.h"
#include "crypto/jose/key_set.h"

namespace gh::jose {

struct JwsSignOptions {
  std::string_view typ;  // e.g. "at+jwt"; omitted when empty
  std::string_view cty;
};

// Signs `payload` with `key` under its own alg; the header carries alg, kid (and typ/cty).
Result<std::string> jws_sign(const KeyEntry& key, std::string_view payload,
                             const JwsSignOptions& options = {});

struct JwsVerifyOptions {
  HeaderPolicy header;
  // Without a kid the token is refused, unless this is false and exactly one signing key of
  // the set allows the header's alg (peers with single-key JWKS that omit kid).
  bool require_kid = true;
};

struct VerifiedJws {
  JoseHeader header;
  std::string payload;
  std::string kid;
  Alg alg;
  KeyState key_state;
};

// Order of checks: shape and size -> header (none, jwk/jku/x5u/x5c, crit, typ) -> kid looked
// up (jose.key_not_found) -> revoked (jose.key_revoked) -> header alg equals the key's alg
// (jose.alg_not_allowed) -> key type (jose.key_type_mismatch) -> signature
// (jose.signature_invalid).
Result<VerifiedJws> jws_verify(std::string_view compact, const KeySet& keys,
                               const JwsVerifyOptions& options = {});

// Shared with JWE: the largest compact token we parse at all.
inline constexpr size_t kMaxCompactSize = 256 * 1024;

}  // namespace gh::jose
