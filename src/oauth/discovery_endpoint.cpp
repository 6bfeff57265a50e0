// GET /{env}/.well-known/openid-configuration (OpenID Connect Discovery 1.0 §3, RFC 8414):
// only what the provider really does. Cached per issuer for 30 s: the signing algorithms
// follow the issuer's keys and the claims the attribute catalog.
//
// GET /{env}/o/{org}/.well-known/openid-configuration: an organization with an issuer of its
// own (key settings `own_issuer`) has its own document: its issuer, its JWKS and its own
// authorization endpoint (the organization pinned, `iss` its issuer); the token, UserInfo,
// introspection and revocation endpoints are the environment's, which accept its tokens.
#include <algorithm>
#include <set>

#include "crypto/error_codes.h"
#include "crypto/jose/algorithm.h"
#include "oauth/provider.h"

namespace gh::oauth {

namespace {
constexpr int64_t kDiscoveryCacheMs = 30'000;
}

Result<nlohmann::json> Provider::discovery(const store::Environment& env,
                                           std::string_view organization_id) {
  auto cached = cached_discovery(env, organization_id);
  if (!cached) return fail(cached.error());
  return (*cached)->doc;
}

Result<std::shared_ptr<const std::string>> Provider::discovery_body(
    const store::Environment& env, std::string_view organization_id) {
  auto cached = cached_discovery(env, organization_id);
  if (!cached) return fail(cached.error());
  return (*cached)->body;
}

Result<std::shared_ptr<const Provider::CachedDiscovery>> Provider::cached_discovery(
    const store::Environment& env, std::string_view organization_id) {
  const int64_t now = clock_.now_ms();
  const std::string cache_key = env.id + "/" + std::string(organization_id);
  {
    std::lock_guard lock(discovery_mu_);
    auto it = discovery_cache_.find(cache_key);
    if (it != discovery_cache_.end() && now - it->second->loaded_ms < kDiscoveryCacheMs) {
      return it->second;
    }
  }
  if (!organization_id.empty()) {
    auto own = signer_.issuer_of(env, organization_id);
    if (!own) return fail(own.error());
    if (*own != organization_id) {
      return fail(errc::KeyIssuerNotFound, "Organization '" + std::string(organization_id) +
                                               "' has no issuer of its own: use the "
                                               "environment's discovery document");
    }
  }
  const std::string env_iss = signer_.issuer_url(env, "");
  const std::string iss = signer_.issuer_url(env, organization_id);
  auto keys = signer_.keys(env, organization_id);
  if (!keys) return fail(keys.error());
  std::vector<std::string> algs;
  for (const auto& k : (*keys)->entries()) {
    if (k.use != jose::KeyUse::Sig) continue;
    if (k.state != jose::KeyState::Active) continue;
    std::string name(jose::alg_name(k.alg));
    if (std::find(algs.begin(), algs.end(), name) == algs.end()) algs.push_back(name);
  }
  auto claims = claims_supported(env);
  if (!claims) return fail(claims.error());
  std::vector<std::string> scopes = {"openid", "profile", "email", "offline_access"};
  auto resources = store_.read<store::PageOf<store::Resource>>([&](store::Repositories& r) {
    return r.applications().list_resources(env.id, {.after = "", .limit = 100});
  });
  if (!resources) return fail(resources.error());
  std::set<std::string> permissions;
  for (const auto& res : resources->items) {
    for (const auto& p : res.permissions) permissions.insert(p.name);
  }
  scopes.insert(scopes.end(), permissions.begin(), permissions.end());

  nlohmann::json doc = {
      {"issuer", iss},
      {"authorization_endpoint", iss + "/oauth2/authorize"},
      {"token_endpoint", env_iss + "/oauth2/token"},
      {"userinfo_endpoint", env_iss + "/oauth2/userinfo"},
      {"jwks_uri", iss + "/.well-known/jwks.json"},
      {"introspection_endpoint", env_iss + "/oauth2/introspect"},
      {"revocation_endpoint", env_iss + "/oauth2/revoke"},
      {"response_types_supported", {"code"}},
      {"response_modes_supported", {"query", "form_post"}},
      {"grant_types_supported", grants_.grant_types()},
      {"subject_types_supported", {"public"}},
      {"id_token_signing_alg_values_supported", algs},
      {"token_endpoint_auth_methods_supported",
       {"client_secret_basic", "client_secret_post", "private_key_jwt", "none"}},
      // private_key_jwt (client_assertion.h): the algorithms a registered key may carry.
      {"token_endpoint_auth_signing_alg_values_supported", {"RS256", "PS256", "ES256", "EdDSA"}},
      {"introspection_endpoint_auth_methods_supported",
       {"client_secret_basic", "client_secret_post", "private_key_jwt"}},
      {"revocation_endpoint_auth_methods_supported",
       {"client_secret_basic", "client_secret_post", "private_key_jwt", "none"}},
      {"code_challenge_methods_supported", {"S256"}},
      // RFC 9449 §5.1.
      {"dpop_signing_alg_values_supported", {"RS256", "PS256", "ES256", "EdDSA"}},
      {"scopes_supported", scopes},
      {"claims_supported", *claims},
      {"claims_parameter_supported", true},
      {"request_parameter_supported", false},
      {"request_uri_parameter_supported", false},
      {"authorization_response_iss_parameter_supported", true},
      // RFC 9126 §5 (the per-application switch is require_pushed_authorization_requests).
      {"pushed_authorization_request_endpoint", iss + "/oauth2/par"},
      {"require_pushed_authorization_requests", false},
  };
  // Issue 7: RP-Initiated Logout 1.0 and Back-Channel Logout 1.0 (logout tokens carry sid).
  doc["end_session_endpoint"] = iss + "/oauth2/logout";
  doc["backchannel_logout_supported"] = true;
  doc["backchannel_logout_session_supported"] = true;
  auto body = std::make_shared<const std::string>(doc.dump());
  auto entry = std::make_shared<const CachedDiscovery>(CachedDiscovery{std::move(doc), body, now});
  std::lock_guard lock(discovery_mu_);
  discovery_cache_[cache_key] = entry;
  return entry;
}

http::Response discovery_endpoint(Provider& p, const store::Environment& env,
                                  const http::Request& req) {
  auto body = p.discovery_body(env, req.param("org"));
  if (!body) return http::Response::problem(body.error(), req);
  auto res = http::Response::text(200, **body, "application/json");
  res.set_header("Cache-Control", "public, max-age=300");
  return res;
}

}  // namespace gh::oauth
