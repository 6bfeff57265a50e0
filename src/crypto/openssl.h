// Owning handles for OpenSSL objects and the algorithm objects we fetch once per process
// (implicit fetches on every call cost a provider lookup; see research/deps.md).
#pragma once

#include <openssl/bn.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/param_build.h>

#include <memory>
#include <string>
#include <string_view>

namespace gh::crypto {

template <auto Free>
struct OsslDeleter {
  template <class T>
  void operator()(T* p) const {
    Free(p);
  }
};

using PkeyPtr = std::unique_ptr<EVP_PKEY, OsslDeleter<EVP_PKEY_free>>;
using PkeyCtxPtr = std::unique_ptr<EVP_PKEY_CTX, OsslDeleter<EVP_PKEY_CTX_free>>;
using MdCtxPtr = std::unique_ptr<EVP_MD_CTX, OsslDeleter<EVP_MD_CTX_free>>;
using CipherCtxPtr = std::unique_ptr<EVP_CIPHER_CTX, OsslDeleter<EVP_CIPHER_CTX_free>>;
using BnPtr = std::unique_ptr<BIGNUM, OsslDeleter<BN_free>>;
using ParamBldPtr = std::unique_ptr<OSSL_PARAM_BLD, OsslDeleter<OSSL_PARAM_BLD_free>>;
using ParamPtr = std::unique_ptr<OSSL_PARAM, OsslDeleter<OSSL_PARAM_free>>;
using EcdsaSigPtr = std::unique_ptr<ECDSA_SIG, OsslDeleter<ECDSA_SIG_free>>;

// Fetched once, never freed (they live as long as the default library context).
const EVP_MD* sha256();
const EVP_CIPHER* aes256gcm();
const EVP_CIPHER* aes256wrap();

inline const unsigned char* bytes_of(std::string_view s) {
  return reinterpret_cast<const unsigned char*>(s.data());
}
inline unsigned char* bytes_of(std::string& s) {
  return reinterpret_cast<unsigned char*>(s.data());
}

// Big-endian unsigned bytes, left-padded with zeros to `width` (0 = minimal length).
std::string bn_to_bytes(const BIGNUM* bn, int width = 0);
BnPtr bn_from_bytes(std::string_view bytes);

// The last OpenSSL error queue entry as text (for Error::detail), and clears the queue.
std::string openssl_error();

// Overwrite secrets before their memory is released.
void cleanse(std::string& s);

}  // namespace gh::crypto
