#include "oauth/logout_endpoint.h"

#include <strings.h>

#include <algorithm>

#include "core/encoding.h"
#include "crypto/jose/jwt.h"
#include "oauth/error_page.h"
#include "oauth/html.h"
#include "sessions/error_codes.h"

namespace gh::oauth {

namespace {

std::optional<nlohmann::json> peek_claims(std::string_view token) {
  const auto a = token.find('.');
  if (a == std::string_view::npos) return std::nullopt;
  const auto b = token.find('.', a + 1);
  if (b == std::string_view::npos) return std::nullopt;
  auto payload = base64url_decode(token.substr(a + 1, b - a - 1));
  if (!payload) return std::nullopt;
  auto j = nlohmann::json::parse(*payload, nullptr, false);
  if (!j.is_object()) return std::nullopt;
  return j;
}

std::string string_claim(const nlohmann::json& c, const char* key) {
  return c.contains(key) && c[key].is_string() ? c[key].get<std::string>() : std::string();
}

Error invalid(std::string message) { return Error(errc::SessionInvalidLogout, std::move(message)); }

Result<Params> logout_params(const http::Request& req) {
  std::string_view source = req.query;
  if (req.method == "POST") {
    auto type = req.header("Content-Type");
    std::string_view t = type ? *type : std::string_view{};
    t = t.substr(0, t.find(';'));
    while (!t.empty() && t.back() == ' ') t.remove_suffix(1);
    if (t.size() != 33 || strncasecmp(t.data(), "application/x-www-form-urlencoded", 33) != 0) {
      return fail(invalid("The logout request must be posted as a form."));
    }
    source = req.body;
  }
  auto params = parse_query(source);
  if (!params) return fail(invalid("The logout request has a badly encoded parameter."));
  std::vector<std::string> seen;
  for (const auto& [k, v] : *params) {
    if (!is_valid_utf8(k) || !is_valid_utf8(v)) {
      return fail(invalid("The logout request has a parameter that is not valid UTF-8."));
    }
    if (std::find(seen.begin(), seen.end(), k) != seen.end()) {
      return fail(invalid("The logout request repeats the parameter '" + k + "'."));
    }
    seen.push_back(k);
  }
  return *params;
}

std::string param(const Params& p, std::string_view name) {
  for (const auto& [k, v] : p) {
    if (k == name) return v;
  }
  return {};
}

constexpr std::string_view kStyle =
    "body{font-family:system-ui,sans-serif;margin:0;padding:2rem;color:#1a1a1a;background:#fff}"
    "main{max-width:40rem;margin:auto}h1{font-size:1.5rem}";

http::Response signed_out_page() {
  std::string h =
      "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
      "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
      "<title>Signed out</title><style>" +
      std::string(kStyle) +
      "</style></head>\n<body><main>\n<h1>You are signed out</h1>\n"
      "<p>You can close this window.</p>\n</main></body></html>\n";
  auto res = http::Response::text(200, std::move(h), "text/html; charset=utf-8");
  static const std::string csp = "default-src 'none'; style-src " + csp_sha256(kStyle) +
                                 "; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";
  res.set_header("Content-Security-Policy", csp);
  res.set_header("X-Content-Type-Options", "nosniff");
  res.set_header("Referrer-Policy", "no-referrer");
  return res;
}

}  // namespace

std::optional<IdTokenHint> verify_id_token_hint(std::string_view token, const jose::KeySet& keys,
                                                std::string_view issuer, const Clock& clock) {
  auto peek = peek_claims(token);
  if (!peek || !peek->contains("exp") || !(*peek)["exp"].is_number_integer()) return std::nullopt;
  // §4: an expired ID token is a valid hint. The time checks run one second before its exp
  // (never later than now), so an expired hint passes and everything else is still checked.
  const int64_t exp_ms = (*peek)["exp"].get<int64_t>() * 1000;
  FakeClock at(std::min(clock.now_ms(), exp_ms - 1000));
  jose::JwtProfile profile;
  profile.issuer = std::string(issuer);
  auto v = jose::jwt_verify(token, keys, at, profile);
  if (!v) return std::nullopt;
  const auto& c = v->claims.all;
  IdTokenHint h;
  h.issuer = v->claims.iss;
  h.subject = v->claims.sub;
  h.sid = string_claim(c, "sid");
  h.organization_id = string_claim(c, "org_id");
  if (v->claims.aud.size() == 1) {
    h.client_id = v->claims.aud.front();
  } else {
    h.client_id = string_claim(c, "azp");
  }
  // An access token (typ at+jwt) is not an ID token: it carries client_id, not a nonce-able aud.
  if (h.client_id.empty() || h.subject.empty() || c.contains("client_id")) return std::nullopt;
  return h;
}

http::Response logout_endpoint(FrontChannel& fc, TokenSigner& signer, const store::Environment& env,
                               const http::Request& req, bool secure_cookies) {
  auto params = logout_params(req);
  if (!params) return fc.page(params.error(), req.request_id);
  const std::string hint_token = param(*params, "id_token_hint");
  std::string client_id = param(*params, "client_id");
  const std::string redirect = param(*params, "post_logout_redirect_uri");
  const std::string state = param(*params, "state");

  std::optional<IdTokenHint> hint;
  if (!hint_token.empty()) {
    auto peek = peek_claims(hint_token);
    const std::string iss = peek ? string_claim(*peek, "iss") : std::string();
    const std::string env_issuer = signer.issuer_url(env, "");
    std::string issuer_org;
    if (iss != env_issuer) {
      const std::string prefix = env_issuer + "/o/";
      if (iss.rfind(prefix, 0) == 0) issuer_org = iss.substr(prefix.size());
      if (issuer_org.empty() || issuer_org.find('/') != std::string::npos) {
        return fc.page(invalid("The id_token_hint was not issued here."), req.request_id);
      }
      auto own = signer.issuer_of(env, issuer_org);
      if (!own) return fc.page(own.error(), req.request_id);
      if (*own != issuer_org) {
        return fc.page(invalid("The id_token_hint was not issued here."), req.request_id);
      }
    }
    auto keys = signer.keys(env, issuer_org);
    if (!keys) return fc.page(keys.error(), req.request_id);
    hint = verify_id_token_hint(hint_token, **keys, iss, fc.clock());
    if (!hint) {
      return fc.page(invalid("The id_token_hint is not a valid ID token of this issuer."),
                     req.request_id);
    }
    if (!client_id.empty() && client_id != hint->client_id) {
      return fc.page(invalid("client_id does not match the id_token_hint's audience."),
                     req.request_id);
    }
    client_id = hint->client_id;
  }

  // §3: the redirect must exactly match one the client registered.
  if (!redirect.empty()) {
    if (client_id.empty()) {
      return fc.page(invalid("post_logout_redirect_uri needs client_id or id_token_hint."),
                     req.request_id);
    }
    auto app = fc.store().read<store::Application>([&](store::Repositories& r) {
      return r.applications().find_by_client_id(env.id, client_id);
    });
    if (!app || app->status != "active") {
      return fc.page(invalid("The client of this logout request is unknown or disabled."),
                     req.request_id);
    }
    const auto& allowed = app->post_logout_redirect_uris;
    if (std::find(allowed.begin(), allowed.end(), redirect) == allowed.end()) {
      return fc.page(
          invalid("post_logout_redirect_uri is not registered for this client (exact match)."),
          req.request_id);
    }
  }

  auto session = fc.session_of(env, req);
  if (!session) return fc.page(session.error(), req.request_id);
  if (*session) {
    const auto& s = **session;
    // A hint about another user or session does not end this one.
    const bool same =
        !hint || (hint->subject == s.user_id && (hint->sid.empty() || hint->sid == s.sid));
    if (same) {
      auto ended = fc.sessions().end(env.id, s.organization_id, s.sid, client_id, req.request_id,
                                     req.client_ip);
      if (!ended) return fc.page(ended.error(), req.request_id);
    }
  }

  http::Response res;
  if (!redirect.empty()) {
    std::string url = redirect;
    if (!state.empty()) {
      url += (url.find('?') == std::string::npos ? "?" : "&");
      url += "state=" + percent_encode(state);
    }
    res.status = 303;
    res.set_header("Location", url);
  } else {
    res = signed_out_page();
  }
  std::string cookie = sessions::session_cookie_name(env.name) + "=; Path=/" + env.name +
                       "/; HttpOnly; SameSite=Lax; Max-Age=0";
  if (secure_cookies) cookie += "; Secure";
  res.headers.emplace_back("Set-Cookie", cookie);
  res.set_header("Cache-Control", "no-store");
  return res;
}

void add_logout_routes(http::Router& router, tenancy::EnvironmentCache& environments,
                       std::shared_ptr<FrontChannel> fc, std::shared_ptr<TokenSigner> signer,
                       bool secure_cookies) {
  http::RouteOptions options;
  options.max_body_bytes = 64 * 1024;
  options.route_class = "oauth";
  auto handler = [&environments, fc, signer, secure_cookies](http::Request& req) {
    auto env = environments.get(req.param("env"));
    if (!env) return fc->page(env.error(), req.request_id);
    return logout_endpoint(*fc, *signer, *env, req, secure_cookies);
  };
  router.add("GET", "/{env}/oauth2/logout", handler, options);
  router.add("POST", "/{env}/oauth2/logout", handler, options);
}

}  // namespace gh::oauth
