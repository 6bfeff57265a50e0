#include "oauth/provider.h"

#include "oauth/authorization_code_grant.h"
#include "oauth/client_credentials_grant.h"
#include "oauth/refresh_token_grant.h"

namespace gh::oauth {

Provider::Provider(ProviderOptions o)
    : store_(o.store),
      signer_(o.signer),
      clock_(o.clock),
      issuer_(o.signer, o.clock, o.random),
      clients_(o.store, o.hasher, o.clock),
      verifier_(o.store, o.signer, o.clock),
      users_(o.users),
      claims_supported_(std::move(o.claims_supported)) {
  GrantDeps deps{o.store, issuer_, o.permissions, o.users};
  grants_.add(std::make_unique<AuthorizationCodeGrant>(deps));
  grants_.add(std::make_unique<RefreshTokenGrant>(deps));
  grants_.add(std::make_unique<ClientCredentialsGrant>(deps));
}

}  // namespace gh::oauth
