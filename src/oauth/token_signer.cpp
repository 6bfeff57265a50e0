#include "oauth/token_signer.h"

#include "crypto/error_codes.h"
#include "crypto/jose/jwt.h"
#include "tenancy/signing_keys.h"

namespace gh::oauth {

namespace {
constexpr int64_t kIssuerCacheMs = 5'000;
}

KeyServiceSigner::KeyServiceSigner(std::shared_ptr<tenancy::KeyService> keys, const Clock& clock)
    : keys_(std::move(keys)), clock_(clock) {}

Result<std::string> KeyServiceSigner::issuer_of(const store::Environment& env,
                                                std::string_view organization_id) {
  if (organization_id.empty()) return std::string();
  const std::string key = env.id + "/" + std::string(organization_id);
  const int64_t now = clock_.now_ms();
  {
    std::lock_guard lock(mu_);
    auto it = own_issuer_.find(key);
    if (it != own_issuer_.end() && now - it->second.second < kIssuerCacheMs) {
      return it->second.first ? std::string(organization_id) : std::string();
    }
  }
  auto k = keys_->keys(env, organization_id);
  bool own = true;
  if (!k) {
    if (k.error().code != errc::KeyIssuerNotFound) return fail(k.error());
    own = false;
  }
  std::lock_guard lock(mu_);
  own_issuer_[key] = {own, now};
  return own ? std::string(organization_id) : std::string();
}

std::string KeyServiceSigner::issuer_url(const store::Environment& env,
                                         std::string_view issuer_organization) const {
  return keys_->issuer_url(env, issuer_organization);
}

Result<std::string> KeyServiceSigner::sign(const store::Environment& env,
                                           std::string_view issuer_organization,
                                           const nlohmann::json& claims, std::string_view typ,
                                           std::optional<jose::Alg> alg) {
  auto key = keys_->signing_key(env, issuer_organization, alg);
  if (!key) return fail(key.error());
  return jose::jwt_sign(*key, claims, typ);
}

Result<std::shared_ptr<const jose::KeySet>> KeyServiceSigner::keys(
    const store::Environment& env, std::string_view issuer_organization) {
  auto k = keys_->keys(env, issuer_organization);
  if (!k) return fail(k.error());
  return (*k)->keys;
}

}  // namespace gh::oauth
