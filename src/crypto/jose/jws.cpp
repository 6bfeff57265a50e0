#include "crypto/jose/jws.h"

#include "core/encoding.h"
#include "crypto/error_codes.h"
#include "crypto/jose/signature.h"

namespace gh::jose {

namespace {

tl::unexpected<Error> malformed(std::string detail) {
  return fail(errc::JoseMalformed, {}, std::move(detail));
}

void append_member(std::string& out, std::string_view name, std::string_view value) {
  out += out.size() > 1 ? ",\"" : "\"";
  out += name;
  out += "\":";
  out += nlohmann::json(value).dump();
}

const KeyEntry* single_key_for(const KeySet& keys, std::optional<Alg> alg) {
  const KeyEntry* found = nullptr;
  for (const auto& e : keys.entries()) {
    if (e.use != KeyUse::Sig || !alg || e.alg != *alg) continue;
    if (found != nullptr) return nullptr;
    found = &e;
  }
  return found;
}

}  // namespace

Result<std::string> jws_sign(const KeyEntry& key, std::string_view payload,
                             const JwsSignOptions& options) {
  if (key.use != KeyUse::Sig) {
    return fail(errc::JoseAlgNotAllowed, {}, "key " + key.kid + " is not a signing key");
  }
  std::string header = "{";
  append_member(header, "alg", alg_name(key.alg));
  append_member(header, "kid", key.kid);
  if (!options.typ.empty()) append_member(header, "typ", options.typ);
  if (!options.cty.empty()) append_member(header, "cty", options.cty);
  header += '}';
  std::string token = base64url_encode(header);
  token += '.';
  token += base64url_encode(payload);
  auto sig = sign_bytes(key.key, key.alg, token);
  if (!sig) return fail(sig.error());
  token += '.';
  token += base64url_encode(*sig);
  return token;
}

Result<VerifiedJws> jws_verify(std::string_view compact, const KeySet& keys,
                               const JwsVerifyOptions& options) {
  if (compact.size() > kMaxCompactSize) return malformed("token too large");
  const size_t dot1 = compact.find('.');
  const size_t dot2 = dot1 == std::string_view::npos ? dot1 : compact.find('.', dot1 + 1);
  if (dot2 == std::string_view::npos || compact.find('.', dot2 + 1) != std::string_view::npos) {
    return malformed("a compact JWS has exactly three parts");
  }
  auto header = parse_protected_header(compact.substr(0, dot1), options.header);
  if (!header) return fail(header.error());
  if (!header->enc.empty()) return malformed("a JWS header has no enc");

  const KeyEntry* entry = nullptr;
  if (!header->kid.empty()) {
    entry = keys.find(header->kid);
  } else if (!options.require_kid) {
    entry = single_key_for(keys, header->alg);
  }
  if (entry == nullptr) {
    return fail(errc::JoseKeyNotFound, {},
                header->kid.empty() ? "token has no kid" : "unknown kid " + header->kid);
  }
  if (entry->state == KeyState::Revoked) {
    return fail(errc::JoseKeyRevoked, {}, "kid " + entry->kid + " is revoked");
  }
  // The allow-list: the header must name exactly the algorithm this key is registered for.
  if (entry->use != KeyUse::Sig || !header->alg || *header->alg != entry->alg) {
    return fail(errc::JoseAlgNotAllowed, {},
                "alg " + header->alg_name + " is not allowed for kid " + entry->kid);
  }
  if (auto ok = check_key_fits_alg(entry->key, entry->alg); !ok) return fail(ok.error());

  auto payload = base64url_decode(compact.substr(dot1 + 1, dot2 - dot1 - 1));
  if (!payload) return malformed("payload is not base64url");
  auto signature = base64url_decode(compact.substr(dot2 + 1));
  if (!signature || signature->empty()) return malformed("signature is not base64url");
  if (!verify_bytes(entry->key, entry->alg, compact.substr(0, dot2), *signature)) {
    return fail(errc::JoseSignatureInvalid, {}, "kid " + entry->kid);
  }
  return VerifiedJws{std::move(*header), std::move(*payload), entry->kid, entry->alg, entry->state};
}

}  // namespace gh::jose
