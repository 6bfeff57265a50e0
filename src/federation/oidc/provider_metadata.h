// What Gatehouse knows about an upstream OpenID Provider: its metadata (OIDC Discovery 1.0 §3,
// RFC 8414, RFC 9207), parsed once at the edge, and the outbound fetches of that metadata, of
// its JWKS and of its token and UserInfo endpoints.
//
// Outbound calls run on the calling thread (an admin API or hosted-login handler on the server's
// worker pool, or the scheduler's tick), never on an event loop, each with a total timeout and a
// bounded answer (http::HttpClient). URLs must be https, or http to a loopback host (local IdPs
// in tests and development).
//
// Two process-wide caches, both safe from any thread:
// - ProviderMetadataCache: discovery documents by URL, seeded from the copy stored with the
//   connection (which the "oidc-metadata-refresh" tick keeps fresh: metadata_refresh.h), and
//   refreshed lazily on use when older than kMetadataRefreshMs;
// - JwksCache: key sets by jwks_uri, fetched on first use and again when a token names a kid the
//   set lacks, at most once per kJwksRefetchIntervalMs per URI (an attacker's made-up kids cannot
//   turn Gatehouse into a request amplifier against the IdP).
#pragma once

#include <cstdint>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include "core/clock.h"
#include "core/result.h"
#include "crypto/jose/key_set.h"

namespace gh::federation::oidc {

inline constexpr int64_t kMetadataRefreshMs = 24LL * 3600 * 1000;
inline constexpr int64_t kJwksRefetchIntervalMs = 5'000;
inline constexpr int64_t kFetchTimeoutMs = 5'000;
inline constexpr size_t kMaxMetadataBytes = 256 * 1024;
inline constexpr size_t kMaxTokenResponseBytes = 64 * 1024;

struct ProviderMetadata {
  std::string issuer;
  std::string authorization_endpoint;
  std::string token_endpoint;
  std::string jwks_uri;
  std::string userinfo_endpoint;
  std::vector<std::string> id_token_signing_alg_values_supported;
  std::vector<std::string> token_endpoint_auth_methods_supported;
  std::vector<std::string> acr_values_supported;
  bool claims_parameter_supported = false;
  bool authorization_response_iss_parameter_supported = false;  // RFC 9207 §3

  nlohmann::json to_json() const;
  // From a discovery document or our own stored copy: connection.invalid naming `field`
  // (e.g. "settings.discovery_url") when a required member is missing or not an allowed URL.
  static Result<ProviderMetadata> from_json(const nlohmann::json& doc, const std::string& field);
};

// https://..., or http://127.0.0.1|localhost|[::1]...
bool is_allowed_idp_url(std::string_view url);

// GET a JSON document (discovery, JWKS). oidc.discovery_failed with the reason in the detail.
Result<nlohmann::json> fetch_json(const std::string& url, size_t max_bytes = kMaxMetadataBytes);

// Fetches and checks a discovery document: OIDC Discovery §4.3, the issuer it names must be the
// URL's prefix before "/.well-known/openid-configuration" (unless it is tenant-templated).
Result<ProviderMetadata> discover(const std::string& discovery_url);

class ProviderMetadataCache {
 public:
  static ProviderMetadataCache& instance();
  // The cached metadata for `discovery_url`; `stored` (the copy saved with the connection) seeds
  // the cache. Re-fetched when older than kMetadataRefreshMs; on a failed refresh the older copy
  // stays in use (the IdP's outage must not break logins that its old metadata still serves).
  ProviderMetadata get(const std::string& discovery_url, const ProviderMetadata& stored,
                       int64_t stored_at_ms, const Clock& clock);

 private:
  struct Entry {
    ProviderMetadata metadata;
    int64_t fetched_at_ms = 0;
    int64_t attempted_at_ms = 0;
  };
  std::mutex mu_;
  std::unordered_map<std::string, Entry> entries_;
};

class JwksCache {
 public:
  static JwksCache& instance();
  // The IdP's key set; when `need_kid` is non-empty and not in the cached set, re-fetches once
  // (rate-limited). oidc.discovery_failed when no set could ever be fetched.
  Result<std::shared_ptr<const jose::KeySet>> get(const std::string& jwks_uri,
                                                  const std::string& need_kid, const Clock& clock);
  // Drops everything (tests).
  void clear();

 private:
  struct Entry {
    std::shared_ptr<const jose::KeySet> keys;
    int64_t fetched_at_ms = 0;
  };
  std::mutex mu_;
  std::unordered_map<std::string, Entry> entries_;
};

// A JWKS document as a key set: keys we cannot use (oct, unknown kty, enc) are skipped, not
// fatal; keys without kid get their RFC 7638 thumbprint.
Result<std::shared_ptr<const jose::KeySet>> key_set_from_jwks(const nlohmann::json& jwks);

}  // namespace gh::federation::oidc
