#include "tenancy/secrets.h"

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <sys/stat.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "core/encoding.h"

namespace gh::tenancy {

namespace {
constexpr size_t kLookupHexChars = 24;  // 96 random bits, public
constexpr size_t kSecretChars = 43;     // base64url of 32 bytes = 256 random bits
}  // namespace

SecretHasher::SecretHasher(std::string pepper) : pepper_(std::move(pepper)) {
  EVP_MAC* mac = EVP_MAC_fetch(nullptr, "HMAC", nullptr);
  if (mac == nullptr) return;
  std::shared_ptr<EVP_MAC_CTX> ctx(EVP_MAC_CTX_new(mac), EVP_MAC_CTX_free);
  EVP_MAC_free(mac);
  if (!ctx) return;
  char digest[] = "SHA256";
  OSSL_PARAM params[] = {OSSL_PARAM_construct_utf8_string("digest", digest, 0),
                         OSSL_PARAM_construct_end()};
  if (EVP_MAC_init(ctx.get(), reinterpret_cast<const unsigned char*>(pepper_.data()),
                   pepper_.size(), params) == 1) {
    keyed_ = std::move(ctx);
  }
}

std::string SecretHasher::hash(std::string_view token) const {
  unsigned char out[EVP_MAX_MD_SIZE];
  size_t len = 0;
  if (keyed_) {
    std::unique_ptr<EVP_MAC_CTX, decltype(&EVP_MAC_CTX_free)> ctx(EVP_MAC_CTX_dup(keyed_.get()),
                                                                  EVP_MAC_CTX_free);
    if (ctx &&
        EVP_MAC_update(ctx.get(), reinterpret_cast<const unsigned char*>(token.data()),
                       token.size()) == 1 &&
        EVP_MAC_final(ctx.get(), out, &len, sizeof out) == 1) {
      return to_hex(std::string_view(reinterpret_cast<const char*>(out), len));
    }
  }
  unsigned int one_shot = 0;
  HMAC(EVP_sha256(), pepper_.data(), static_cast<int>(pepper_.size()),
       reinterpret_cast<const unsigned char*>(token.data()), token.size(), out, &one_shot);
  return to_hex(std::string_view(reinterpret_cast<const char*>(out), one_shot));
}

bool SecretHasher::matches(std::string_view token, std::string_view stored_hash_hex) const {
  const std::string computed = hash(token);
  if (computed.size() != stored_hash_hex.size()) return false;
  return CRYPTO_memcmp(computed.data(), stored_hash_hex.data(), computed.size()) == 0;
}

IssuedSecret issue_secret(std::string_view prefix, const SecretHasher& hasher, Random& random) {
  IssuedSecret s;
  s.lookup = random.hex(kLookupHexChars / 2);
  s.token = std::string(prefix) + s.lookup + "_" + random.base64url(32);
  s.hash = hasher.hash(s.token);
  return s;
}

std::optional<std::string> secret_lookup(std::string_view token, std::string_view prefix) {
  if (token.size() != prefix.size() + kLookupHexChars + 1 + kSecretChars) return std::nullopt;
  if (token.substr(0, prefix.size()) != prefix) return std::nullopt;
  const auto lookup = token.substr(prefix.size(), kLookupHexChars);
  for (char c : lookup) {
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return std::nullopt;
  }
  if (token[prefix.size() + kLookupHexChars] != '_') return std::nullopt;
  for (char c : token.substr(prefix.size() + kLookupHexChars + 1)) {
    const bool ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
                    c == '-' || c == '_';
    if (!ok) return std::nullopt;
  }
  return std::string(lookup);
}

Result<std::string> load_or_create_pepper(const Config& config) {
  const std::string path =
      config.pepper_file.empty() ? config.data_dir + "/pepper" : config.pepper_file;
  if (std::filesystem::exists(path)) {
    std::ifstream in(path);
    std::stringstream ss;
    ss << in.rdbuf();
    std::string text = ss.str();
    while (!text.empty() && (text.back() == '\n' || text.back() == ' ')) text.pop_back();
    if (text.size() < 32) {
      return fail(errc::ConfigInvalid,
                  "pepper file " + path + " must hold at least 32 characters of secret");
    }
    return text;
  }
  std::error_code ec;
  std::filesystem::create_directories(std::filesystem::path(path).parent_path(), ec);
  const std::string pepper = SecureRandom::instance().hex(32);
  const mode_t old = umask(077);
  {
    std::ofstream out(path);
    out << pepper << "\n";
    if (!out) {
      umask(old);
      return fail(errc::ConfigInvalid, "cannot create pepper file " + path);
    }
  }
  umask(old);
  return pepper;
}

}  // namespace gh::tenancy
