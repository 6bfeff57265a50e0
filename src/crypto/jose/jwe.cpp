#include "crypto/jose/jwe.h"

#include <openssl/rsa.h>

#include <array>

#include "core/encoding.h"
#include "crypto/aead.h"
#include "crypto/error_codes.h"
#include "crypto/jose/jws.h"
#include "crypto/openssl.h"

namespace gh::jose {

using crypto::bytes_of;
using crypto::PkeyCtxPtr;

namespace {

constexpr size_t kCekSize = 32;  // A256GCM

tl::unexpected<Error> malformed(std::string detail) {
  return fail(errc::JoseMalformed, {}, std::move(detail));
}
tl::unexpected<Error> decrypt_failed(std::string detail = {}) {
  return fail(errc::JoseDecryptFailed, {}, std::move(detail));
}
tl::unexpected<Error> internal(std::string what) {
  return fail(errc::CryptoInternal, {}, what + ": " + crypto::openssl_error());
}

void put_u32(std::string& out, uint32_t v) {
  for (int shift = 24; shift >= 0; shift -= 8) out += static_cast<char>((v >> shift) & 0xff);
}

bool rsa_oaep_setup(EVP_PKEY_CTX* ctx) {
  return EVP_PKEY_CTX_set_rsa_padding(ctx, RSA_PKCS1_OAEP_PADDING) == 1 &&
         EVP_PKEY_CTX_set_rsa_oaep_md(ctx, crypto::sha256()) == 1 &&
         EVP_PKEY_CTX_set_rsa_mgf1_md(ctx, crypto::sha256()) == 1;
}

// AES Key Wrap (RFC 3394) with the default IV.
bool aes_kw(bool wrap, std::string_view kek, std::string_view in, std::string& out) {
  crypto::CipherCtxPtr ctx(EVP_CIPHER_CTX_new());
  if (!ctx || kek.size() != 32) return false;
  EVP_CIPHER_CTX_set_flags(ctx.get(), EVP_CIPHER_CTX_FLAG_WRAP_ALLOW);
  if (EVP_CipherInit_ex2(ctx.get(), crypto::aes256wrap(), bytes_of(kek), nullptr, wrap ? 1 : 0,
                         nullptr) != 1) {
    return false;
  }
  out.assign(in.size() + 16, '\0');
  int len = 0;
  int fin = 0;
  if (EVP_CipherUpdate(ctx.get(), bytes_of(out), &len, bytes_of(in), static_cast<int>(in.size())) !=
          1 ||
      EVP_CipherFinal_ex(ctx.get(), bytes_of(out) + len, &fin) != 1) {
    crypto::cleanse(out);
    return false;
  }
  out.resize(static_cast<size_t>(len + fin));
  return true;
}

bool ecdh(EVP_PKEY* own, EVP_PKEY* peer, std::string& z) {
  PkeyCtxPtr ctx(EVP_PKEY_CTX_new_from_pkey(nullptr, own, nullptr));
  size_t len = 0;
  if (!ctx || EVP_PKEY_derive_init(ctx.get()) != 1 ||
      EVP_PKEY_derive_set_peer(ctx.get(), peer) != 1 ||
      EVP_PKEY_derive(ctx.get(), nullptr, &len) != 1) {
    return false;
  }
  z.assign(len, '\0');
  if (EVP_PKEY_derive(ctx.get(), bytes_of(z), &len) != 1) return false;
  z.resize(len);
  return true;
}

struct Parts {
  std::string_view header, encrypted_key, iv, ciphertext, tag;
};

std::optional<Parts> split5(std::string_view compact) {
  std::array<std::string_view, 5> p;
  size_t start = 0;
  for (size_t i = 0; i < 5; ++i) {
    const size_t dot = compact.find('.', start);
    if ((i < 4) == (dot == std::string_view::npos)) return std::nullopt;
    p[i] = compact.substr(start, i < 4 ? dot - start : std::string_view::npos);
    start = dot + 1;
  }
  return Parts{p[0], p[1], p[2], p[3], p[4]};
}

}  // namespace

std::string concat_kdf(std::string_view z, std::string_view algorithm_id, std::string_view apu,
                       std::string_view apv, size_t key_bits) {
  std::string out;
  const size_t key_bytes = key_bits / 8;
  for (uint32_t counter = 1; out.size() < key_bytes; ++counter) {
    std::string input;
    put_u32(input, counter);
    input += z;
    put_u32(input, static_cast<uint32_t>(algorithm_id.size()));
    input += algorithm_id;
    put_u32(input, static_cast<uint32_t>(apu.size()));
    input += apu;
    put_u32(input, static_cast<uint32_t>(apv.size()));
    input += apv;
    put_u32(input, static_cast<uint32_t>(key_bits));  // SuppPubInfo
    unsigned char digest[EVP_MAX_MD_SIZE];
    unsigned int len = 0;
    EVP_Digest(input.data(), input.size(), digest, &len, crypto::sha256(), nullptr);
    out.append(reinterpret_cast<char*>(digest), len);
    crypto::cleanse(input);
  }
  out.resize(key_bytes);
  return out;
}

Result<std::string> jwe_encrypt(const KeyEntry& recipient, std::string_view plaintext,
                                Random& random, const JweEncryptOptions& options) {
  if (recipient.use != KeyUse::Enc) {
    return fail(errc::JoseAlgNotAllowed, {}, "key " + recipient.kid + " is not for enc");
  }
  if (auto ok = check_key_fits_alg(recipient.key, recipient.alg); !ok) return fail(ok.error());
  nlohmann::json header = {
      {"alg", alg_name(recipient.alg)}, {"enc", kEncA256Gcm}, {"kid", recipient.kid}};
  if (!options.typ.empty()) header["typ"] = options.typ;
  if (!options.cty.empty()) header["cty"] = options.cty;

  std::string cek = random.bytes(kCekSize);
  std::string encrypted_key;
  if (recipient.alg == Alg::RsaOaep256) {
    PkeyCtxPtr ctx(EVP_PKEY_CTX_new_from_pkey(nullptr, recipient.key.pkey(), nullptr));
    size_t len = 0;
    if (!ctx || EVP_PKEY_encrypt_init(ctx.get()) != 1 || !rsa_oaep_setup(ctx.get()) ||
        EVP_PKEY_encrypt(ctx.get(), nullptr, &len, bytes_of(cek), cek.size()) != 1) {
      return internal("RSA-OAEP-256");
    }
    encrypted_key.assign(len, '\0');
    if (EVP_PKEY_encrypt(ctx.get(), bytes_of(encrypted_key), &len, bytes_of(cek), cek.size()) !=
        1) {
      return internal("RSA-OAEP-256");
    }
    encrypted_key.resize(len);
  } else {
    auto ephemeral = Jwk::generate(KeySpec::EcP256);
    if (!ephemeral) return fail(ephemeral.error());
    std::string z;
    if (!ecdh(ephemeral->pkey(), recipient.key.pkey(), z)) return internal("ECDH");
    std::string kek = concat_kdf(z, alg_name(recipient.alg), {}, {}, 256);
    crypto::cleanse(z);
    const bool ok = aes_kw(true, kek, cek, encrypted_key);
    crypto::cleanse(kek);
    if (!ok) return internal("A256KW");
    header["epk"] = ephemeral->public_json();
  }

  const std::string header_b64 = base64url_encode(header.dump());
  const std::string iv = random.bytes(crypto::kGcmNonceSize);
  std::string ciphertext, tag;
  const bool ok = crypto::aes256gcm_encrypt(cek, iv, header_b64, plaintext, ciphertext, tag);
  crypto::cleanse(cek);
  if (!ok) return internal("A256GCM");
  std::string out = header_b64;
  for (const std::string* part :
       std::initializer_list<const std::string*>{&encrypted_key, &iv, &ciphertext, &tag}) {
    out += '.';
    out += base64url_encode(*part);
  }
  return out;
}

Result<DecryptedJwe> jwe_decrypt(std::string_view compact, const KeySet& keys, Random& random,
                                 const JweDecryptOptions& options) {
  if (compact.size() > kMaxCompactSize) return malformed("token too large");
  auto parts = split5(compact);
  if (!parts) return malformed("a compact JWE has exactly five parts");
  auto header = parse_protected_header(parts->header, options.header);
  if (!header) return fail(header.error());
  if (header->enc != kEncA256Gcm) {
    return fail(errc::JoseAlgNotAllowed, {}, "enc " + header->enc + " is not accepted");
  }

  const KeyEntry* entry = nullptr;
  if (!header->kid.empty()) {
    entry = keys.find(header->kid);
  } else if (!options.require_kid && header->alg) {
    for (const auto& e : keys.entries()) {
      if (e.use != KeyUse::Enc || e.alg != *header->alg) continue;
      if (entry != nullptr) {
        entry = nullptr;
        break;
      }
      entry = &e;
    }
  }
  if (entry == nullptr) {
    return fail(errc::JoseKeyNotFound, {},
                header->kid.empty() ? "token has no kid" : "unknown kid " + header->kid);
  }
  if (entry->state == KeyState::Revoked) {
    return fail(errc::JoseKeyRevoked, {}, "kid " + entry->kid + " is revoked");
  }
  if (entry->use != KeyUse::Enc || !header->alg || *header->alg != entry->alg) {
    return fail(errc::JoseAlgNotAllowed, {},
                "alg " + header->alg_name + " is not allowed for kid " + entry->kid);
  }
  if (auto ok = check_key_fits_alg(entry->key, entry->alg); !ok) return fail(ok.error());
  if (!entry->key.has_private()) return decrypt_failed("no private key for kid " + entry->kid);

  auto encrypted_key = base64url_decode(parts->encrypted_key);
  auto iv = base64url_decode(parts->iv);
  auto ciphertext = base64url_decode(parts->ciphertext);
  auto tag = base64url_decode(parts->tag);
  if (!encrypted_key || !iv || !ciphertext || !tag) return malformed("a part is not base64url");
  if (iv->size() != crypto::kGcmNonceSize || tag->size() != crypto::kGcmTagSize) {
    return malformed("A256GCM needs a 96-bit iv and a 128-bit tag");
  }

  std::string cek;
  if (entry->alg == Alg::RsaOaep256) {
    PkeyCtxPtr ctx(EVP_PKEY_CTX_new_from_pkey(nullptr, entry->key.pkey(), nullptr));
    size_t len = static_cast<size_t>(EVP_PKEY_get_size(entry->key.pkey()));
    cek.assign(len, '\0');
    const bool ok = ctx && EVP_PKEY_decrypt_init(ctx.get()) == 1 && rsa_oaep_setup(ctx.get()) &&
                    EVP_PKEY_decrypt(ctx.get(), bytes_of(cek), &len, bytes_of(*encrypted_key),
                                     encrypted_key->size()) == 1 &&
                    len == kCekSize;
    crypto::openssl_error();
    cek.resize(ok ? len : 0);
    // RFC 7516 §11.5: on a bad key, carry on with a random CEK so that the failure is the
    // same tag failure, at the same point, as any other forgery.
    if (!ok) cek = random.bytes(kCekSize);
  } else {
    auto epk_it = header->raw.find("epk");
    if (epk_it == header->raw.end() || !epk_it->is_object() || epk_it->contains("d")) {
      return malformed("ECDH-ES needs an epk public key");
    }
    auto epk = Jwk::from_json(*epk_it);
    if (!epk || epk->type() != KeyType::EC) return decrypt_failed("bad epk");
    std::string apu, apv;
    for (auto [name, field] : {std::pair{"apu", &apu}, std::pair{"apv", &apv}}) {
      if (auto it = header->raw.find(name); it != header->raw.end()) {
        if (!it->is_string()) return malformed(std::string(name) + " must be a string");
        auto v = base64url_decode(it->get_ref<const std::string&>());
        if (!v) return malformed(std::string(name) + " is not base64url");
        *field = std::move(*v);
      }
    }
    std::string z;
    if (!ecdh(entry->key.pkey(), epk->pkey(), z)) return decrypt_failed("ECDH");
    std::string kek = concat_kdf(z, alg_name(entry->alg), apu, apv, 256);
    crypto::cleanse(z);
    const bool ok = aes_kw(false, kek, *encrypted_key, cek) && cek.size() == kCekSize;
    crypto::cleanse(kek);
    crypto::openssl_error();
    if (!ok) return decrypt_failed();
  }

  std::string plaintext;
  const bool ok = crypto::aes256gcm_decrypt(cek, *iv, parts->header, *ciphertext, *tag, plaintext);
  crypto::cleanse(cek);
  if (!ok) return decrypt_failed();
  return DecryptedJwe{std::move(*header), std::move(plaintext), entry->kid, entry->alg};
}

}  // namespace gh::jose
