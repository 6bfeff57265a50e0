// A PKCS#11 module (an HSM vendor's .so, SoftHSM2 in tests) loaded with dlopen, initialised
// once per process, and a logged-in session on one of its tokens. The C API types stay in the
// .cpp files: only opaque handles cross this header.
#pragma once

#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>

#include "core/result.h"

namespace gh::crypto {

class Pkcs11Module {
 public:
  // One instance per module path per process (C_Initialize may be called only once).
  static Result<std::shared_ptr<Pkcs11Module>> load(const std::string& path);
  ~Pkcs11Module();
  Pkcs11Module(const Pkcs11Module&) = delete;
  Pkcs11Module& operator=(const Pkcs11Module&) = delete;

  // The module's CK_FUNCTION_LIST (opaque here so that the C API stays out of headers).
  void* functions() const { return fn_; }
  const std::string& path() const { return path_; }

 private:
  Pkcs11Module() = default;
  void* handle_ = nullptr;
  void* fn_ = nullptr;
  bool finalize_ = false;
  std::string path_;
};

// A session on the token with `token_label`, logged in as the user. Not thread-safe: callers
// hold their own lock (Pkcs11Kek does).
class Pkcs11Token {
 public:
  static Result<std::unique_ptr<Pkcs11Token>> open(std::shared_ptr<Pkcs11Module> module,
                                                   std::string token_label, std::string pin);
  ~Pkcs11Token();

  // AES-256 secret key on the token, usable for encrypt/decrypt/wrap/unwrap, not extractable.
  // With `value` the key is imported (for tests and migrations); else generated on the token.
  Result<void> create_aes_key(std::string_view label, std::optional<std::string> value = {});
  // Sets CKA_DECRYPT and CKA_UNWRAP (what a customer flips to disable their key).
  Result<void> set_key_usable(std::string_view label, bool usable);
  Result<void> destroy_key(std::string_view label);

  // The object handle of the AES key with this label, or nullopt.
  Result<std::optional<unsigned long>> find_key(std::string_view label);
  // AES-256-GCM with the key `label`: output nonce(12) | ciphertext | tag(16).
  Result<std::string> gcm_encrypt(std::string_view label, std::string_view nonce,
                                  std::string_view aad, std::string_view plaintext);
  Result<std::string> gcm_decrypt(std::string_view label, std::string_view aad,
                                  std::string_view wrapped);

 private:
  Pkcs11Token() = default;
  Result<void> ensure_session();
  void drop_session();
  std::shared_ptr<Pkcs11Module> module_;
  std::string token_label_;
  std::string pin_;
  unsigned long slot_ = 0;
  std::optional<unsigned long> session_;
};

// Every PKCS#11 failure becomes crypto.customer_key_unavailable (fail closed), except a
// ciphertext that does not authenticate (crypto.decrypt_failed). `rv` names the CKR_ value.
Error pkcs11_error(std::string_view call, unsigned long rv);

}  // namespace gh::crypto
