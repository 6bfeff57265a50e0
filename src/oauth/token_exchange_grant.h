// RFC 8693 token exchange, to narrow and to delegate, never to widen. The subject_token is an
// access token this environment issued (AccessTokenVerifier: signature, expiry, deny-list);
// the new token:
//   - keeps its subject, organization, issuer and user authentication;
//   - has the subject token's audience: `resource`/`audience`, when given, must name that same
//     audience (anything else is invalid_target: an exchange never moves a token to another
//     API);
//   - carries the requested `scope`, each of which the subject token already carries
//     (invalid_scope otherwise); without `scope`, the subject token's;
//   - never outlives the subject token;
//   - with `actor_token` (an active access token of ours obtained by the requesting client
//     itself), records delegation: act = {"sub": actor's sub, "client_id": actor's client},
//     nesting the subject token's own act as the prior actor (RFC 8693 §4.1);
//   - is DPoP-bound when the request carries a proof; a DPoP-bound subject token is exchanged
//     only with a proof of its key.
// Only applications registered for the grant may use it (GrantRegistry: unauthorized_client),
// and an organization's machine client only for its organization's tokens.
#pragma once

#include "oauth/grant_handler.h"

namespace gh::oauth {

inline constexpr std::string_view kTokenExchangeGrant =
    "urn:ietf:params:oauth:grant-type:token-exchange";
inline constexpr std::string_view kAccessTokenType =
    "urn:ietf:params:oauth:token-type:access_token";

class TokenExchangeGrant final : public GrantHandler {
 public:
  explicit TokenExchangeGrant(GrantDeps deps) : deps_(deps) {}
  std::string_view grant_type() const override { return kTokenExchangeGrant; }
  OAuthResult<GrantDecision> handle(const TokenRequest& req) override;
  OAuthResult<nlohmann::json> populate(const TokenRequest& req, GrantDecision& d) override;

 private:
  GrantDeps deps_;
};

}  // namespace gh::oauth
