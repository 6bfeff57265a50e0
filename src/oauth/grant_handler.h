// The token endpoint's grants as registered handlers (after ory/fosite): each answers three
// questions: can I handle this request, handle it (validate and decide what is granted),
// populate the response (issue, persist, answer). Adding a grant is one file and one
// registration.
#pragma once

#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "identity/user_directory.h"
#include "oauth/access_token_verifier.h"
#include "oauth/application_cache.h"
#include "oauth/form_params.h"
#include "oauth/oauth_error.h"
#include "oauth/token_issuer.h"
#include "oauth/user_permissions.h"
#include "store/store.h"

namespace gh::oauth {

// What every grant may use.
struct GrantDeps {
  store::Store& store;
  TokenIssuer& tokens;
  UserPermissions& permissions;
  ApplicationCache& applications;            // applications, grants, resources (5 s, bus-dropped)
  identity::UserDirectory* users = nullptr;  // null: ID tokens carry no profile claims
  AccessTokenVerifier* verifier = nullptr;   // token exchange's subject and actor tokens
};

struct TokenRequest {
  const store::Environment& env;
  const store::Application& client;
  std::string auth_method;  // how the client authenticated
  const FormParams& form;
  std::string grant_type;
  // RFC 9449: the thumbprint of the request's verified DPoP proof key ("" = no proof); the
  // access token is then bound to it (cnf.jkt, token_type DPoP).
  std::string dpop_jkt = {};
};

// What handle() decided; populate() turns it into tokens.
struct GrantDecision {
  std::string issuer_organization;
  std::string organization_id;
  std::string subject;
  std::string audience;
  std::optional<store::Resource> resource;
  std::vector<std::string> scopes;       // OIDC scopes granted
  std::vector<std::string> permissions;  // resource permissions granted
  std::optional<UserAuthentication> user;
  std::string nonce;
  std::vector<std::string> resources;  // every resource of the family (refresh)
  std::string original_scope;          // the family's whole grant (refresh)
  std::optional<store::AuthorizationCode> code;
  std::optional<store::RefreshToken> refresh;
  nlohmann::json act;        // RFC 8693 §4.1 delegation (token exchange), or null
  int64_t expires_at_s = 0;  // a bound the access token must not outlive (0 = none)
};

class GrantHandler {
 public:
  virtual ~GrantHandler() = default;
  virtual std::string_view grant_type() const = 0;
  virtual bool can_handle(const TokenRequest& req) const { return req.grant_type == grant_type(); }
  virtual OAuthResult<GrantDecision> handle(const TokenRequest& req) = 0;
  virtual OAuthResult<nlohmann::json> populate(const TokenRequest& req,
                                               GrantDecision& decision) = 0;
};

class GrantRegistry {
 public:
  void add(std::unique_ptr<GrantHandler> handler) { handlers_.push_back(std::move(handler)); }
  // unsupported_grant_type when none handles it; unauthorized_client when the application is
  // not registered for it.
  OAuthResult<nlohmann::json> exchange(const TokenRequest& req);
  std::vector<std::string> grant_types() const;

 private:
  std::vector<std::unique_ptr<GrantHandler>> handlers_;
};

// Shared by the grants.
// The scope claim/response: OIDC scopes then permissions.
std::vector<std::string> granted_scopes(const GrantDecision& d);
// A token response with an access token (and its decision's scope); the caller adds the rest.
nlohmann::json access_token_response(const IssuedAccessToken& at, const GrantDecision& d);
AccessTokenSpec access_spec(const TokenRequest& req, const GrantDecision& d);

}  // namespace gh::oauth
