// GET|POST /{env}/oauth2/authorize (OIDC Core §3.1.2, RFC 6749 §4.1.1): validate, then a code
// at once for a session that satisfies the request, login_required & co. for prompt=none, or a
// pending request and the hosted login page.
#include <strings.h>

#include <map>

#include "core/ids.h"
#include "core/log.h"
#include "oauth/error_codes.h"
#include "oauth/front_channel.h"
#include "oauth/pushed_authorization.h"
#include "oauth/session_requirements.h"
#include "tenancy/error_codes.h"

namespace gh::oauth {

namespace {

// The request's parameters: the query (GET) or the form body (POST, OIDC Core §3.1.2.1).
Result<Params> request_params(const http::Request& req) {
  std::string_view source = req.query;
  if (req.method == "POST") {
    auto type = req.header("Content-Type");
    std::string_view t = type ? *type : std::string_view{};
    t = t.substr(0, t.find(';'));
    while (!t.empty() && t.back() == ' ') t.remove_suffix(1);
    if (t.size() != 33 || strncasecmp(t.data(), "application/x-www-form-urlencoded", 33) != 0) {
      return fail(errc::AuthorizeMalformedRequest,
                  "The sign-in request was posted with a body that is not "
                  "application/x-www-form-urlencoded.");
    }
    source = req.body;
  }
  auto params = parse_query(source);
  if (!params) {
    return fail(errc::AuthorizeMalformedRequest,
                "The sign-in request has a badly percent-encoded parameter.");
  }
  for (const auto& [k, v] : *params) {
    if (!is_valid_utf8(k) || !is_valid_utf8(v)) {
      return fail(errc::AuthorizeMalformedRequest,
                  "The sign-in request has a parameter that is not valid UTF-8.");
    }
  }
  return *params;
}

// What the validation needs from the store, read in one transaction.
struct Lookup {
  std::optional<store::Application> app;
  std::map<std::string, RequestableResource, std::less<>> resources;
  std::optional<store::Organization> organization;  // the `organization` parameter's
};

Result<Lookup> look_up(store::Store& store, const store::Environment& env,
                       const std::string& client_id, const Params& params) {
  return store.read<Lookup>([&](store::Repositories& r) -> Result<Lookup> {
    Lookup out;
    auto app = r.applications().find_by_client_id(env.id, client_id);
    if (app) {
      out.app = std::move(*app);
    } else if (app.error().code != errc::ApplicationNotFound) {
      return fail(app.error());
    }
    if (!out.app) return out;
    for (const auto& [k, v] : params) {
      if (k == "resource" && is_valid_resource_indicator(v) && !out.resources.count(v) &&
          out.resources.size() < 16) {
        auto res = r.applications().find_resource(env.id, v);
        if (res) {
          std::vector<std::string> names;
          for (const auto& p : res->permissions) names.push_back(p.name);
          out.resources.emplace(v, RequestableResource{v, std::move(names)});
        } else if (res.error().code != errc::ResourceNotFound) {
          return fail(res.error());
        }
      }
      if (k == "organization" && !v.empty() && !out.organization) {
        auto org = is_uuid(v) ? r.organizations().get(env.id, v)
                              : r.organizations().get_by_slug(env.id, v);
        if (org) {
          out.organization = std::move(*org);
        } else if (org.error().code != errc::TenantNotFound) {
          return fail(org.error());
        }
      }
    }
    return out;
  });
}

}  // namespace

http::Response authorize_endpoint(FrontChannel& fc, const store::Environment& env,
                                  const RequestIssuer& issuer, const http::Request& req) {
  auto params = request_params(req);
  if (!params) return fc.page(params.error(), req.request_id);
  // RFC 9126 §4: a pushed request is used as pushed (only client_id and request_uri here).
  const bool pushed = has_param(*params, "request_uri");
  if (pushed) {
    auto redeemed = redeem_pushed_request(fc.store(), env, *params, fc.clock().now_ms());
    if (!redeemed) return fc.page(redeemed.error(), req.request_id);
    params = std::move(*redeemed);
  }
  auto client_id = requested_client_id(*params);
  if (!client_id) {
    return fc.page(Error(client_id.error().page_code, client_id.error().description),
                   req.request_id);
  }
  auto found = look_up(fc.store(), env, *client_id, *params);
  if (!found) return fc.page(found.error(), req.request_id);

  auto valid = validate_authorization_request(
      *params, found->app ? &*found->app : nullptr,
      [&](std::string_view id) -> std::optional<RequestableResource> {
        auto it = found->resources.find(id);
        if (it == found->resources.end()) return std::nullopt;
        return it->second;
      });
  if (!valid) {
    const auto& e = valid.error();
    if (!e.redirect) return fc.page(Error(e.page_code, e.description), req.request_id);
    return fc.to_client(issuer.url, e);
  }
  const AuthorizationRequest& ar = *valid;
  const store::Application& app = *found->app;
  auto refuse = [&](std::string error, std::string description) {
    return fc.to_client(issuer.url,
                        AuthorizationError::to_client(std::move(error), std::move(description),
                                                      ar.redirect_uri, ar.state, ar.response_mode));
  };
  if (app.require_pushed_authorization_requests && !pushed) {
    return refuse("invalid_request", "this application must push its requests (PAR, RFC 9126)");
  }

  // Gatehouse's `organization` (id or slug) must name an active organization; an
  // organization's own application signs in only that organization's users.
  std::string organization_id = app.organization_id;
  // An organization's own issuer signs in only that organization's users.
  if (!issuer.organization_id.empty()) {
    if (!organization_id.empty() && organization_id != issuer.organization_id) {
      return refuse("invalid_request", "the application belongs to another organization");
    }
    organization_id = issuer.organization_id;
  }
  if (!ar.organization.empty()) {
    if (!found->organization || found->organization->status != "active") {
      return refuse("invalid_request", "organization is not an active organization here");
    }
    if (!organization_id.empty() && organization_id != found->organization->id) {
      return refuse("invalid_request", issuer.organization_id.empty()
                                           ? "the application belongs to another organization"
                                           : "this issuer signs in another organization");
    }
    organization_id = found->organization->id;
  }

  auto session = fc.session_of(env, req);
  if (!session) {
    log::warn("session lookup failed", {{"error", std::string(session.error().code_name())}});
    return refuse("temporarily_unavailable", "the session could not be read; retry");
  }
  const int64_t now = fc.clock().now_ms();
  const auto verdict = check_session(ar, *session, SessionCheck{now, organization_id, {}});
  if (verdict == SessionVerdict::satisfied) {
    return fc.issue_code(issuer.url, env, app, ar, **session, req.request_id);
  }
  // OIDC Core §3.1.2.6: prompt=none never shows a page.
  if (ar.prompt_none) return refuse(prompt_none_error(verdict), describe(verdict));

  PendingParams pending{ar, organization_id, verdict == SessionVerdict::reauthenticate, issuer.url};
  store::PendingAuthorization row;
  row.id = fc.random().base64url(32);
  row.environment_id = env.id;
  row.application_id = app.id;
  row.client_id = app.client_id;
  row.params = pending.to_json().dump();
  row.created_at_ms = now;
  row.expires_at_ms = now + kPendingAuthorizationTtlMs;
  auto stored = fc.store().transact<store::PendingAuthorization>(
      [&](store::Repositories& r) { return r.oauth_grants().put_pending(row); });
  if (!stored) {
    log::warn("pending authorization not stored",
              {{"error", std::string(stored.error().code_name())}});
    return refuse("temporarily_unavailable", "the sign-in could not be started; retry");
  }
  http::Response res;
  res.status = 303;
  res.set_header("Location", fc.login_url(env, row.id));
  res.set_header("Cache-Control", "no-store");
  res.set_header("Referrer-Policy", "no-referrer");
  return res;
}

}  // namespace gh::oauth
