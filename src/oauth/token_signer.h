// Whose keys sign an organization's tokens, and the signing itself. The server's signer goes
// through tenancy::KeyService (an organization with an issuer of its own signs under
// {public_url}/{env}/o/{org}, every other under the environment's {public_url}/{env}); tests
// inject a signer over a generated key set.
#pragma once

#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>

#include "core/result.h"
#include "crypto/jose/key_set.h"
#include "store/environments.h"

namespace gh::tenancy {
class KeyService;
}

namespace gh::oauth {

class TokenSigner {
 public:
  virtual ~TokenSigner() = default;
  // The organization whose own issuer signs this organization's tokens ("" = the
  // environment's issuer).
  virtual Result<std::string> issuer_of(const store::Environment& env,
                                        std::string_view organization_id) = 0;
  virtual std::string issuer_url(const store::Environment& env,
                                 std::string_view issuer_organization) const = 0;
  // Signs with the issuer's active key for `alg` (the issuer's default when absent).
  virtual Result<std::string> sign(const store::Environment& env,
                                   std::string_view issuer_organization,
                                   const nlohmann::json& claims, std::string_view typ,
                                   std::optional<jose::Alg> alg = std::nullopt) = 0;
  // The issuer's verification keys (active, next and retired; never revoked).
  virtual Result<std::shared_ptr<const jose::KeySet>> keys(
      const store::Environment& env, std::string_view issuer_organization) = 0;
};

class KeyServiceSigner final : public TokenSigner {
 public:
  explicit KeyServiceSigner(std::shared_ptr<tenancy::KeyService> keys);
  Result<std::string> issuer_of(const store::Environment& env,
                                std::string_view organization_id) override;
  std::string issuer_url(const store::Environment& env,
                         std::string_view issuer_organization) const override;
  Result<std::string> sign(const store::Environment& env, std::string_view issuer_organization,
                           const nlohmann::json& claims, std::string_view typ,
                           std::optional<jose::Alg> alg) override;
  Result<std::shared_ptr<const jose::KeySet>> keys(const store::Environment& env,
                                                   std::string_view issuer_organization) override;

 private:
  std::shared_ptr<tenancy::KeyService> keys_;
};

}  // namespace gh::oauth
