#include "federation/oidc/provider_metadata.h"

#include <algorithm>

#include "federation/error_codes.h"
#include "federation/oidc/error_codes.h"
#include "federation/oidc/id_token.h"
#include "http/client.h"

namespace gh::federation::oidc {

namespace {

constexpr std::string_view kWellKnown = "/.well-known/openid-configuration";

Error invalid(const std::string& field, const std::string& message) {
  Error e(errc::ConnectionInvalid, message);
  e.extra["field"] = field;
  return e;
}

Error discovery_failed(const std::string& url, const std::string& why) {
  Error e(errc::OidcDiscoveryFailed,
          "Could not use the identity provider's document at " + url + ": " + why);
  e.detail = why;
  return e;
}

std::vector<std::string> strings_of(const nlohmann::json& doc, const char* name) {
  std::vector<std::string> out;
  if (doc.contains(name) && doc[name].is_array()) {
    for (const auto& v : doc[name]) {
      if (v.is_string() && out.size() < 64) out.push_back(v.get<std::string>());
    }
  }
  return out;
}

std::string string_of(const nlohmann::json& doc, const char* name) {
  return doc.contains(name) && doc[name].is_string() ? doc[name].get<std::string>() : "";
}

}  // namespace

bool is_allowed_idp_url(std::string_view url) {
  if (url.size() > 2048) return false;
  if (url.rfind("https://", 0) == 0) return url.size() > 8;
  for (std::string_view local : {"http://127.0.0.1", "http://localhost", "http://[::1]"}) {
    if (url.rfind(local, 0) == 0) {
      const char next = url.size() > local.size() ? url[local.size()] : '\0';
      if (next == '\0' || next == ':' || next == '/') return true;
    }
  }
  return false;
}

nlohmann::json ProviderMetadata::to_json() const {
  return {{"issuer", issuer},
          {"authorization_endpoint", authorization_endpoint},
          {"token_endpoint", token_endpoint},
          {"jwks_uri", jwks_uri},
          {"userinfo_endpoint", userinfo_endpoint},
          {"id_token_signing_alg_values_supported", id_token_signing_alg_values_supported},
          {"token_endpoint_auth_methods_supported", token_endpoint_auth_methods_supported},
          {"acr_values_supported", acr_values_supported},
          {"claims_parameter_supported", claims_parameter_supported},
          {"authorization_response_iss_parameter_supported",
           authorization_response_iss_parameter_supported}};
}

Result<ProviderMetadata> ProviderMetadata::from_json(const nlohmann::json& doc,
                                                     const std::string& field) {
  if (!doc.is_object()) return fail(invalid(field, "The OpenID configuration is not an object"));
  ProviderMetadata m;
  m.issuer = string_of(doc, "issuer");
  m.authorization_endpoint = string_of(doc, "authorization_endpoint");
  m.token_endpoint = string_of(doc, "token_endpoint");
  m.jwks_uri = string_of(doc, "jwks_uri");
  m.userinfo_endpoint = string_of(doc, "userinfo_endpoint");
  for (const auto& [name, value] :
       {std::pair{"issuer", &m.issuer},
        std::pair{"authorization_endpoint", &m.authorization_endpoint},
        std::pair{"token_endpoint", &m.token_endpoint}, std::pair{"jwks_uri", &m.jwks_uri}}) {
    if (value->empty() || !is_allowed_idp_url(*value)) {
      return fail(invalid(field, std::string("The identity provider's '") + name +
                                     "' is missing or not an https URL"));
    }
  }
  if (!m.userinfo_endpoint.empty() && !is_allowed_idp_url(m.userinfo_endpoint)) {
    return fail(invalid(field, "The identity provider's 'userinfo_endpoint' is not an https URL"));
  }
  m.id_token_signing_alg_values_supported =
      strings_of(doc, "id_token_signing_alg_values_supported");
  if (m.id_token_signing_alg_values_supported.empty()) {
    m.id_token_signing_alg_values_supported = {"RS256"};  // OIDC Discovery §3: the default
  }
  m.token_endpoint_auth_methods_supported =
      strings_of(doc, "token_endpoint_auth_methods_supported");
  m.acr_values_supported = strings_of(doc, "acr_values_supported");
  m.claims_parameter_supported = doc.value("claims_parameter_supported", false);
  m.authorization_response_iss_parameter_supported =
      doc.value("authorization_response_iss_parameter_supported", false);
  return m;
}

Result<nlohmann::json> fetch_json(const std::string& url, size_t max_bytes) {
  if (!is_allowed_idp_url(url)) return fail(discovery_failed(url, "not an https URL"));
  http::HttpClient client({.timeout_ms = kFetchTimeoutMs,
                           .connect_timeout_ms = kFetchTimeoutMs,
                           .max_response_bytes = max_bytes});
  http::ClientRequest req;
  req.url = url;
  req.headers = {{"Accept", "application/json"}};
  auto res = client.send(req);
  if (!res.error.empty()) return fail(discovery_failed(url, res.error));
  if (!res.ok()) return fail(discovery_failed(url, "HTTP " + std::to_string(res.status)));
  auto j = nlohmann::json::parse(res.body, nullptr, false);
  if (!j.is_object()) return fail(discovery_failed(url, "the answer is not a JSON object"));
  return j;
}

Result<ProviderMetadata> discover(const std::string& discovery_url) {
  auto doc = fetch_json(discovery_url);
  if (!doc) return fail(doc.error());
  auto m = ProviderMetadata::from_json(*doc, "settings.discovery_url");
  if (!m) return m;
  // OIDC Discovery §4.3: the issuer must be the one the document was fetched for.
  const std::string url = discovery_url;
  if (url.size() > kWellKnown.size() &&
      url.compare(url.size() - kWellKnown.size(), kWellKnown.size(), kWellKnown) == 0 &&
      !is_templated_issuer(m->issuer)) {
    std::string expected = url.substr(0, url.size() - kWellKnown.size());
    std::string issuer = m->issuer;
    if (!issuer.empty() && issuer.back() == '/') issuer.pop_back();
    if (issuer != expected) {
      return fail(invalid("settings.discovery_url", "The document's issuer '" + m->issuer +
                                                        "' is not " + expected +
                                                        " (OpenID Connect Discovery §4.3)"));
    }
  }
  return m;
}

ProviderMetadataCache& ProviderMetadataCache::instance() {
  static ProviderMetadataCache cache;
  return cache;
}

ProviderMetadata ProviderMetadataCache::get(const std::string& discovery_url,
                                            const ProviderMetadata& stored, int64_t stored_at_ms,
                                            const Clock& clock) {
  const int64_t now = clock.now_ms();
  {
    std::lock_guard lock(mu_);
    auto& e = entries_[discovery_url];
    if (e.fetched_at_ms < stored_at_ms) e = Entry{stored, stored_at_ms, stored_at_ms};
    // Fresh, or refreshed (or tried) recently enough: use what we have.
    if (now - e.fetched_at_ms < kMetadataRefreshMs ||
        now - e.attempted_at_ms < kJwksRefetchIntervalMs * 12) {
      return e.metadata;
    }
    e.attempted_at_ms = now;
  }
  auto fresh = discover(discovery_url);
  std::lock_guard lock(mu_);
  auto& e = entries_[discovery_url];
  if (fresh && fresh->issuer == e.metadata.issuer) {
    e.metadata = *fresh;
    e.fetched_at_ms = now;
  }
  return e.metadata;
}

Result<std::shared_ptr<const jose::KeySet>> key_set_from_jwks(const nlohmann::json& jwks) {
  if (!jwks.is_object() || !jwks.contains("keys") || !jwks["keys"].is_array()) {
    return fail(Error(errc::OidcDiscoveryFailed, {}, "the JWKS has no 'keys' array"));
  }
  auto set = std::make_shared<jose::KeySet>();
  for (const auto& k : jwks["keys"]) {
    if (!k.is_object() || set->size() >= 64) continue;
    if (k.value("use", "sig") != "sig") continue;
    auto key = jose::Jwk::from_json(k);
    if (!key || key->has_private()) continue;  // oct, unknown kty, private material: unusable
    std::optional<jose::Alg> alg;
    if (k.contains("alg") && k["alg"].is_string()) {
      alg = jose::parse_alg(k["alg"].get<std::string>());
      if (!alg || !jose::is_signing_alg(*alg)) continue;
    } else {
      switch (key->type()) {
        case jose::KeyType::RSA:
          alg = jose::Alg::RS256;
          break;
        case jose::KeyType::EC:
          alg = jose::Alg::ES256;
          break;
        case jose::KeyType::OKP:
          alg = jose::Alg::EdDSA;
          break;
      }
    }
    std::string kid =
        k.contains("kid") && k["kid"].is_string() ? k["kid"].get<std::string>() : key->thumbprint();
    jose::KeyEntry entry{kid, *alg, jose::KeyUse::Sig, jose::KeyState::Active, std::move(*key)};
    (void)set->add(std::move(entry));  // a duplicate kid or misfit alg: skipped
  }
  return std::shared_ptr<const jose::KeySet>(std::move(set));
}

JwksCache& JwksCache::instance() {
  static JwksCache cache;
  return cache;
}

void JwksCache::clear() {
  std::lock_guard lock(mu_);
  entries_.clear();
}

Result<std::shared_ptr<const jose::KeySet>> JwksCache::get(const std::string& jwks_uri,
                                                           const std::string& need_kid,
                                                           const Clock& clock) {
  const int64_t now = clock.now_ms();
  {
    std::lock_guard lock(mu_);
    auto it = entries_.find(jwks_uri);
    if (it != entries_.end() && it->second.keys) {
      const bool has = need_kid.empty() || it->second.keys->find(need_kid) != nullptr;
      const bool may_refetch = now - it->second.fetched_at_ms >= kJwksRefetchIntervalMs;
      const bool stale = now - it->second.fetched_at_ms >= kMetadataRefreshMs;
      if ((has && !stale) || !may_refetch) return it->second.keys;
    } else if (it != entries_.end() && now - it->second.fetched_at_ms < kJwksRefetchIntervalMs) {
      return fail(Error(errc::OidcDiscoveryFailed, {}, "the JWKS fetch failed moments ago"));
    }
    // Claim the fetch slot, so concurrent misses wait for the interval rather than pile up.
    if (it != entries_.end()) it->second.fetched_at_ms = now;
  }
  auto doc = fetch_json(jwks_uri);
  std::lock_guard lock(mu_);
  auto& e = entries_[jwks_uri];
  if (!e.keys) e.fetched_at_ms = now;
  if (!doc) {
    if (e.keys) return e.keys;
    return fail(doc.error());
  }
  auto keys = key_set_from_jwks(*doc);
  if (!keys) {
    if (e.keys) return e.keys;
    return fail(keys.error());
  }
  e.keys = *keys;
  e.fetched_at_ms = now;
  return e.keys;
}

}  // namespace gh::federation::oidc
