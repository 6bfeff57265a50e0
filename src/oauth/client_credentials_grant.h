// RFC 6749 §4.4 client_credentials for machine clients: the access token carries only the
// permissions the application is granted on the RFC 8707 resource (its audience); any other
// requested scope is invalid_scope. Without `resource`, the one resource the application is
// granted on is used (several or none: invalid_target). No refresh token (RFC 6749 §4.4.3).
#pragma once

#include "oauth/grant_handler.h"

namespace gh::oauth {

class ClientCredentialsGrant final : public GrantHandler {
 public:
  explicit ClientCredentialsGrant(GrantDeps deps) : deps_(deps) {}
  std::string_view grant_type() const override { return "client_credentials"; }
  OAuthResult<GrantDecision> handle(const TokenRequest& req) override;
  OAuthResult<nlohmann::json> populate(const TokenRequest& req, GrantDecision& d) override;

 private:
  GrantDeps deps_;
};

}  // namespace gh::oauth
