#include "oauth/response_mode.h"

#include "core/encoding.h"
#include "oauth/html.h"

namespace gh::oauth {

namespace {

// The form_post page's only script; its hash is in the page's CSP.
constexpr std::string_view kAutoSubmit = "document.forms[0].submit();";

void no_store(http::Response& res) {
  res.set_header("Cache-Control", "no-store");
  res.set_header("Pragma", "no-cache");
  res.set_header("Referrer-Policy", "no-referrer");
  res.set_header("X-Content-Type-Options", "nosniff");
}

http::Response query_redirect(const AuthorizationResponse& r) {
  std::string location = r.redirect_uri;
  // RFC 6749 §3.1.2: keep the registered URI's own query component.
  char sep = location.find('?') == std::string::npos ? '?' : '&';
  for (const auto& [k, v] : r.params) {
    location += sep;
    location += percent_encode(k) + "=" + percent_encode(v);
    sep = '&';
  }
  http::Response res;
  res.status = 303;
  res.set_header("Location", location);
  no_store(res);
  return res;
}

http::Response form_post(const AuthorizationResponse& r) {
  std::string h =
      "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
      "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
      "<title>Returning to the application</title></head>\n<body><main>\n"
      "<form method=\"post\" action=\"" +
      html_escape(r.redirect_uri) + "\">\n";
  for (const auto& [k, v] : r.params) {
    h += "<input type=\"hidden\" name=\"" + html_escape(k) + "\" value=\"" + html_escape(v) +
         "\">\n";
  }
  h += "<noscript><p>JavaScript is turned off in this browser, so you need to continue by "
       "hand.</p><button type=\"submit\">Continue to the application</button></noscript>\n"
       "</form>\n</main>\n<script>" +
       std::string(kAutoSubmit) + "</script>\n</body></html>\n";
  auto res = http::Response::text(200, std::move(h), "text/html; charset=utf-8");
  static const std::string csp = "default-src 'none'; script-src " + csp_sha256(kAutoSubmit) +
                                 "; base-uri 'none'; frame-ancestors 'none'";
  res.set_header("Content-Security-Policy", csp);
  no_store(res);
  return res;
}

}  // namespace

std::string safe_error_description(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    const bool ok = c == 0x20 || c == 0x21 || (c >= 0x23 && c <= 0x5b) || (c >= 0x5d && c <= 0x7e);
    out += ok ? c : '?';
  }
  return out;
}

AuthorizationResponse success_response(const AuthorizationRequest& req, const std::string& code,
                                       const std::string& issuer) {
  AuthorizationResponse r{req.redirect_uri, req.response_mode, {{"code", code}}};
  if (!req.state.empty()) r.params.emplace_back("state", req.state);
  r.params.emplace_back("iss", issuer);  // RFC 9207 §2
  return r;
}

AuthorizationResponse error_response(const AuthorizationError& error, const std::string& issuer) {
  AuthorizationResponse r{error.redirect_uri, error.response_mode, {{"error", error.error}}};
  if (!error.description.empty()) {
    r.params.emplace_back("error_description", safe_error_description(error.description));
  }
  if (!error.state.empty()) r.params.emplace_back("state", error.state);
  r.params.emplace_back("iss", issuer);
  return r;
}

http::Response render_authorization_response(const AuthorizationResponse& response) {
  return response.mode == ResponseMode::form_post ? form_post(response) : query_redirect(response);
}

}  // namespace gh::oauth
