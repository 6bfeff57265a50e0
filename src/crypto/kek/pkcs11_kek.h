// The `pkcs11` KEK: an AES-256 key on a PKCS#11 token, used with CKM_AES_GCM through
// C_Encrypt/C_Decrypt (the context is the GCM AAD). The key is looked up by label on every
// call, so a key that is disabled (CKA_DECRYPT/CKA_UNWRAP false) or destroyed fails the next
// unwrap with crypto.customer_key_unavailable; Sealer's data-key cache (<= 60 s) bounds how
// long already-unwrapped data keys stay usable.
#pragma once

#include <memory>
#include <mutex>
#include <string>

#include "core/random.h"
#include "crypto/kek/kek_provider.h"
#include "crypto/kek/pkcs11_module.h"

namespace gh::crypto {

struct Pkcs11KekConfig {
  std::string id;           // e.g. "pkcs11:acme"
  std::string module_path;  // e.g. /usr/lib/softhsm/libsofthsm2.so
  std::string token_label;
  std::string pin;
  std::string key_label;
};

class Pkcs11Kek final : public KekProvider {
 public:
  // Loads the module and logs in; a missing key is not an error here (it may be created
  // later), only at use.
  static Result<std::shared_ptr<Pkcs11Kek>> open(Pkcs11KekConfig config, Random& random);

  const std::string& id() const override { return id_; }
  Result<std::string> wrap(std::string_view data_key, std::string_view context) override;
  Result<std::string> unwrap(std::string_view wrapped, std::string_view context) override;

 private:
  Pkcs11Kek(std::string id, std::string key_label, std::unique_ptr<Pkcs11Token> token,
            Random& random)
      : id_(std::move(id)),
        key_label_(std::move(key_label)),
        token_(std::move(token)),
        random_(random) {}
  std::string id_;
  std::string key_label_;
  std::mutex mutex_;  // one PKCS#11 session, one operation at a time
  std::unique_ptr<Pkcs11Token> token_;
  Random& random_;
};

}  // namespace gh::crypto
