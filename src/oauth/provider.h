// The OIDC provider's back channel for one process: the parts every endpoint shares (client
// authentication, the grant registry, token issuing and verification). Endpoints are free
// functions, one file each (token_endpoint.cpp, introspection_endpoint.cpp, ...).
#pragma once

#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>
#include <vector>

#include "http/message.h"
#include "identity/user_directory.h"
#include "oauth/access_token_verifier.h"
#include "oauth/client_authentication.h"
#include "oauth/dpop.h"
#include "oauth/grant_handler.h"
#include "oauth/token_issuer.h"
#include "oauth/user_permissions.h"
#include "store/store.h"

namespace gh::oauth {

struct ProviderOptions {
  store::Store& store;
  TokenSigner& signer;
  const tenancy::SecretHasher& hasher;
  UserPermissions& permissions;
  identity::UserDirectory* users = nullptr;
  // The environment's claims_supported (the attribute catalog's released claims).
  std::function<Result<std::vector<std::string>>(const store::Environment&)> claims_supported;
  const Clock& clock = SystemClock::instance();
  Random& random = SecureRandom::instance();
};

class Provider {
 public:
  explicit Provider(ProviderOptions options);

  store::Store& store() { return store_; }
  TokenSigner& signer() { return signer_; }
  TokenIssuer& issuer() { return issuer_; }
  ClientAuthenticator& clients() { return clients_; }
  GrantRegistry& grants() { return grants_; }
  AccessTokenVerifier& verifier() { return verifier_; }
  const DpopNonces& dpop_nonces() const { return dpop_nonces_; }
  identity::UserDirectory* users() { return users_; }
  const Clock& clock() const { return clock_; }
  Result<std::vector<std::string>> claims_supported(const store::Environment& env) {
    return claims_supported_ ? claims_supported_(env) : std::vector<std::string>{};
  }

  // The discovery document of the environment's issuer, or of an organization's own issuer
  // (key.issuer_not_found when it has none); cached per issuer for 30 s (it lists the keys'
  // algorithms).
  Result<nlohmann::json> discovery(const store::Environment& env,
                                   std::string_view organization_id = {});
  // The same, serialized once per cache fill (what the endpoint sends).
  Result<std::shared_ptr<const std::string>> discovery_body(const store::Environment& env,
                                                            std::string_view organization_id);

 private:
  store::Store& store_;
  TokenSigner& signer_;
  const Clock& clock_;
  TokenIssuer issuer_;
  ApplicationCache applications_;
  ClientAuthenticator clients_;
  GrantRegistry grants_;
  AccessTokenVerifier verifier_;
  DpopNonces dpop_nonces_;
  identity::UserDirectory* users_;
  std::function<Result<std::vector<std::string>>(const store::Environment&)> claims_supported_;
  std::mutex discovery_mu_;
  struct CachedDiscovery {
    nlohmann::json doc;
    std::shared_ptr<const std::string> body;
    int64_t loaded_ms = 0;
  };
  Result<std::shared_ptr<const CachedDiscovery>> cached_discovery(const store::Environment& env,
                                                                  std::string_view organization_id);
  std::unordered_map<std::string, std::shared_ptr<const CachedDiscovery>> discovery_cache_;
  // The change-bus subscription reaches the caches through this handle (the store outlives
  // the provider; a publish after destruction finds the handle gone).
  std::shared_ptr<Provider*> bus_handle_;
};

// POST /{env}/oauth2/token
http::Response token_endpoint(Provider& p, const store::Environment& env, const http::Request& req);
// POST /{env}/oauth2/introspect (RFC 7662)
http::Response introspection_endpoint(Provider& p, const store::Environment& env,
                                      const http::Request& req);
// POST /{env}/oauth2/revoke (RFC 7009)
http::Response revocation_endpoint(Provider& p, const store::Environment& env,
                                   const http::Request& req);
// GET|POST /{env}/oauth2/userinfo (OIDC Core §5.3)
http::Response userinfo_endpoint(Provider& p, const store::Environment& env,
                                 const http::Request& req);
// GET /{env}/.well-known/openid-configuration
http::Response discovery_endpoint(Provider& p, const store::Environment& env,
                                  const http::Request& req);

}  // namespace gh::oauth
