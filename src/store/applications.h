// Applications (OAuth clients), their secrets, resources (APIs with an audience) and their
// permissions, and what each application is granted per resource for client_credentials.
// Environment-wide rows use organization id ""; organization-scoped machine clients carry
// their organization's id. Organization id leads every key.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"
#include "store/organizations.h"  // Page, PageOf

namespace gh::store {

struct Application {
  std::string id;  // UUIDv7
  std::string environment_id;
  std::string organization_id;  // "" = environment-wide; else an organization's machine client
  std::string client_id;        // public, unique in the environment (gh_app_<base32>)
  std::string name;
  std::string type = "confidential";                   // confidential | public
  std::vector<std::string> redirect_uris;              // exact match
  std::vector<std::string> post_logout_redirect_uris;  // exact match (issue 7)
  std::vector<std::string> grant_types = {"authorization_code", "refresh_token"};
  // client_secret_basic | client_secret_post | private_key_jwt (confidential), none (public).
  std::string token_endpoint_auth_method = "client_secret_basic";
  bool pkce_required = true;  // may be false only for confidential clients (OpenID Basic)
  std::string id_token_signed_response_alg = "RS256";
  int64_t access_token_ttl_s = 300;  // at most 3600
  int64_t id_token_ttl_s = 3600;
  int64_t refresh_token_ttl_s = 2592000;  // absolute, 30 days
  int64_t refresh_idle_ttl_s = 604800;    // idle, 7 days
  std::string backchannel_logout_uri;     // issue 7
  std::string status = "active";          // active | disabled
  // private_key_jwt (issue 7): the client's registered public keys, a JWKS document as JSON
  // text ("" = none).
  std::string jwks;
  // DPoP (RFC 9449 §5.2): every access token of this client must be DPoP-bound.
  bool dpop_bound_access_tokens = false;
  // RFC 9449 §8: this client's DPoP proofs must carry a server nonce (DPoP-Nonce).
  bool dpop_nonce_required = false;
  // RFC 9126 §5: this client's authorization requests must come through PAR (request_uri).
  bool require_pushed_authorization_requests = false;
  // private_key_jwt with the client's keys at a URL (issue 7; RFC 7591 §2: never with `jwks`):
  // https, or http to a loopback host; fetched and cached like an IdP's JWKS.
  std::string jwks_uri;
  // OIDC Back-Channel Logout 1.0 §2.2: the client needs `sid` in every logout token.
  bool backchannel_logout_session_required = false;
  int64_t version = 1;
  int64_t created_at_ms = 0;
  int64_t updated_at_ms = 0;
};

struct ClientSecret {
  std::string id;  // UUIDv7
  std::string environment_id;
  std::string organization_id;
  std::string application_id;
  std::string lookup;  // public part of gh_cs_<lookup>_<secret>
  std::string hash;    // HMAC-SHA-256 under the pepper (tenancy/secrets.h)
  int64_t created_at_ms = 0;
  int64_t expires_at_ms = 0;  // 0 = never
  int64_t revoked_at_ms = 0;  // 0 = live
};

struct Permission {
  std::string name;  // the scope string, e.g. "invoices:read"
  std::string description;
};

struct Resource {
  std::string id;  // UUIDv7
  std::string environment_id;
  std::string identifier;  // the audience (RFC 8707 resource indicator), an absolute URI
  std::string name;
  std::vector<Permission> permissions;
  int64_t version = 1;
  int64_t created_at_ms = 0;
  int64_t updated_at_ms = 0;
};

// What an application may obtain for a resource with client_credentials.
struct ResourceGrant {
  std::string environment_id;
  std::string organization_id;  // the application's
  std::string application_id;
  std::string resource_id;
  std::vector<std::string> permissions;
  int64_t updated_at_ms = 0;
};

class ApplicationRepository {
 public:
  virtual ~ApplicationRepository() = default;
  // application.already_exists when the client_id is taken in the environment.
  virtual Result<Application> create(const Application& app) = 0;
  // application.not_found for unknown ids and other organizations' or environments' ids.
  virtual Result<Application> get(std::string_view environment_id, std::string_view organization_id,
                                  std::string_view id) = 0;
  // The token and authorization endpoints' lookup: client_id is unique per environment.
  // application.not_found when unknown.
  virtual Result<Application> find_by_client_id(std::string_view environment_id,
                                                std::string_view client_id) = 0;
  virtual Result<PageOf<Application>> list(std::string_view environment_id,
                                           std::string_view organization_id, const Page& page) = 0;
  // Optimistic concurrency: request.precondition_failed when app.version is stale.
  virtual Result<Application> update(const Application& app) = 0;
  virtual Result<Application> remove(std::string_view environment_id,
                                     std::string_view organization_id, std::string_view id) = 0;

  virtual Result<ClientSecret> add_secret(const ClientSecret& secret) = 0;
  virtual Result<std::vector<ClientSecret>> list_secrets(std::string_view environment_id,
                                                         std::string_view organization_id,
                                                         std::string_view application_id) = 0;
  virtual Result<ClientSecret> revoke_secret(std::string_view environment_id,
                                             std::string_view organization_id,
                                             std::string_view application_id,
                                             std::string_view secret_id, int64_t now_ms) = 0;

  // resource.already_exists when the identifier is taken in the environment.
  virtual Result<Resource> create_resource(const Resource& resource) = 0;
  virtual Result<Resource> get_resource(std::string_view environment_id, std::string_view id) = 0;
  virtual Result<Resource> find_resource(std::string_view environment_id,
                                         std::string_view identifier) = 0;
  virtual Result<PageOf<Resource>> list_resources(std::string_view environment_id,
                                                  const Page& page) = 0;
  virtual Result<Resource> update_resource(const Resource& resource) = 0;
  virtual Result<Resource> remove_resource(std::string_view environment_id,
                                           std::string_view id) = 0;

  // Replaces the application's grant on the resource (empty permissions removes it).
  virtual Result<ResourceGrant> set_grant(const ResourceGrant& grant) = 0;
  virtual Result<std::vector<ResourceGrant>> list_grants(std::string_view environment_id,
                                                         std::string_view organization_id,
                                                         std::string_view application_id) = 0;
};

}  // namespace gh::store
