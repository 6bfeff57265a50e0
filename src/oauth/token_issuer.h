// Builds and signs what the token endpoint hands out: RFC 9068 access tokens (typ at+jwt) and
// OpenID Connect ID tokens. Claims only; which claims a grant may carry is the grant's call.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/clock.h"
#include "core/random.h"
#include "identity/user_directory.h"
#include "oauth/authorization_request.h"  // is_oidc_scope: OIDC scopes vs permissions
#include "oauth/token_signer.h"
#include "store/applications.h"

namespace gh::oauth {

// How the user authenticated, carried from the code to every token of its refresh family.
struct UserAuthentication {
  std::string user_id;
  std::string sid;
  int64_t auth_time_s = 0;
  std::string acr;
  std::vector<std::string> amr;
};

struct AccessTokenSpec {
  std::string issuer_organization;  // whose keys sign ("" = the environment's)
  std::string organization_id;      // org_id claim ("" = none)
  std::string client_id;
  std::string subject;   // the user, or the client_id for client_credentials
  std::string audience;  // the resource identifier, or the UserInfo endpoint
  std::vector<std::string> scopes;
  std::vector<std::string> permissions;  // granted for the audience
  int64_t ttl_s = 300;
  std::optional<UserAuthentication> user;
  std::string dpop_jkt;  // RFC 9449 §6.1: cnf.jkt ("" = a Bearer token)
  nlohmann::json act;    // RFC 8693 §4.1: who acts for the subject (token exchange), or null
};

struct IssuedAccessToken {
  std::string token;
  std::string jti;
  std::string dpop_jkt;  // the key the token is bound to ("" = Bearer)
  int64_t iat_s = 0;
  int64_t exp_s = 0;
};

struct IdTokenSpec {
  std::string issuer_organization;
  std::string organization_id;
  std::string client_id;
  UserAuthentication user;
  std::string nonce;
  std::vector<std::string> scopes;  // profile/email decide the claims
  const identity::UserClaims* claims = nullptr;
  int64_t ttl_s = 3600;
  std::string alg = "RS256";
};

// The standard claims a scope releases (OIDC Core §5.4), from the directory's record.
void add_scope_claims(nlohmann::json& out, const std::vector<std::string>& scopes,
                      const identity::UserClaims& claims);

class TokenIssuer {
 public:
  TokenIssuer(TokenSigner& signer, const Clock& clock = SystemClock::instance(),
              Random& random = SecureRandom::instance())
      : signer_(signer), clock_(clock), random_(random) {}

  Result<IssuedAccessToken> access_token(const store::Environment& env,
                                         const AccessTokenSpec& spec);
  Result<std::string> id_token(const store::Environment& env, const IdTokenSpec& spec);
  // Opaque, 256-bit random (refresh tokens, codes).
  std::string opaque_token() { return random_.base64url(32); }
  std::string new_id() { return random_.base64url(16); }

  TokenSigner& signer() { return signer_; }
  const Clock& clock() const { return clock_; }
  // The audience of a token that names no resource: the environment's UserInfo endpoint.
  std::string userinfo_audience(const store::Environment& env) const {
    return signer_.issuer_url(env, "") + "/oauth2/userinfo";
  }

 private:
  TokenSigner& signer_;
  const Clock& clock_;
  Random& random_;
};

}  // namespace gh::oauth
