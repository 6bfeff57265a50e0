// Who is calling the token, introspection and revocation endpoints (RFC 6749 §2.3):
// client_secret_basic, client_secret_post, private_key_jwt (RFC 7523, client_assertion.h), or
// none (a public client names itself with client_id and proves nothing: PKCE protects its codes). A
// confidential client must use the method it registered. Client secrets are typed secrets
// gh_cs_<lookup>_<secret> (tenancy/secrets.h): several may be live at once (rotation), each with an
// optional expiry, compared in constant time against their peppered hash.
#pragma once

#include <functional>
#include <string>
#include <string_view>

#include "core/clock.h"
#include "http/message.h"
#include "oauth/application_cache.h"
#include "oauth/form_params.h"
#include "oauth/oauth_error.h"
#include "store/store.h"
#include "tenancy/secrets.h"

namespace gh::oauth {

inline constexpr std::string_view kClientSecretPrefix = "gh_cs_";

struct AuthenticatedClient {
  store::Application app;
  std::string method;  // client_secret_basic | client_secret_post | private_key_jwt | none
};

// The issuer identifier of an environment: the only audience a client assertion may name.
using IssuerOf = std::function<std::string(const store::Environment&)>;

class ClientAuthenticator {
 public:
  ClientAuthenticator(ApplicationCache& applications, store::Store& store,
                      const tenancy::SecretHasher& hasher,
                      const Clock& clock = SystemClock::instance(), IssuerOf issuer_of = {})
      : applications_(applications),
        store_(store),
        hasher_(hasher),
        clock_(clock),
        issuer_of_(std::move(issuer_of)) {}

  // invalid_client (401; with WWW-Authenticate when Basic was tried) for an unknown client_id
  // (another environment's included), a disabled application, a wrong, expired or revoked
  // secret, a public client sending a secret, or a method other than the registered one.
  // private_key_jwt: a client registered for it must send client_assertion_type jwt-bearer and
  // client_assertion (client_assertion.h lists the checks); each jti is accepted once, on
  // every node, until the assertion expires (invalid_client on a replay).
  // invalid_request for malformed or doubled credentials.
  OAuthResult<AuthenticatedClient> authenticate(const store::Environment& env,
                                                const http::Request& req,
                                                const FormParams& form) const;

 private:
  OAuthResult<AuthenticatedClient> authenticate_assertion(const store::Environment& env,
                                                          const store::Application& app,
                                                          const std::string& assertion) const;
  ApplicationCache& applications_;
  store::Store& store_;
  const tenancy::SecretHasher& hasher_;
  const Clock& clock_;
  IssuerOf issuer_of_;
};

}  // namespace gh::oauth
