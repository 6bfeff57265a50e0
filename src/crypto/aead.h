// AES-256-GCM, the one AEAD used by JWE (A256GCM), sealing and the local KEK.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace gh::crypto {

inline constexpr size_t kAes256KeySize = 32;
inline constexpr size_t kGcmNonceSize = 12;
inline constexpr size_t kGcmTagSize = 16;

// Encrypts `plaintext`; appends the ciphertext to `ciphertext` and writes the 16-byte tag.
// False only on an OpenSSL failure or a key/nonce of the wrong size.
bool aes256gcm_encrypt(std::string_view key, std::string_view nonce, std::string_view aad,
                       std::string_view plaintext, std::string& ciphertext, std::string& tag);

// Decrypts and authenticates; false (and `plaintext` cleared) on any failure, including a
// wrong tag. Callers turn every false into their one uniform error.
bool aes256gcm_decrypt(std::string_view key, std::string_view nonce, std::string_view aad,
                       std::string_view ciphertext, std::string_view tag, std::string& plaintext);

}  // namespace gh::crypto
