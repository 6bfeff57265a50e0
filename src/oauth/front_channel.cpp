#include "oauth/front_channel.h"

#include <strings.h>

#include "core/encoding.h"
#include "core/log.h"
#include "crypto/error_codes.h"
#include "oauth/authorization_code.h"
#include "oauth/error_page.h"
#include "oauth/response_mode.h"
#include "oauth/token_signer.h"
#include "tenancy/error_codes.h"

namespace gh::oauth {

nlohmann::json PendingParams::to_json() const {
  return {{"request", request.to_json()},
          {"organization_id", organization_id},
          {"force_authn", force_authn},
          {"issuer", issuer}};
}

std::optional<PendingParams> PendingParams::from_json(std::string_view text) {
  auto j = nlohmann::json::parse(text, nullptr, false);
  if (!j.is_object() || !j.contains("request")) return std::nullopt;
  auto req = AuthorizationRequest::from_json(j["request"]);
  if (!req) return std::nullopt;
  PendingParams p;
  p.request = std::move(*req);
  try {
    p.organization_id = j.at("organization_id").get<std::string>();
    p.force_authn = j.at("force_authn").get<bool>();
    p.issuer = j.at("issuer").get<std::string>();
  } catch (const nlohmann::json::exception&) {
    return std::nullopt;
  }
  return p;
}

FrontChannel::FrontChannel(FrontChannelOptions o)
    : store_(o.store),
      sessions_(o.sessions),
      public_url_(std::move(o.public_url)),
      clock_(o.clock),
      random_(o.random),
      signer_(std::move(o.signer)) {
  while (!public_url_.empty() && public_url_.back() == '/') public_url_.pop_back();
}

std::string FrontChannel::issuer(const store::Environment& env) const {
  return public_url_ + "/" + env.name;
}

Result<RequestIssuer> FrontChannel::organization_issuer(const store::Environment& env,
                                                        std::string_view organization_id) {
  auto none = [&] {
    return fail(errc::KeyIssuerNotFound, "Organization '" + std::string(organization_id) +
                                             "' has no issuer of its own: sign in through the "
                                             "environment's issuer " +
                                             issuer(env));
  };
  if (!signer_ || organization_id.empty()) return none();
  auto own = signer_->issuer_of(env, organization_id);
  if (!own) {
    if (own.error().code == errc::TenantNotFound) return none();
    return fail(own.error());
  }
  if (*own != organization_id) return none();
  return RequestIssuer{signer_->issuer_url(env, organization_id), std::string(organization_id)};
}

std::string FrontChannel::login_url(const store::Environment& env,
                                    std::string_view request_id) const {
  return issuer(env) + "/login?request=" + percent_encode(request_id);
}

std::string FrontChannel::resume_url(std::string_view issuer, std::string_view request_id) {
  return std::string(issuer) + "/oauth2/authorize/resume?request=" + percent_encode(request_id);
}

std::optional<std::string> cookie_value(const http::Request& req, std::string_view name) {
  for (const auto& [k, v] : req.headers) {
    if (k.size() != 6 || strncasecmp(k.c_str(), "cookie", 6) != 0) continue;
    std::string_view rest = v;
    while (!rest.empty()) {
      const size_t semi = rest.find(';');
      std::string_view pair = rest.substr(0, semi);
      rest = semi == std::string_view::npos ? std::string_view{} : rest.substr(semi + 1);
      while (!pair.empty() && pair.front() == ' ') pair.remove_prefix(1);
      while (!pair.empty() && pair.back() == ' ') pair.remove_suffix(1);
      const size_t eq = pair.find('=');
      if (eq == std::string_view::npos || pair.substr(0, eq) != name) continue;
      std::string_view value = pair.substr(eq + 1);
      // RFC 6265 §4.1.1: a cookie value may be quoted.
      if (value.size() >= 2 && value.front() == '"' && value.back() == '"') {
        value = value.substr(1, value.size() - 2);
      }
      return std::string(value);
    }
  }
  return std::nullopt;
}

Result<std::optional<sessions::AuthenticatedSession>> FrontChannel::session_of(
    const store::Environment& env, const http::Request& req) {
  auto cookie = cookie_value(req, sessions::session_cookie_name(env.name));
  if (!cookie || cookie->empty()) return std::optional<sessions::AuthenticatedSession>();
  auto s = sessions_.from_cookie(env.id, *cookie);
  if (!s) return fail(s.error());
  // The lookup is per environment; a session of another one is none here.
  if (*s && (*s)->environment_id != env.id) {
    return std::optional<sessions::AuthenticatedSession>();
  }
  return *s;
}

http::Response FrontChannel::to_client(std::string_view issuer,
                                       const AuthorizationError& error) const {
  return render_authorization_response(error_response(error, std::string(issuer)));
}

http::Response FrontChannel::page(const Error& error, std::string_view request_id) const {
  return render_error_page(error, request_id);
}

http::Response FrontChannel::issue_code(std::string_view issuer, const store::Environment& env,
                                        const store::Application& app,
                                        const AuthorizationRequest& req,
                                        const sessions::AuthenticatedSession& session,
                                        std::string_view request_id) {
  auto server_error = [&](const Error& e) {
    log::warn("authorization code not issued",
              {{"error", std::string(e.code_name())}, {"client_id", app.client_id}});
    return to_client(issuer, AuthorizationError::to_client(
                                 "server_error", "the authorization code could not be issued",
                                 req.redirect_uri, req.state, req.response_mode));
  };
  // Back-channel logout (issue 7) must know every client that received tokens in the session.
  auto added = sessions_.add_client(env.id, session.organization_id, session.sid, app.client_id);
  if (!added) return server_error(added.error());
  auto minted = mint_authorization_code(req, session, app, clock_.now_ms(), random_);
  auto stored = store_.transact<store::AuthorizationCode>(
      [&](store::Repositories& r) { return r.oauth_grants().put_code(minted.row); });
  if (!stored) return server_error(stored.error());
  log::info("authorization code issued", {{"client_id", app.client_id},
                                          {"organization_id", session.organization_id},
                                          {"request_id", std::string(request_id)}});
  return render_authorization_response(success_response(req, minted.code, std::string(issuer)));
}

void add_front_channel_routes(http::Router& router, tenancy::EnvironmentCache& environments,
                              std::shared_ptr<FrontChannel> fc) {
  http::RouteOptions options;
  options.max_body_bytes = 64 * 1024;
  options.route_class = "oauth";
  auto authorize = [&environments, fc](http::Request& req) {
    auto env = environments.get(req.param("env"));
    if (!env) return fc->page(env.error(), req.request_id);
    return authorize_endpoint(*fc, *env, fc->environment_issuer(*env), req);
  };
  router.add("GET", "/{env}/oauth2/authorize", authorize, options);
  router.add("POST", "/{env}/oauth2/authorize", authorize, options);
  auto organization_authorize = [&environments, fc](http::Request& req) {
    auto env = environments.get(req.param("env"));
    if (!env) return fc->page(env.error(), req.request_id);
    auto issuer = fc->organization_issuer(*env, req.param("org"));
    if (!issuer) return fc->page(issuer.error(), req.request_id);
    return authorize_endpoint(*fc, *env, *issuer, req);
  };
  router.add("GET", "/{env}/o/{org}/oauth2/authorize", organization_authorize, options);
  router.add("POST", "/{env}/o/{org}/oauth2/authorize", organization_authorize, options);
  // A pending request remembers the issuer it was made to and returns under it; the request id
  // alone names it, so the organization's resume is the environment's.
  auto resume = [&environments, fc](http::Request& req) {
    auto env = environments.get(req.param("env"));
    if (!env) return fc->page(env.error(), req.request_id);
    return resume_endpoint(*fc, *env, req);
  };
  router.add("GET", "/{env}/o/{org}/oauth2/authorize/resume", resume, options);
  router.add("GET", "/{env}/oauth2/authorize/resume", resume, options);
}

}  // namespace gh::oauth
