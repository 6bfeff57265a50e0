#include "crypto/jose/jwk.h"

#include <openssl/core_names.h>
#include <openssl/obj_mac.h>

#include <array>

#include "core/encoding.h"
#include "crypto/error_codes.h"
#include "crypto/openssl.h"

namespace gh::jose {

using crypto::BnPtr;
using crypto::bytes_of;
using crypto::ParamBldPtr;
using crypto::ParamPtr;
using crypto::PkeyCtxPtr;
using crypto::PkeyPtr;

namespace {

constexpr int kMinRsaBits = 2048;
constexpr int kMaxRsaBits = 8192;
constexpr size_t kP256Size = 32;
constexpr size_t kEd25519Size = 32;

tl::unexpected<Error> invalid(std::string detail) {
  return fail(errc::JoseJwkInvalid, {}, std::move(detail));
}

std::shared_ptr<EVP_PKEY> share(EVP_PKEY* p) { return {p, EVP_PKEY_free}; }

// A base64url member that must be present (or absent if `optional`); nullopt = absent.
Result<std::optional<std::string>> member(const nlohmann::json& jwk, const char* name,
                                          bool optional) {
  auto it = jwk.find(name);
  if (it == jwk.end()) {
    if (optional) return std::optional<std::string>();
    return invalid(std::string("missing member ") + name);
  }
  if (!it->is_string()) return invalid(std::string("member ") + name + " is not a string");
  auto bytes = base64url_decode(it->get_ref<const std::string&>());
  if (!bytes || bytes->empty()) return invalid(std::string("member ") + name + " is not base64url");
  return std::optional<std::string>(std::move(*bytes));
}

Result<std::string> required(const nlohmann::json& jwk, const char* name) {
  auto m = member(jwk, name, false);
  if (!m) return fail(m.error());
  return std::move(**m);
}

Result<PkeyPtr> from_params(const char* type, const OSSL_PARAM* params, bool priv) {
  PkeyCtxPtr ctx(EVP_PKEY_CTX_new_from_name(nullptr, type, nullptr));
  EVP_PKEY* pkey = nullptr;
  if (!ctx || EVP_PKEY_fromdata_init(ctx.get()) != 1 ||
      EVP_PKEY_fromdata(ctx.get(), &pkey, priv ? EVP_PKEY_KEYPAIR : EVP_PKEY_PUBLIC_KEY,
                        const_cast<OSSL_PARAM*>(params)) != 1) {
    return invalid("key parameters rejected: " + crypto::openssl_error());
  }
  return PkeyPtr(pkey);
}

Result<void> check_consistency(EVP_PKEY* pkey, bool priv) {
  PkeyCtxPtr ctx(EVP_PKEY_CTX_new_from_pkey(nullptr, pkey, nullptr));
  if (!ctx) return invalid("cannot check key");
  const int ok = priv ? EVP_PKEY_pairwise_check(ctx.get()) : EVP_PKEY_public_check(ctx.get());
  if (ok != 1) return invalid("key check failed: " + crypto::openssl_error());
  return {};
}

Result<PkeyPtr> import_rsa(const nlohmann::json& jwk) {
  static constexpr std::array<std::pair<const char*, const char*>, 6> kPrivate = {{
      {"d", OSSL_PKEY_PARAM_RSA_D},
      {"p", OSSL_PKEY_PARAM_RSA_FACTOR1},
      {"q", OSSL_PKEY_PARAM_RSA_FACTOR2},
      {"dp", OSSL_PKEY_PARAM_RSA_EXPONENT1},
      {"dq", OSSL_PKEY_PARAM_RSA_EXPONENT2},
      {"qi", OSSL_PKEY_PARAM_RSA_COEFFICIENT1},
  }};
  if (jwk.contains("oth")) return invalid("multi-prime RSA keys are not supported");
  auto n = required(jwk, "n");
  if (!n) return fail(n.error());
  auto e = required(jwk, "e");
  if (!e) return fail(e.error());
  std::vector<BnPtr> bns;
  ParamBldPtr bld(OSSL_PARAM_BLD_new());
  bns.push_back(crypto::bn_from_bytes(*n));
  bns.push_back(crypto::bn_from_bytes(*e));
  if (!bld || !bns[0] || !bns[1] ||
      OSSL_PARAM_BLD_push_BN(bld.get(), OSSL_PKEY_PARAM_RSA_N, bns[0].get()) != 1 ||
      OSSL_PARAM_BLD_push_BN(bld.get(), OSSL_PKEY_PARAM_RSA_E, bns[1].get()) != 1) {
    return invalid("cannot build RSA parameters");
  }
  if (!BN_is_odd(bns[1].get()) || BN_is_one(bns[1].get())) return invalid("bad RSA exponent");
  size_t present = 0;
  for (const auto& [name, param] : kPrivate) present += jwk.contains(name) ? 1 : 0;
  const bool priv = present > 0;
  if (priv && present != kPrivate.size()) {
    return invalid("an RSA private JWK needs all of d, p, q, dp, dq, qi");
  }
  if (priv) {
    for (const auto& [name, param] : kPrivate) {
      auto v = required(jwk, name);
      if (!v) return fail(v.error());
      bns.push_back(crypto::bn_from_bytes(*v));
      crypto::cleanse(*v);
      if (!bns.back() || OSSL_PARAM_BLD_push_BN(bld.get(), param, bns.back().get()) != 1) {
        return invalid("cannot build RSA parameters");
      }
    }
  }
  ParamPtr params(OSSL_PARAM_BLD_to_param(bld.get()));
  for (auto& bn : bns) BN_clear(bn.get());
  if (!params) return invalid("cannot build RSA parameters");
  auto pkey = from_params("RSA", params.get(), priv);
  if (!pkey) return pkey;
  const int bits = EVP_PKEY_get_bits(pkey->get());
  if (bits < kMinRsaBits || bits > kMaxRsaBits) {
    return invalid("RSA keys must have 2048 to 8192 bits, this one has " + std::to_string(bits));
  }
  if (priv) {
    if (auto ok = check_consistency(pkey->get(), true); !ok) return fail(ok.error());
  }
  return pkey;
}

Result<PkeyPtr> import_ec(const nlohmann::json& jwk) {
  auto crv = jwk.find("crv");
  if (crv == jwk.end() || !crv->is_string() || *crv != "P-256") {
    return invalid("only the EC curve P-256 is supported");
  }
  auto x = required(jwk, "x");
  if (!x) return fail(x.error());
  auto y = required(jwk, "y");
  if (!y) return fail(y.error());
  // RFC 7518 §6.2.1.2: coordinates are the full 32 octets.
  if (x->size() != kP256Size || y->size() != kP256Size) return invalid("bad P-256 coordinates");
  auto d = member(jwk, "d", true);
  if (!d) return fail(d.error());
  const bool priv = d->has_value();
  std::string point = "\x04" + *x + *y;
  ParamBldPtr bld(OSSL_PARAM_BLD_new());
  BnPtr dbn;
  if (!bld ||
      OSSL_PARAM_BLD_push_utf8_string(bld.get(), OSSL_PKEY_PARAM_GROUP_NAME, "P-256", 0) != 1 ||
      OSSL_PARAM_BLD_push_octet_string(bld.get(), OSSL_PKEY_PARAM_PUB_KEY, point.data(),
                                       point.size()) != 1) {
    return invalid("cannot build EC parameters");
  }
  if (priv) {
    if ((*d)->size() != kP256Size) return invalid("bad P-256 private key");
    dbn = crypto::bn_from_bytes(**d);
    crypto::cleanse(**d);
    if (!dbn || OSSL_PARAM_BLD_push_BN(bld.get(), OSSL_PKEY_PARAM_PRIV_KEY, dbn.get()) != 1) {
      return invalid("cannot build EC parameters");
    }
  }
  ParamPtr params(OSSL_PARAM_BLD_to_param(bld.get()));
  if (dbn) BN_clear(dbn.get());
  if (!params) return invalid("cannot build EC parameters");
  auto pkey = from_params("EC", params.get(), priv);
  if (!pkey) return pkey;
  if (auto ok = check_consistency(pkey->get(), priv); !ok) return fail(ok.error());
  return pkey;
}

Result<PkeyPtr> import_okp(const nlohmann::json& jwk) {
  auto crv = jwk.find("crv");
  if (crv == jwk.end() || !crv->is_string() || *crv != "Ed25519") {
    return invalid("only the OKP curve Ed25519 is supported");
  }
  auto x = required(jwk, "x");
  if (!x) return fail(x.error());
  if (x->size() != kEd25519Size) return invalid("bad Ed25519 public key");
  auto d = member(jwk, "d", true);
  if (!d) return fail(d.error());
  if (!d->has_value()) {
    EVP_PKEY* p = EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519, nullptr, bytes_of(*x), x->size());
    if (p == nullptr) return invalid("bad Ed25519 public key");
    return PkeyPtr(p);
  }
  if ((*d)->size() != kEd25519Size) return invalid("bad Ed25519 private key");
  PkeyPtr p(EVP_PKEY_new_raw_private_key(EVP_PKEY_ED25519, nullptr, bytes_of(**d), (*d)->size()));
  crypto::cleanse(**d);
  if (!p) return invalid("bad Ed25519 private key");
  std::string pub(kEd25519Size, '\0');
  size_t len = pub.size();
  if (EVP_PKEY_get_raw_public_key(p.get(), bytes_of(pub), &len) != 1 || pub != *x) {
    return invalid("Ed25519 x does not match d");
  }
  return p;
}

std::string get_bn(EVP_PKEY* pkey, const char* name, int width = 0) {
  BIGNUM* bn = nullptr;
  if (EVP_PKEY_get_bn_param(pkey, name, &bn) != 1) return {};
  std::string out = crypto::bn_to_bytes(bn, width);
  BN_clear_free(bn);
  return out;
}

std::string b64_bn(EVP_PKEY* pkey, const char* name, int width = 0) {
  std::string raw = get_bn(pkey, name, width);
  std::string out = base64url_encode(raw);
  crypto::cleanse(raw);
  return out;
}

}  // namespace

Result<Jwk> Jwk::from_json(const nlohmann::json& jwk) {
  if (!jwk.is_object()) return invalid("a JWK must be a JSON object");
  auto kty = jwk.find("kty");
  if (kty == jwk.end() || !kty->is_string()) return invalid("missing kty");
  const auto& type = kty->get_ref<const std::string&>();
  Result<PkeyPtr> pkey = invalid("unsupported kty " + type);
  KeyType kt = KeyType::RSA;
  if (type == "RSA") {
    pkey = import_rsa(jwk);
  } else if (type == "EC") {
    kt = KeyType::EC;
    pkey = import_ec(jwk);
  } else if (type == "OKP") {
    kt = KeyType::OKP;
    pkey = import_okp(jwk);
  }
  if (!pkey) return fail(pkey.error());
  const bool priv = jwk.contains("d");
  return Jwk(share(pkey->release()), kt, priv);
}

Result<Jwk> Jwk::generate(KeySpec spec) {
  EVP_PKEY* pkey = nullptr;
  KeyType type = KeyType::RSA;
  switch (spec) {
    case KeySpec::Rsa2048:
      pkey = EVP_PKEY_Q_keygen(nullptr, nullptr, "RSA", size_t{2048});
      break;
    case KeySpec::Rsa3072:
      pkey = EVP_PKEY_Q_keygen(nullptr, nullptr, "RSA", size_t{3072});
      break;
    case KeySpec::EcP256:
      type = KeyType::EC;
      pkey = EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-256");
      break;
    case KeySpec::Ed25519:
      type = KeyType::OKP;
      pkey = EVP_PKEY_Q_keygen(nullptr, nullptr, "ED25519");
      break;
  }
  if (pkey == nullptr) {
    return fail(errc::CryptoInternal, {}, "key generation failed: " + crypto::openssl_error());
  }
  return Jwk(share(pkey), type, true);
}

Result<Jwk> Jwk::from_pkey(EVP_PKEY* pkey, bool has_private) {
  PkeyPtr owned(pkey);
  if (!owned) return invalid("no key");
  KeyType type;
  switch (EVP_PKEY_get_base_id(pkey)) {
    case EVP_PKEY_RSA: {
      const int bits = EVP_PKEY_get_bits(pkey);
      if (bits < kMinRsaBits || bits > kMaxRsaBits) return invalid("RSA key size not supported");
      type = KeyType::RSA;
      break;
    }
    case EVP_PKEY_EC: {
      char group[64] = {};
      size_t len = 0;
      if (EVP_PKEY_get_utf8_string_param(pkey, OSSL_PKEY_PARAM_GROUP_NAME, group, sizeof group,
                                         &len) != 1 ||
          std::string_view(group, len) != SN_X9_62_prime256v1) {
        return invalid("only the EC curve P-256 is supported");
      }
      type = KeyType::EC;
      break;
    }
    case EVP_PKEY_ED25519:
      type = KeyType::OKP;
      break;
    default:
      return invalid("unsupported key type");
  }
  return Jwk(share(owned.release()), type, has_private);
}

int Jwk::bits() const { return EVP_PKEY_get_bits(pkey_.get()); }

nlohmann::json Jwk::public_json() const {
  EVP_PKEY* p = pkey_.get();
  switch (type_) {
    case KeyType::RSA:
      return {{"kty", "RSA"},
              {"n", b64_bn(p, OSSL_PKEY_PARAM_RSA_N)},
              {"e", b64_bn(p, OSSL_PKEY_PARAM_RSA_E)}};
    case KeyType::EC:
      return {{"kty", "EC"},
              {"crv", "P-256"},
              {"x", b64_bn(p, OSSL_PKEY_PARAM_EC_PUB_X, kP256Size)},
              {"y", b64_bn(p, OSSL_PKEY_PARAM_EC_PUB_Y, kP256Size)}};
    case KeyType::OKP: {
      std::string pub(kEd25519Size, '\0');
      size_t len = pub.size();
      EVP_PKEY_get_raw_public_key(p, bytes_of(pub), &len);
      return {{"kty", "OKP"}, {"crv", "Ed25519"}, {"x", base64url_encode(pub)}};
    }
  }
  return nlohmann::json::object();
}

nlohmann::json Jwk::private_json() const {
  nlohmann::json j = public_json();
  if (!has_private_) return j;
  EVP_PKEY* p = pkey_.get();
  switch (type_) {
    case KeyType::RSA:
      j["d"] = b64_bn(p, OSSL_PKEY_PARAM_RSA_D);
      j["p"] = b64_bn(p, OSSL_PKEY_PARAM_RSA_FACTOR1);
      j["q"] = b64_bn(p, OSSL_PKEY_PARAM_RSA_FACTOR2);
      j["dp"] = b64_bn(p, OSSL_PKEY_PARAM_RSA_EXPONENT1);
      j["dq"] = b64_bn(p, OSSL_PKEY_PARAM_RSA_EXPONENT2);
      j["qi"] = b64_bn(p, OSSL_PKEY_PARAM_RSA_COEFFICIENT1);
      break;
    case KeyType::EC:
      j["d"] = b64_bn(p, OSSL_PKEY_PARAM_PRIV_KEY, kP256Size);
      break;
    case KeyType::OKP: {
      std::string priv(kEd25519Size, '\0');
      size_t len = priv.size();
      EVP_PKEY_get_raw_private_key(p, bytes_of(priv), &len);
      j["d"] = base64url_encode(priv);
      crypto::cleanse(priv);
      break;
    }
  }
  return j;
}

std::string Jwk::thumbprint() const {
  // RFC 7638 §3: the required members only, lexicographic order, no whitespace. nlohmann's
  // object is a std::map, so dump() gives exactly that (values are base64url, no escapes).
  nlohmann::json pub = public_json();
  std::string canonical = pub.dump();
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  EVP_Digest(canonical.data(), canonical.size(), digest, &len, crypto::sha256(), nullptr);
  return base64url_encode(std::string_view(reinterpret_cast<char*>(digest), len));
}

Result<Jwk> Jwk::public_only() const {
  if (!has_private_) return *this;
  return from_json(public_json());
}

}  // namespace gh::jose
