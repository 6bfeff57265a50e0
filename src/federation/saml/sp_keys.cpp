#include "federation/saml/sp_keys.h"

#include <openssl/pem.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>

#include <memory>

#include "core/error.h"
#include "crypto/openssl.h"

namespace gh::federation::saml {

namespace {

using X509Ptr = std::unique_ptr<X509, crypto::OsslDeleter<X509_free>>;
using BioPtr = std::unique_ptr<BIO, crypto::OsslDeleter<BIO_free>>;

std::string bio_string(BIO* bio) {
  char* data = nullptr;
  const long n = BIO_get_mem_data(bio, &data);
  return std::string(data, static_cast<size_t>(n));
}

Error key_error(const std::string& what) {
  return Error(errc::ServerInternal, {}, what + ": " + crypto::openssl_error());
}

}  // namespace

Result<SpKeyPair> generate_sp_key_pair(const std::string& common_name, int64_t now_ms) {
  crypto::PkeyPtr key(EVP_RSA_gen(2048));
  if (!key) return fail(key_error("RSA key generation"));
  X509Ptr cert(X509_new());
  if (!cert) return fail(key_error("X509_new"));
  X509_set_version(cert.get(), 2);
  // A random 64-bit serial.
  crypto::BnPtr serial(BN_new());
  if (!serial || !BN_rand(serial.get(), 64, BN_RAND_TOP_ANY, BN_RAND_BOTTOM_ANY) ||
      !BN_to_ASN1_INTEGER(serial.get(), X509_get_serialNumber(cert.get()))) {
    return fail(key_error("serial"));
  }
  const time_t now = static_cast<time_t>(now_ms / 1000);
  if (!ASN1_TIME_set(X509_getm_notBefore(cert.get()), now) ||
      !ASN1_TIME_adj(X509_getm_notAfter(cert.get()), now, 3650, 0)) {
    return fail(key_error("validity"));
  }
  X509_NAME* name = X509_get_subject_name(cert.get());
  const std::string cn = common_name.substr(0, 64);
  if (!X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_UTF8,
                                  reinterpret_cast<const unsigned char*>(cn.c_str()), -1, -1, 0) ||
      !X509_set_issuer_name(cert.get(), name) || !X509_set_pubkey(cert.get(), key.get()) ||
      !X509_sign(cert.get(), key.get(), EVP_sha256())) {
    return fail(key_error("certificate"));
  }
  BioPtr key_bio(BIO_new(BIO_s_mem())), cert_bio(BIO_new(BIO_s_mem()));
  if (!key_bio || !cert_bio ||
      !PEM_write_bio_PrivateKey(key_bio.get(), key.get(), nullptr, nullptr, 0, nullptr, nullptr) ||
      !PEM_write_bio_X509(cert_bio.get(), cert.get())) {
    return fail(key_error("PEM"));
  }
  return SpKeyPair{bio_string(key_bio.get()), bio_string(cert_bio.get())};
}

std::string certificate_body(const std::string& pem) {
  std::string out;
  size_t pos = pem.find("-----BEGIN CERTIFICATE-----");
  if (pos == std::string::npos) return out;
  pos = pem.find('\n', pos);
  const size_t end = pem.find("-----END CERTIFICATE-----");
  if (pos == std::string::npos || end == std::string::npos) return out;
  for (size_t i = pos; i < end; ++i) {
    if (pem[i] != '\n' && pem[i] != '\r') out += pem[i];
  }
  return out;
}

}  // namespace gh::federation::saml
