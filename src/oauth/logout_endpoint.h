// OpenID Connect RP-Initiated Logout 1.0: GET|POST /{env}/oauth2/logout (the discovery
// document's end_session_endpoint).
//
// Parameters (§2): id_token_hint (one of our ID tokens: its signature is checked against this
// environment's or the organization issuer's keys; an expired one is accepted, as §4 allows,
// since a logout usually comes after the ID token's short life), client_id (must equal the
// hint's aud when both are given), post_logout_redirect_uri (exact match against the
// application's registered list; needs the client from client_id or the hint), state (returned
// to that URI). The browser's session (cookie) is ended through the revocation fan-out
// (SessionLookup::end → sessions::revoke_sessions: refresh tokens, access tokens by sid,
// back-channel logout to the session's other applications, webhooks) unless the hint names a
// different user or session; the cookie is cleared either way. Invalid requests get the error
// page with session.invalid_logout_request and never redirect.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "core/clock.h"
#include "crypto/jose/key_set.h"
#include "http/message.h"
#include "oauth/front_channel.h"
#include "oauth/token_signer.h"

namespace gh::oauth {

// What a verified id_token_hint says.
struct IdTokenHint {
  std::string issuer;
  std::string client_id;  // aud (azp when aud has several values)
  std::string subject;
  std::string sid;
  std::string organization_id;
};

// Verifies the signature, issuer and shape of an ID token we issued, accepting an expired one
// (the time checks run at a moment before its exp). nullopt when it is not ours or invalid.
std::optional<IdTokenHint> verify_id_token_hint(std::string_view token, const jose::KeySet& keys,
                                                std::string_view issuer, const Clock& clock);

http::Response logout_endpoint(FrontChannel& fc, TokenSigner& signer, const store::Environment& env,
                               const http::Request& req, bool secure_cookies);

void add_logout_routes(http::Router& router, tenancy::EnvironmentCache& environments,
                       std::shared_ptr<FrontChannel> fc, std::shared_ptr<TokenSigner> signer,
                       bool secure_cookies);

}  // namespace gh::oauth
