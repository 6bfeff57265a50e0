// Checks one of our own RFC 9068 access tokens, for UserInfo, introspection and revocation:
// the issuer must be this environment's (or one of its organizations' own issuers), the
// signature must verify against that issuer's keys (a revoked key fails at once), it must not
// be expired (no skew: we issued it), and its jti must not be deny-listed. A small cache of
// verified tokens keeps introspection off the signature ceiling; it holds an entry at most
// `cache_ttl_ms`, and revocation through this node drops it at once (other nodes: within the
// TTL, the same delay the key cache has).
#pragma once

#include <cstdint>
#include <list>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <unordered_map>

#include "core/clock.h"
#include "oauth/token_signer.h"
#include "store/store.h"

namespace gh::oauth {

// The change-bus topic every access-token revocation announces (key: the environment id).
inline constexpr const char* kTokensRevokedTopic = "oauth_tokens_revoked";

struct VerifiedAccessToken {
  nlohmann::json claims;
  std::string issuer_organization;
  std::string organization_id;  // org_id claim ("" when none)
  std::string jti;
  std::string client_id;
  std::string subject;
  int64_t exp_s = 0;
  std::string dpop_jkt;  // cnf.jkt: the DPoP key the token is bound to (RFC 9449 §6.1)
};

class AccessTokenVerifier {
 public:
  AccessTokenVerifier(store::Store& store, TokenSigner& signer,
                      const Clock& clock = SystemClock::instance(), int64_t cache_ttl_ms = 2'000,
                      size_t cache_capacity = 10'000)
      : store_(store),
        signer_(signer),
        clock_(clock),
        ttl_ms_(cache_ttl_ms),
        capacity_(cache_capacity) {}

  // nullopt: not an active token of this environment (unknown, malformed, expired, revoked,
  // another environment's or issuer's). An error only when the store or keys fail.
  Result<std::optional<VerifiedAccessToken>> verify(const store::Environment& env,
                                                    std::string_view token);
  // After a revocation: drop every cached verification.
  void forget_all();

 private:
  Result<std::optional<VerifiedAccessToken>> verify_uncached(const store::Environment& env,
                                                             std::string_view token);
  store::Store& store_;
  TokenSigner& signer_;
  const Clock& clock_;
  int64_t ttl_ms_;
  size_t capacity_;
  struct Entry {
    VerifiedAccessToken token;
    int64_t cached_ms;
  };
  std::mutex mu_;
  std::unordered_map<std::string, Entry> cache_;  // env id + token hash
};

}  // namespace gh::oauth
