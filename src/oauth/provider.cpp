#include "oauth/provider.h"

#include "oauth/authorization_code_grant.h"
#include "oauth/client_credentials_grant.h"
#include "oauth/refresh_token_grant.h"
#include "oauth/token_exchange_grant.h"

namespace gh::oauth {

Provider::Provider(ProviderOptions o)
    : store_(o.store),
      signer_(o.signer),
      clock_(o.clock),
      issuer_(o.signer, o.clock, o.random),
      applications_(o.store, o.clock),
      clients_(applications_, o.store, o.hasher, o.clock,
               [&signer = o.signer](const store::Environment& env) {
                 return signer.issuer_url(env, "");
               }),
      verifier_(o.store, o.signer, o.clock),
      dpop_nonces_(o.hasher, o.clock),
      users_(o.users),
      claims_supported_(std::move(o.claims_supported)) {
  GrantDeps deps{o.store, issuer_, o.permissions, applications_, o.users, &verifier_};
  grants_.add(std::make_unique<AuthorizationCodeGrant>(deps));
  grants_.add(std::make_unique<RefreshTokenGrant>(deps));
  grants_.add(std::make_unique<ClientCredentialsGrant>(deps));
  grants_.add(std::make_unique<TokenExchangeGrant>(deps));
  // A revoked access token (revocation endpoint, replayed code, reused refresh token) must fail
  // introspection and UserInfo at once on every node, not after the verified-token cache's TTL:
  // revocations announce kTokensRevokedTopic in their transaction (NOTIFY on PostgreSQL). A
  // changed application, secret, resource or grant announces kApplicationsChangedTopic.
  bus_handle_ = std::make_shared<Provider*>(this);
  o.store.changes().subscribe(
      [weak = std::weak_ptr<Provider*>(bus_handle_)](const store::Change& c) {
        auto h = weak.lock();
        if (!h) return;
        if (c.flush_all() || c.topic == kTokensRevokedTopic) (*h)->verifier_.forget_all();
        if (c.flush_all() || c.topic == kApplicationsChangedTopic) (*h)->applications_.forget_all();
      });
}

}  // namespace gh::oauth
