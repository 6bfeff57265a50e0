// Pushed authorization requests (RFC 9126). The client POSTs its authorization request to
// /{env}/oauth2/par, authenticated as at the token endpoint; it is validated exactly as
// /authorize validates it (a bad redirect_uri, scope or resource is refused now, as JSON), then
// kept in the store (oauth_pending, under "par." + SHA-256 of the reference: the reference
// itself is never stored) for kPushedRequestTtlS, bound to the client. The answer is
// {"request_uri": "urn:ietf:params:oauth:request_uri:<reference>", "expires_in": 60}.
// /authorize with client_id and that request_uri uses the pushed parameters only (§4), once:
// the reference is consumed by a conditional delete, so of two uses exactly one wins.
// An application with require_pushed_authorization_requests accepts no other request.
#pragma once

#include <cstdint>
#include <string_view>

#include "core/encoding.h"
#include "core/result.h"
#include "http/message.h"
#include "store/store.h"

namespace gh::oauth {

class Provider;

inline constexpr std::string_view kRequestUriPrefix = "urn:ietf:params:oauth:request_uri:";
inline constexpr int64_t kPushedRequestTtlS = 60;

// POST /{env}/oauth2/par
http::Response pushed_authorization_endpoint(Provider& p, const store::Environment& env,
                                             const http::Request& req);

// For /authorize: the pushed parameters behind `params`' request_uri (consumed), or
// authorize.request_uri_invalid (unknown, expired, used, or pushed by another client).
Result<Params> redeem_pushed_request(store::Store& store, const store::Environment& env,
                                     const Params& params, int64_t now_ms);

bool has_param(const Params& params, std::string_view name);

}  // namespace gh::oauth
