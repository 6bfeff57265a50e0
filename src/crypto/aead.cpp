#include "crypto/aead.h"

#include <climits>

#include "crypto/openssl.h"

namespace gh::crypto {

namespace {
// One context per thread and direction, re-keyed for every message: allocating a context, or
// re-selecting the cipher (which frees and re-creates the provider's context), costs more than
// the AES work on a 64-byte value. After the first use only key and nonce are set.
struct ThreadCtx {
  CipherCtxPtr ctx{EVP_CIPHER_CTX_new()};
  bool cipher_set = false;
};

EVP_CIPHER_CTX* init(bool encrypt, std::string_view key, std::string_view nonce) {
  thread_local ThreadCtx enc_ctx, dec_ctx;
  ThreadCtx& t = encrypt ? enc_ctx : dec_ctx;
  if (!t.ctx) return nullptr;
  const EVP_CIPHER* cipher = t.cipher_set ? nullptr : aes256gcm();
  if (EVP_CipherInit_ex2(t.ctx.get(), cipher, bytes_of(key), bytes_of(nonce), encrypt ? 1 : 0,
                         nullptr) != 1) {
    t.cipher_set = false;
    return nullptr;
  }
  t.cipher_set = true;
  return t.ctx.get();
}

bool sizes_ok(std::string_view key, std::string_view nonce, size_t a, size_t b) {
  return key.size() == kAes256KeySize && nonce.size() == kGcmNonceSize && a < INT_MAX &&
         b < INT_MAX;
}
}  // namespace

bool aes256gcm_encrypt(std::string_view key, std::string_view nonce, std::string_view aad,
                       std::string_view plaintext, std::string& ciphertext, std::string& tag) {
  if (!sizes_ok(key, nonce, aad.size(), plaintext.size())) return false;
  EVP_CIPHER_CTX* ctx = init(true, key, nonce);
  if (ctx == nullptr) return false;
  int len = 0;
  if (!aad.empty() &&
      EVP_EncryptUpdate(ctx, nullptr, &len, bytes_of(aad), static_cast<int>(aad.size())) != 1) {
    return false;
  }
  const size_t offset = ciphertext.size();
  ciphertext.resize(offset + plaintext.size());
  auto* out = reinterpret_cast<unsigned char*>(ciphertext.data()) + offset;
  if (!plaintext.empty() && EVP_EncryptUpdate(ctx, out, &len, bytes_of(plaintext),
                                              static_cast<int>(plaintext.size())) != 1) {
    return false;
  }
  int final_len = 0;
  if (EVP_EncryptFinal_ex(ctx, out + len, &final_len) != 1) return false;
  tag.resize(kGcmTagSize);
  return EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_GET_TAG, static_cast<int>(kGcmTagSize),
                             tag.data()) == 1;
}

bool aes256gcm_decrypt(std::string_view key, std::string_view nonce, std::string_view aad,
                       std::string_view ciphertext, std::string_view tag, std::string& plaintext) {
  plaintext.clear();
  if (!sizes_ok(key, nonce, aad.size(), ciphertext.size()) || tag.size() != kGcmTagSize) {
    return false;
  }
  EVP_CIPHER_CTX* ctx = init(false, key, nonce);
  if (ctx == nullptr) return false;
  int len = 0;
  if (!aad.empty() &&
      EVP_DecryptUpdate(ctx, nullptr, &len, bytes_of(aad), static_cast<int>(aad.size())) != 1) {
    return false;
  }
  plaintext.resize(ciphertext.size());
  if (!ciphertext.empty() && EVP_DecryptUpdate(ctx, bytes_of(plaintext), &len, bytes_of(ciphertext),
                                               static_cast<int>(ciphertext.size())) != 1) {
    cleanse(plaintext);
    return false;
  }
  if (EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_SET_TAG, static_cast<int>(kGcmTagSize),
                          const_cast<char*>(tag.data())) != 1) {
    cleanse(plaintext);
    return false;
  }
  int final_len = 0;
  if (EVP_DecryptFinal_ex(ctx, bytes_of(plaintext) + len, &final_len) != 1) {
    cleanse(plaintext);
    return false;
  }
  return true;
}

}  // namespace gh::crypto
