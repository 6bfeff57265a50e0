#include "crypto/openssl.h"

#include <openssl/crypto.h>
#include <openssl/err.h>

#include <stdexcept>

namespace gh::crypto {

namespace {
template <class T, class Fetch>
T* fetch_or_throw(Fetch fetch, const char* name) {
  T* p = fetch(nullptr, name, nullptr);
  if (p == nullptr) throw std::runtime_error(std::string("OpenSSL cannot fetch ") + name);
  return p;
}
}  // namespace

const EVP_MD* sha256() {
  static const EVP_MD* md = fetch_or_throw<EVP_MD>(EVP_MD_fetch, "SHA256");
  return md;
}

const EVP_CIPHER* aes256gcm() {
  static const EVP_CIPHER* c = fetch_or_throw<EVP_CIPHER>(EVP_CIPHER_fetch, "AES-256-GCM");
  return c;
}

const EVP_CIPHER* aes256wrap() {
  static const EVP_CIPHER* c = fetch_or_throw<EVP_CIPHER>(EVP_CIPHER_fetch, "AES-256-WRAP");
  return c;
}

std::string bn_to_bytes(const BIGNUM* bn, int width) {
  const int n = width > 0 ? width : BN_num_bytes(bn);
  std::string out(static_cast<size_t>(n), '\0');
  if (BN_bn2binpad(bn, bytes_of(out), n) != n) return {};
  return out;
}

BnPtr bn_from_bytes(std::string_view bytes) {
  return BnPtr(BN_bin2bn(bytes_of(bytes), static_cast<int>(bytes.size()), nullptr));
}

std::string openssl_error() {
  const unsigned long e = ERR_peek_last_error();
  std::string text;
  if (e != 0) {
    char buf[256];
    ERR_error_string_n(e, buf, sizeof buf);
    text = buf;
  }
  ERR_clear_error();
  return text;
}

void cleanse(std::string& s) {
  if (!s.empty()) OPENSSL_cleanse(s.data(), s.size());
  s.clear();
}

}  // namespace gh::crypto
