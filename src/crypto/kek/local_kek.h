// The `local` KEK: a 256-bit master key held in process memory, read from a file or an
// environment variable. Wrapping is AES-256-GCM with the context as AAD:
//   0x01 | nonce (12) | wrapped key | tag (16)
// Rotating the master key = add a LocalKek with the new key under a new id and
// Sealer::rewrap(old id, new id): data keys are re-wrapped, sealed data is not touched.
#pragma once

#include <memory>
#include <string>

#include "core/random.h"
#include "crypto/kek/kek_provider.h"

namespace gh::crypto {

class LocalKek final : public KekProvider {
 public:
  // `key` is 32 raw bytes.
  static Result<std::shared_ptr<LocalKek>> from_bytes(std::string id, std::string key,
                                                      Random& random);
  // The file holds 32 raw bytes, or 64 hex digits, or base64/base64url of 32 bytes (a
  // trailing newline is fine).
  static Result<std::shared_ptr<LocalKek>> from_file(std::string id, const std::string& path,
                                                     Random& random);
  // The variable holds 64 hex digits or base64/base64url of 32 bytes.
  static Result<std::shared_ptr<LocalKek>> from_env(std::string id, const char* variable,
                                                    Random& random);
  // Decodes a textual master key (hex or base64), as accepted above.
  static Result<std::string> decode_key_text(std::string_view text);

  ~LocalKek() override;
  const std::string& id() const override { return id_; }
  Result<std::string> wrap(std::string_view data_key, std::string_view context) override;
  Result<std::string> unwrap(std::string_view wrapped, std::string_view context) override;

 private:
  LocalKek(std::string id, std::string key, Random& random)
      : id_(std::move(id)), key_(std::move(key)), random_(random) {}
  std::string id_;
  std::string key_;
  Random& random_;
};

}  // namespace gh::crypto
