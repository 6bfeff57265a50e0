// The page shown when an authorization request cannot be answered at the client's redirect URI
// (RFC 6749 §4.1.2.1: unknown client, missing or unregistered redirect URI; an unknown or used
// resume link). Server-rendered, escaped, readable without styles or scripts; it names the
// stable error code and the request id so the person in front of it can hand both to an IT
// admin. Never a redirect.
#pragma once

#include <string_view>

#include "core/error.h"
#include "http/message.h"

namespace gh::oauth {

http::Response render_error_page(const Error& error, std::string_view request_id);

}  // namespace gh::oauth
