// Small pieces shared by the front channel's server-rendered pages (the error page and the
// form_post page): escaping and Content-Security-Policy hashes for inline code.
#pragma once

#include <string>
#include <string_view>

namespace gh::oauth {

// Escapes & < > " ' for text and double- or single-quoted attribute values.
std::string html_escape(std::string_view text);

// A CSP hash source for an inline <script> or <style> body: 'sha256-<base64>'.
std::string csp_sha256(std::string_view inline_body);

}  // namespace gh::oauth
