// RFC 6749 §6 refresh_token with rotation on every use (RFC 9700 §4.14.2): the presented token
// is marked rotated and a new one of the same family is returned. Presenting a rotated token
// again is reuse: the whole family is revoked. Bound to its client; idle expiry per token and
// absolute expiry per family; the requested scope may only narrow the original grant (the
// family keeps the original grant).
#pragma once

#include "oauth/grant_handler.h"

namespace gh::oauth {

class RefreshTokenGrant final : public GrantHandler {
 public:
  explicit RefreshTokenGrant(GrantDeps deps) : deps_(deps) {}
  std::string_view grant_type() const override { return "refresh_token"; }
  OAuthResult<GrantDecision> handle(const TokenRequest& req) override;
  OAuthResult<nlohmann::json> populate(const TokenRequest& req, GrantDecision& d) override;

 private:
  GrantDeps deps_;
};

}  // namespace gh::oauth
