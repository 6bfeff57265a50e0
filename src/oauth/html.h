// Small pieces shared by the front channel's server-rendered pages (the error page and the
// form_post page): Content-Security-Policy hashes for inline code (escaping: core/encoding.h).
#pragma once

#include <string>
#include <string_view>

#include "core/encoding.h"

namespace gh::oauth {

// A CSP hash source for an inline <script> or <style> body: 'sha256-<base64>'.
std::string csp_sha256(std::string_view inline_body);

}  // namespace gh::oauth
