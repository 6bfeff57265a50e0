// Secrets that are only ever compared (API keys now; client secrets and SCIM tokens later):
// 256 random bits behind a public, typed prefix and lookup id, e.g.
//   gh_ak_0123456789abcdef01234567_<43 base64url chars>
// stored as HMAC-SHA-256 under a server pepper and compared in constant time. Never a slow
// password hash: these are checked on every request.
#pragma once

#include <openssl/types.h>

#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "core/config.h"
#include "core/random.h"
#include "core/result.h"

namespace gh::tenancy {

inline constexpr std::string_view kApiKeyPrefix = "gh_ak_";

class SecretHasher {
 public:
  explicit SecretHasher(std::string pepper);
  std::string hash(std::string_view token) const;  // hex
  bool matches(std::string_view token, std::string_view stored_hash_hex) const;

 private:
  std::string pepper_;
  // HMAC-SHA-256 keyed with the pepper once, duplicated per use: OpenSSL 3's one-shot HMAC()
  // fetches the algorithm on every call, a fifth of a cached client authentication's cost.
  std::shared_ptr<evp_mac_ctx_st> keyed_;
};

struct IssuedSecret {
  std::string token;   // shown once
  std::string lookup;  // public
  std::string hash;    // stored
};

IssuedSecret issue_secret(std::string_view prefix, const SecretHasher& hasher,
                          Random& random = SecureRandom::instance());

// The lookup id of a well-formed token with this prefix; nullopt otherwise.
std::optional<std::string> secret_lookup(std::string_view token, std::string_view prefix);

// The server pepper: {data_dir}/pepper (or pepper_file), created with 256 random bits (0600)
// on first use. Every node sharing a store must use the same pepper.
Result<std::string> load_or_create_pepper(const Config& config);

}  // namespace gh::tenancy
