// Who is calling the token, introspection and revocation endpoints (RFC 6749 §2.3):
// client_secret_basic, client_secret_post, or none (a public client names itself with
// client_id and proves nothing: PKCE protects its codes). A confidential client must use the
// method it registered. Client secrets are typed secrets gh_cs_<lookup>_<secret>
// (tenancy/secrets.h): several may be live at once (rotation), each with an optional expiry,
// compared in constant time against their peppered hash.
#pragma once

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
  std::string method;  // client_secret_basic | client_secret_post | none
};

class ClientAuthenticator {
 public:
  ClientAuthenticator(ApplicationCache& applications, const tenancy::SecretHasher& hasher,
                      const Clock& clock = SystemClock::instance())
      : applications_(applications), hasher_(hasher), clock_(clock) {}

  // invalid_client (401; with WWW-Authenticate when Basic was tried) for an unknown client_id
  // (another environment's included), a disabled application, a wrong, expired or revoked
  // secret, a public client sending a secret, or a method other than the registered one.
  // invalid_request for malformed or doubled credentials.
  OAuthResult<AuthenticatedClient> authenticate(const store::Environment& env,
                                                const http::Request& req,
                                                const FormParams& form) const;

 private:
  ApplicationCache& applications_;
  const tenancy::SecretHasher& hasher_;
  const Clock& clock_;
};

}  // namespace gh::oauth
