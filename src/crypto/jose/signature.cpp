#include "crypto/jose/signature.h"

#include <openssl/rsa.h>

#include <unordered_map>

#include "crypto/error_codes.h"
#include "crypto/jose/key_set.h"
#include "crypto/openssl.h"

namespace gh::jose {

using crypto::bytes_of;

namespace {

constexpr size_t kP256Half = 32;

// Reused per thread: allocating an EVP_MD_CTX per token shows up next to a 20 us ECDSA sign.
EVP_MD_CTX* thread_md_ctx() {
  thread_local crypto::MdCtxPtr ctx(EVP_MD_CTX_new());
  EVP_MD_CTX_reset(ctx.get());
  return ctx.get();
}

// EdDSA signs the message itself (PureEdDSA), so no digest is named.
const EVP_MD* digest_for(Alg alg) { return alg == Alg::EdDSA ? nullptr : crypto::sha256(); }

bool configure(EVP_PKEY_CTX* pctx, Alg alg) {
  if (alg != Alg::PS256) return true;
  // RFC 7518 §3.5: MGF1 with SHA-256 and a salt as long as the hash.
  return EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PSS_PADDING) == 1 &&
         EVP_PKEY_CTX_set_rsa_pss_saltlen(pctx, RSA_PSS_SALTLEN_DIGEST) == 1 &&
         EVP_PKEY_CTX_set_rsa_mgf1_md(pctx, crypto::sha256()) == 1;
}

// EVP_DigestSignInit/VerifyInit fetch the algorithm from the provider store on every call
// (a locked hash-table walk). We initialise one context per (key, alg, direction) per thread
// and copy it for each operation instead. The template holds a reference to the EVP_PKEY, so
// the pointer used as the map key cannot be freed and reused while its entry exists; the map
// is bounded so rotated keys do not pile up.
struct TemplateKey {
  EVP_PKEY* pkey;
  Alg alg;
  bool sign;
  bool operator==(const TemplateKey&) const = default;
};
struct TemplateHash {
  size_t operator()(const TemplateKey& k) const {
    return std::hash<const void*>{}(k.pkey) ^ (static_cast<size_t>(k.alg) << 1) ^ k.sign;
  }
};
constexpr size_t kMaxTemplates = 64;

EVP_MD_CTX* prepared_ctx(EVP_PKEY* pkey, Alg alg, bool sign) {
  thread_local std::unordered_map<TemplateKey, crypto::MdCtxPtr, TemplateHash> templates;
  const TemplateKey key{pkey, alg, sign};
  auto it = templates.find(key);
  if (it != templates.end()) return it->second.get();
  if (templates.size() >= kMaxTemplates) templates.clear();
  crypto::MdCtxPtr ctx(EVP_MD_CTX_new());
  EVP_PKEY_CTX* pctx = nullptr;
  const int ok = sign ? EVP_DigestSignInit(ctx.get(), &pctx, digest_for(alg), nullptr, pkey)
                      : EVP_DigestVerifyInit(ctx.get(), &pctx, digest_for(alg), nullptr, pkey);
  if (!ctx || ok != 1 || !configure(pctx, alg)) return nullptr;
  return templates.emplace(key, std::move(ctx)).first->second.get();
}

// A ready-to-use context for one operation: a copy of the template.
EVP_MD_CTX* operation_ctx(EVP_PKEY* pkey, Alg alg, bool sign) {
  EVP_MD_CTX* tmpl = prepared_ctx(pkey, alg, sign);
  EVP_MD_CTX* ctx = thread_md_ctx();
  if (tmpl == nullptr || ctx == nullptr || EVP_MD_CTX_copy_ex(ctx, tmpl) != 1) return nullptr;
  return ctx;
}

}  // namespace

std::string ecdsa_der_to_raw(std::string_view der) {
  const unsigned char* p = bytes_of(der);
  crypto::EcdsaSigPtr sig(d2i_ECDSA_SIG(nullptr, &p, static_cast<long>(der.size())));
  if (!sig) return {};
  const BIGNUM* r = nullptr;
  const BIGNUM* s = nullptr;
  ECDSA_SIG_get0(sig.get(), &r, &s);
  std::string out(2 * kP256Half, '\0');
  if (BN_bn2binpad(r, bytes_of(out), kP256Half) != kP256Half ||
      BN_bn2binpad(s, bytes_of(out) + kP256Half, kP256Half) != kP256Half) {
    return {};
  }
  return out;
}

std::string ecdsa_raw_to_der(std::string_view raw) {
  if (raw.size() != 2 * kP256Half) return {};
  crypto::EcdsaSigPtr sig(ECDSA_SIG_new());
  BIGNUM* r = BN_bin2bn(bytes_of(raw), kP256Half, nullptr);
  BIGNUM* s = BN_bin2bn(bytes_of(raw) + kP256Half, kP256Half, nullptr);
  if (!sig || r == nullptr || s == nullptr || ECDSA_SIG_set0(sig.get(), r, s) != 1) {
    BN_free(r);
    BN_free(s);
    return {};
  }
  unsigned char* der = nullptr;
  const int len = i2d_ECDSA_SIG(sig.get(), &der);
  if (len <= 0) return {};
  std::string out(reinterpret_cast<char*>(der), static_cast<size_t>(len));
  OPENSSL_free(der);
  return out;
}

Result<std::string> sign_bytes(const Jwk& key, Alg alg, std::string_view input) {
  if (!is_signing_alg(alg)) {
    return fail(errc::JoseAlgNotAllowed, {}, std::string(alg_name(alg)) + " does not sign");
  }
  if (auto ok = check_key_fits_alg(key, alg); !ok) return fail(ok.error());
  if (!key.has_private()) return fail(errc::CryptoInternal, {}, "signing needs a private key");
  EVP_MD_CTX* ctx = operation_ctx(key.pkey(), alg, true);
  // EVP_PKEY_get_size bounds every signature (DER ECDSA included): one call, no length query.
  size_t len = static_cast<size_t>(EVP_PKEY_get_size(key.pkey()));
  std::string sig(len, '\0');
  if (ctx == nullptr ||
      EVP_DigestSign(ctx, bytes_of(sig), &len, bytes_of(input), input.size()) != 1) {
    return fail(errc::CryptoInternal, {}, "sign: " + crypto::openssl_error());
  }
  sig.resize(len);
  if (alg == Alg::ES256) {
    sig = ecdsa_der_to_raw(sig);
    if (sig.empty()) return fail(errc::CryptoInternal, {}, "ECDSA signature encoding");
  }
  return sig;
}

bool verify_bytes(const Jwk& key, Alg alg, std::string_view input, std::string_view signature) {
  if (!is_signing_alg(alg) || !check_key_fits_alg(key, alg)) return false;
  std::string der;
  if (alg == Alg::ES256) {
    der = ecdsa_raw_to_der(signature);
    if (der.empty()) return false;
    signature = der;
  }
  EVP_MD_CTX* ctx = operation_ctx(key.pkey(), alg, false);
  const bool ok = ctx != nullptr && EVP_DigestVerify(ctx, bytes_of(signature), signature.size(),
                                                     bytes_of(input), input.size()) == 1;
  if (!ok) crypto::openssl_error();  // leave no stale entries in the thread's error queue
  return ok;
}

}  // namespace gh::jose
