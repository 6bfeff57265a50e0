#include "crypto/kek/local_kek.h"

#include <cstdlib>
#include <fstream>
#include <iterator>

#include "core/encoding.h"
#include "crypto/aead.h"
#include "crypto/error_codes.h"
#include "crypto/openssl.h"

namespace gh::crypto {

namespace {
constexpr char kVersion = 0x01;

tl::unexpected<Error> kek_invalid(std::string detail) {
  return fail(errc::CryptoKekInvalid, {}, std::move(detail));
}

std::optional<std::string> from_hex(std::string_view hex) {
  if (hex.size() % 2 != 0) return std::nullopt;
  std::string out;
  for (size_t i = 0; i < hex.size(); i += 2) {
    int v = 0;
    for (char c : hex.substr(i, 2)) {
      v <<= 4;
      if (c >= '0' && c <= '9') {
        v |= c - '0';
      } else if (c >= 'a' && c <= 'f') {
        v |= c - 'a' + 10;
      } else if (c >= 'A' && c <= 'F') {
        v |= c - 'A' + 10;
      } else {
        return std::nullopt;
      }
    }
    out += static_cast<char>(v);
  }
  return out;
}
}  // namespace

Result<std::string> LocalKek::decode_key_text(std::string_view text) {
  while (!text.empty() && (text.back() == '\n' || text.back() == '\r' || text.back() == ' ')) {
    text.remove_suffix(1);
  }
  std::optional<std::string> key;
  if (text.size() == 2 * kAes256KeySize) key = from_hex(text);
  if (!key) key = base64_decode(text);
  if (!key) key = base64url_decode(text);
  if (!key || key->size() != kAes256KeySize) {
    if (key) cleanse(*key);
    return kek_invalid("a master key is 64 hex digits or the base64 of 32 bytes");
  }
  return std::move(*key);
}

Result<std::shared_ptr<LocalKek>> LocalKek::from_bytes(std::string id, std::string key,
                                                       Random& random) {
  if (id.empty()) return kek_invalid("a KEK needs an id");
  if (key.size() != kAes256KeySize) {
    cleanse(key);
    return kek_invalid("a master key has 256 bits");
  }
  return std::shared_ptr<LocalKek>(new LocalKek(std::move(id), std::move(key), random));
}

Result<std::shared_ptr<LocalKek>> LocalKek::from_file(std::string id, const std::string& path,
                                                      Random& random) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return kek_invalid("cannot read the master key file " + path);
  std::string content((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  if (content.size() == kAes256KeySize)
    return from_bytes(std::move(id), std::move(content), random);
  auto key = decode_key_text(content);
  cleanse(content);
  if (!key) return fail(key.error());
  return from_bytes(std::move(id), std::move(*key), random);
}

Result<std::shared_ptr<LocalKek>> LocalKek::from_env(std::string id, const char* variable,
                                                     Random& random) {
  const char* value = std::getenv(variable);
  if (value == nullptr) return kek_invalid(std::string("the variable ") + variable + " is not set");
  auto key = decode_key_text(value);
  if (!key) return fail(key.error());
  return from_bytes(std::move(id), std::move(*key), random);
}

LocalKek::~LocalKek() { cleanse(key_); }

Result<std::string> LocalKek::wrap(std::string_view data_key, std::string_view context) {
  std::string out(1, kVersion);
  const std::string nonce = random_.bytes(kGcmNonceSize);
  out += nonce;
  std::string tag;
  if (!aes256gcm_encrypt(key_, nonce, context, data_key, out, tag)) {
    return fail(errc::CryptoInternal, {}, "local KEK wrap");
  }
  out += tag;
  return out;
}

Result<std::string> LocalKek::unwrap(std::string_view wrapped, std::string_view context) {
  if (wrapped.size() < 1 + kGcmNonceSize + kGcmTagSize || wrapped[0] != kVersion) {
    return fail(errc::CryptoDecryptFailed, {}, "wrapped key format");
  }
  const auto nonce = wrapped.substr(1, kGcmNonceSize);
  const auto body =
      wrapped.substr(1 + kGcmNonceSize, wrapped.size() - 1 - kGcmNonceSize - kGcmTagSize);
  const auto tag = wrapped.substr(wrapped.size() - kGcmTagSize);
  std::string key;
  if (!aes256gcm_decrypt(key_, nonce, context, body, tag, key)) {
    return fail(errc::CryptoDecryptFailed, {}, "wrapped key does not authenticate");
  }
  return key;
}

}  // namespace gh::crypto
