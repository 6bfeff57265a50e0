#include "crypto/kek/kek_provider.h"
#include "crypto/error_codes.h"

#include <mutex>

namespace gh::crypto {

Result<void> KekRegistry::add(std::shared_ptr<KekProvider> kek) {
  if (!kek || kek->id().empty()) return fail(errc::CryptoKekInvalid, {}, "a KEK needs an id");
  std::unique_lock lock(mutex_);
  auto [it, inserted] = keks_.emplace(kek->id(), kek);
  if (!inserted) {
    return fail(errc::CryptoKekInvalid, {}, "a KEK with id " + kek->id() + " exists");
  }
  return {};
}

void KekRegistry::remove(std::string_view id) {
  std::unique_lock lock(mutex_);
  keks_.erase(std::string(id));
}

Result<std::shared_ptr<KekProvider>> KekRegistry::find(std::string_view id) const {
  std::shared_lock lock(mutex_);
  auto it = keks_.find(std::string(id));
  if (it == keks_.end()) return fail(errc::CryptoKekNotFound, {}, "KEK " + std::string(id));
  return it->second;
}

std::vector<std::string> KekRegistry::ids() const {
  std::shared_lock lock(mutex_);
  std::vector<std::string> out;
  for (const auto& [id, kek] : keks_) out.push_back(id);
  return out;
}

}  // namespace gh::crypto
