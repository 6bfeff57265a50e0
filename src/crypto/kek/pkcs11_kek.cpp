#include "crypto/kek/pkcs11_kek.h"
#include "crypto/error_codes.h"

namespace gh::crypto {

Result<std::shared_ptr<Pkcs11Kek>> Pkcs11Kek::open(Pkcs11KekConfig config, Random& random) {
  if (config.id.empty() || config.key_label.empty()) {
    return fail(errc::CryptoKekInvalid, {}, "a pkcs11 KEK needs an id and a key label");
  }
  auto module = Pkcs11Module::load(config.module_path);
  if (!module) return fail(module.error());
  auto token = Pkcs11Token::open(std::move(*module), config.token_label, std::move(config.pin));
  if (!token) return fail(token.error());
  return std::shared_ptr<Pkcs11Kek>(
      new Pkcs11Kek(std::move(config.id), std::move(config.key_label), std::move(*token), random));
}

Result<std::string> Pkcs11Kek::wrap(std::string_view data_key, std::string_view context) {
  const std::string nonce = random_.bytes(12);
  std::lock_guard lock(mutex_);
  return token_->gcm_encrypt(key_label_, nonce, context, data_key);
}

Result<std::string> Pkcs11Kek::unwrap(std::string_view wrapped, std::string_view context) {
  std::lock_guard lock(mutex_);
  return token_->gcm_decrypt(key_label_, context, wrapped);
}

}  // namespace gh::crypto
