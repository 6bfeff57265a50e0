#include "oauth/token_signer.h"

#include "crypto/error_codes.h"
#include "crypto/jose/jwt.h"
#include "tenancy/signing_keys.h"

namespace gh::oauth {

KeyServiceSigner::KeyServiceSigner(std::shared_ptr<tenancy::KeyService> keys)
    : keys_(std::move(keys)) {}

Result<std::string> KeyServiceSigner::issuer_of(const store::Environment& env,
                                                std::string_view organization_id) {
  if (organization_id.empty()) return std::string();
  auto own = keys_->has_own_issuer(env, organization_id);
  if (!own) return fail(own.error());
  return *own ? std::string(organization_id) : std::string();
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
