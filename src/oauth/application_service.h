// Applications (OAuth clients), their client secrets, resources (APIs) and what each
// application is granted per resource: the admin API's and the CLI's one service. Every
// mutation is one transaction with its audit record and outbox event (TenancyService::record).
// Input is validated once here:
//   - redirect URIs: absolute, https (http only for loopback: 127.0.0.1, [::1], localhost), no
//     fragment (RFC 6749 §3.1.2, RFC 8252 §7.3), exact match later;
//   - public clients: token_endpoint_auth_method none, no secrets, PKCE required;
//     pkce_required=false only for confidential clients (the OpenID Basic waiver);
//   - organization machine clients (organization id set): confidential, client_credentials;
//   - lifetimes: access 60..3600 s, ID token 60..86400 s, refresh idle <= absolute <= 1 year.
#pragma once

#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "core/clock.h"
#include "core/random.h"
#include "store/store.h"
#include "tenancy/service.h"

namespace gh::oauth {

struct CreatedApplication {
  store::Application app;
  std::optional<std::string> client_secret;  // the first secret of a confidential client, once
  std::optional<store::ClientSecret> secret;
};

struct IssuedClientSecret {
  store::ClientSecret secret;
  std::string value;  // shown once
};

nlohmann::json application_json(const store::Application& app);
nlohmann::json client_secret_json(const store::ClientSecret& s, int64_t now_ms);
nlohmann::json resource_json(const store::Resource& r);
nlohmann::json grant_json(const store::ResourceGrant& g);

// Checks one redirect URI; the reason when it is refused.
std::optional<std::string> redirect_uri_problem(std::string_view uri);

class ApplicationService {
 public:
  ApplicationService(store::Store& store, tenancy::TenancyService& tenancy,
                     const Clock& clock = SystemClock::instance(),
                     Random& random = SecureRandom::instance())
      : store_(store), tenancy_(tenancy), clock_(clock), random_(random) {}

  Result<CreatedApplication> create(const store::Environment& env, const std::string& org_id,
                                    const nlohmann::json& body, const tenancy::Actor& actor);
  Result<store::Application> get(const store::Environment& env, const std::string& org_id,
                                 const std::string& id);
  Result<store::PageOf<store::Application>> list(const store::Environment& env,
                                                 const std::string& org_id,
                                                 const store::Page& page);
  Result<store::Application> update(const store::Environment& env, const std::string& org_id,
                                    const std::string& id, const nlohmann::json& patch,
                                    int64_t expected_version, const tenancy::Actor& actor);
  Result<store::Application> remove(const store::Environment& env, const std::string& org_id,
                                    const std::string& id, const tenancy::Actor& actor);

  // expires_at_ms 0 = never.
  Result<IssuedClientSecret> add_secret(const store::Environment& env, const std::string& org_id,
                                        const std::string& app_id, int64_t expires_at_ms,
                                        const tenancy::Actor& actor);
  Result<std::vector<store::ClientSecret>> list_secrets(const store::Environment& env,
                                                        const std::string& org_id,
                                                        const std::string& app_id);
  Result<store::ClientSecret> revoke_secret(const store::Environment& env,
                                            const std::string& org_id, const std::string& app_id,
                                            const std::string& secret_id,
                                            const tenancy::Actor& actor);

  Result<store::Resource> create_resource(const store::Environment& env, const nlohmann::json& body,
                                          const tenancy::Actor& actor);
  Result<store::Resource> get_resource(const store::Environment& env, const std::string& id);
  Result<store::PageOf<store::Resource>> list_resources(const store::Environment& env,
                                                        const store::Page& page);
  Result<store::Resource> update_resource(const store::Environment& env, const std::string& id,
                                          const nlohmann::json& patch, int64_t expected_version,
                                          const tenancy::Actor& actor);
  Result<store::Resource> remove_resource(const store::Environment& env, const std::string& id,
                                          const tenancy::Actor& actor);

  Result<store::ResourceGrant> set_grant(const store::Environment& env, const std::string& org_id,
                                         const std::string& app_id, const std::string& resource_id,
                                         const std::vector<std::string>& permissions,
                                         const tenancy::Actor& actor);
  Result<std::vector<store::ResourceGrant>> list_grants(const store::Environment& env,
                                                        const std::string& org_id,
                                                        const std::string& app_id);

 private:
  Result<IssuedClientSecret> add_secret_in(store::Repositories& repos,
                                           const store::Environment& env,
                                           const store::Application& app, int64_t expires_at_ms,
                                           const tenancy::Actor& actor);
  store::Store& store_;
  tenancy::TenancyService& tenancy_;
  const Clock& clock_;
  Random& random_;
};

}  // namespace gh::oauth
