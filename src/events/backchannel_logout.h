// OpenID Connect Back-Channel Logout 1.0 from the outbox. The revocation fan-out
// (sessions::revoke_sessions) queues one `session.revoked` event per ended session, naming the
// client ids that received tokens in it. The webhook fan-out (WebhookService::fan_out, in the
// same transaction that moves its outbox position) adds one delivery row per such client that
// registered a backchannel_logout_uri, of type kBackchannelLogoutDelivery, with the application
// id as its endpoint_id and a LogoutNotice as its body. The same leased deliverer
// (WebhookService::deliver_due, RetryPolicy) sends it: the logout token is signed at each
// attempt (fresh iat/exp, the same jti, so the receiver can drop duplicates) and POSTed as
// application/x-www-form-urlencoded `logout_token=...` (§2.5). Rows survive a crash: the event
// and the delivery are both in the database before anything is sent.
#pragma once

#include <functional>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

#include "core/result.h"
#include "store/environments.h"

namespace gh::events {

inline constexpr std::string_view kBackchannelLogoutDelivery = "oidc.backchannel_logout";
// §2.4: the `events` member that makes a JWT a logout token.
inline constexpr std::string_view kBackchannelLogoutEvent =
    "http://schemas.openid.net/event/backchannel-logout";
// §2.4 recommends a short lifetime; two minutes, as most providers use.
inline constexpr int64_t kLogoutTokenTtlS = 120;

// What one logout token will say, frozen when the session ends.
struct LogoutNotice {
  std::string uri;  // the application's backchannel_logout_uri at that time
  std::string client_id;
  std::string organization_id;
  std::string sub;  // the user id (`sub` of our ID tokens)
  std::string sid;
  std::string jti;  // one per receiver and session: retries carry the same one
  // §2.2 backchannel_logout_session_required of the receiver: its tokens must carry sid (the
  // fan-out never queues a notice without one for it).
  bool sid_required = false;
};

nlohmann::json notice_json(const LogoutNotice& n);
// server.internal when a member is missing, neither sub nor sid is set (§2.4), or the receiver
// requires sid and there is none (§2.2).
Result<LogoutNotice> parse_notice(std::string_view body);

// §2.4: iss, aud, iat, exp, jti, events, sid and sub; never nonce.
nlohmann::json logout_token_claims(const LogoutNotice& n, std::string_view issuer, int64_t now_s,
                                   int64_t ttl_s = kLogoutTokenTtlS);

// Signs the logout token of a notice with the environment's (or the organization's own)
// issuer key, typ `logout+jwt` (§2.4, RFC 8725 §3.11). The wiring supplies it (app/); the
// events module knows no keys.
using LogoutTokenSigner =
    std::function<Result<std::string>(const store::Environment& env, const LogoutNotice& n)>;

}  // namespace gh::events
