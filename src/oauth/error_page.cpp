#include "oauth/error_page.h"

#include <string>

#include "oauth/html.h"

namespace gh::oauth {

namespace {

constexpr std::string_view kStyle =
    "body{font-family:system-ui,sans-serif;margin:0;padding:2rem;color:#1a1a1a;background:#fff}"
    "main{max-width:40rem;margin:auto}h1{font-size:1.5rem}"
    "dl{display:grid;grid-template-columns:max-content 1fr;gap:.25rem 1rem}"
    "dt{font-weight:600}code{font-size:1rem;word-break:break-all}";

}  // namespace

http::Response render_error_page(const Error& error, std::string_view request_id) {
  const int status = error.http_status() >= 500   ? error.http_status()
                     : error.http_status() == 404 ? 404
                                                  : 400;
  std::string h =
      "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
      "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
      "<title>Sign-in error</title><style>" +
      std::string(kStyle) +
      "</style></head>\n<body><main>\n"
      "<h1>This sign-in cannot continue</h1>\n<p role=\"alert\">" +
      html_escape(error.text()) +
      "</p>\n<p>If you were signing in to an application, go back to it and try again. If this "
      "page comes back, send the details below to the administrator of that application.</p>\n"
      "<dl>\n<dt>Error code</dt><dd><code>" +
      html_escape(error.code_name()) + "</code></dd>\n<dt>Request id</dt><dd><code>" +
      html_escape(request_id) + "</code></dd>\n</dl>\n</main></body></html>\n";
  auto res = http::Response::text(status, std::move(h), "text/html; charset=utf-8");
  static const std::string csp = "default-src 'none'; style-src " + csp_sha256(kStyle) +
                                 "; base-uri 'none'; "
                                 "form-action 'none'; frame-ancestors 'none'";
  res.set_header("Content-Security-Policy", csp);
  res.set_header("Cache-Control", "no-store");
  res.set_header("X-Content-Type-Options", "nosniff");
  res.set_header("Referrer-Policy", "no-referrer");
  return res;
}

}  // namespace gh::oauth
