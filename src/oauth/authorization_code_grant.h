// RFC 6749 §4.1.3 authorization_code with PKCE (RFC 7636, S256 only). The code is looked up by
// its SHA-256 hash, bound to its client and redirect_uri, valid until its expiry (60 s from
// issue) and redeemed once: a replayed code (or the loser of two concurrent redemptions)
// revokes the refresh family the redemption started and deny-lists the access tokens it
// issued (RFC 6749 §4.1.2, RFC 9700 §4.5).
#pragma once

#include "oauth/grant_handler.h"

namespace gh::oauth {

class AuthorizationCodeGrant final : public GrantHandler {
 public:
  explicit AuthorizationCodeGrant(GrantDeps deps) : deps_(deps) {}
  std::string_view grant_type() const override { return "authorization_code"; }
  OAuthResult<GrantDecision> handle(const TokenRequest& req) override;
  OAuthResult<nlohmann::json> populate(const TokenRequest& req, GrantDecision& d) override;

 private:
  GrantDeps deps_;
};

}  // namespace gh::oauth
