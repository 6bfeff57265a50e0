// Server-side browser sessions: started by hosted login after a connection's login
// (SessionStarter), read by the OIDC provider from the cookie (SessionLookup), listed and
// revoked through the admin API.
//
// The cookie is a typed secret gh_ss_<lookup>_<secret> (tenancy/secrets.h): 256 random bits,
// stored only as HMAC-SHA-256 under the pepper; the lookup finds the row and the HMAC is
// compared in constant time. Lifetimes come from the organization's effective security policy:
// the idle window moves with use (written at most once a minute per session, so that reads stay
// cheap) and never beyond the absolute one.
//
// Wiring (app/): SessionService(store, tenancy::SecretHasher(pepper), clock, random).
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/clock.h"
#include "core/random.h"
#include "identity/login_identity.h"
#include "sessions/session_lookup.h"
#include "store/store.h"
#include "tenancy/policy.h"
#include "tenancy/secrets.h"
#include "tenancy/service.h"

namespace gh::sessions {

inline constexpr std::string_view kSessionCookiePrefix = "gh_ss_";
// The idle timer is written when it is at least this old.
inline constexpr int64_t kTouchIntervalMs = 60'000;

// Why a session ended (revoked_reason, and `reason` in session.revoked events).
namespace reason {
inline constexpr std::string_view kAdmin = "admin";
inline constexpr std::string_view kUserSuspended = "user_suspended";
inline constexpr std::string_view kMaxSessions = "max_sessions";
inline constexpr std::string_view kOrganization = "organization_revoked";
inline constexpr std::string_view kLogout = "logout";  // RP-initiated logout
}  // namespace reason

// The change-bus topic that makes every node's verified access-token cache drop its entries
// (oauth/access_token_verifier.h kTokensRevokedTopic; sessions/ does not depend on oauth/).
inline constexpr const char* kTokensRevokedTopic = "oauth_tokens_revoked";
// An access token revoked by jti is deny-listed this long: the longest access-token lifetime an
// application may have (oauth/application_service: access_token_ttl_s <= 3600).
inline constexpr int64_t kAccessTokenDenyMs = 3'600'000;

// The one path by which sessions end (the revocation fan-out: admin, user suspension, SCIM
// deactivation, received signals, key revocation and RP-initiated logout all come here), inside
// the caller's transaction. For each session not yet revoked:
//  - the row is marked revoked (access tokens carrying its `sid` then introspect inactive: the
//    verifier checks the session, and kTokensRevokedTopic drops every node's cache);
//  - the refresh tokens issued in it are revoked (their families), with a `token.revoked`
//    outbox event;
//  - one `session.revoked` outbox event (with the session's client ids) is queued: the webhook
//    fan-out turns it into webhook deliveries and into one OIDC Back-Channel Logout delivery per
//    client that registered a backchannel_logout_uri (events/backchannel_logout.h);
//  - ("session", sid) is announced on the change bus.
// Returns those it revoked.
Result<std::vector<store::Session>> revoke_sessions(store::Repositories& repos,
                                                    const store::Environment& env,
                                                    const std::vector<store::Session>& sessions,
                                                    std::string_view reason, int64_t now_ms);
// Every live session of one user, through revoke_sessions.
Result<std::vector<store::Session>> revoke_user_sessions(store::Repositories& repos,
                                                         const store::Environment& env,
                                                         std::string_view organization_id,
                                                         std::string_view user_id,
                                                         std::string_view reason, int64_t now_ms);

// The environment row by id (a login knows only the id).
Result<store::Environment> environment_by_id(store::Repositories& repos, std::string_view id);

// The organization's effective security policy (built-in ← environment ← organization).
Result<tenancy::SecurityPolicy> effective_policy_in(store::Repositories& repos,
                                                    std::string_view environment_id,
                                                    std::string_view organization_id);

// active | expired | revoked, at `now_ms`.
std::string session_status(const store::Session& s, int64_t now_ms);
// The admin API's view: never the cookie, its lookup or its hash.
nlohmann::json session_json(const store::Session& s, int64_t now_ms);

class SessionService final : public SessionLookup, public SessionStarter {
 public:
  SessionService(store::Store& store, tenancy::SecretHasher hasher,
                 const Clock& clock = SystemClock::instance(),
                 Random& random = SecureRandom::instance());

  // SessionStarter: identity.user_not_found / identity.user_inactive when the user cannot have
  // a session; enforces max_sessions_per_user by revoking the oldest live ones.
  Result<StartedSession> start(const NewSession& s) override;

  // SessionLookup.
  Result<std::optional<AuthenticatedSession>> from_cookie(std::string_view environment_id,
                                                          std::string_view cookie_value) override;
  Result<bool> add_client(std::string_view environment_id, std::string_view organization_id,
                          std::string_view sid, std::string_view client_id) override;

  // Admin: a user's sessions (newest last; `live_only` drops expired and revoked ones);
  // identity.user_not_found for another organization's users.
  Result<std::vector<store::Session>> list_for_user(const store::Environment& env,
                                                    std::string_view organization_id,
                                                    std::string_view user_id, bool live_only);
  // Admin: revokes one session with its audit record (session.revoked) and outbox event in one
  // transaction. session.not_found for other tenants' sids.
  Result<store::Session> revoke(const store::Environment& env, std::string_view organization_id,
                                std::string_view sid, const tenancy::Actor& actor);

  // Admin (issue 7), each audited with its outbox events in one transaction:
  // every live session of a user (identity.user_not_found for another organization's user),
  Result<std::vector<store::Session>> revoke_user(const store::Environment& env,
                                                  std::string_view organization_id,
                                                  std::string_view user_id,
                                                  const tenancy::Actor& actor);
  // every live session of an organization,
  Result<std::vector<store::Session>> revoke_organization(const store::Environment& env,
                                                          std::string_view organization_id,
                                                          const tenancy::Actor& actor);
  // one refresh token family (session.token_not_found when it has no live token here),
  Result<int> revoke_refresh_family(const store::Environment& env, std::string_view organization_id,
                                    std::string_view family_id, const tenancy::Actor& actor);
  // one access token by jti, deny-listed for kAccessTokenDenyMs (longer than any token lives).
  Result<bool> revoke_access_token(const store::Environment& env, std::string_view organization_id,
                                   std::string_view jti, const tenancy::Actor& actor);
  // An organization's live sessions, oldest first.
  Result<std::vector<store::Session>> list_for_organization(const store::Environment& env,
                                                            std::string_view organization_id,
                                                            int limit);

  // SessionLookup: RP-initiated logout.
  Result<bool> end(std::string_view environment_id, std::string_view organization_id,
                   std::string_view sid, std::string_view client_id, std::string_view request_id,
                   std::string_view source_ip) override;

  const Clock& clock() const { return clock_; }

 private:
  store::Store& store_;
  tenancy::SecretHasher hasher_;
  const Clock& clock_;
  Random& random_;
};

}  // namespace gh::sessions
