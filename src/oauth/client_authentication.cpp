#include "oauth/client_authentication.h"

#include "core/encoding.h"
#include "federation/oidc/id_token.h"
#include "federation/oidc/provider_metadata.h"
#include "oauth/client_assertion.h"
#include "oauth/error_codes.h"
#include "oauth/token_hash.h"

namespace gh::oauth {

namespace {

struct Presented {
  std::string client_id;
  std::optional<std::string> secret;
  std::string method;
  std::string assertion;  // private_key_jwt
};

OAuthError failed(bool basic, std::string description) {
  OAuthError e = invalid_client(std::move(description));
  e.basic_challenge = basic;
  return e;
}

OAuthResult<Presented> presented_credentials(const http::Request& req, const FormParams& form) {
  auto auth = req.header("Authorization");
  const bool has_assertion = form.has("client_assertion") || form.has("client_assertion_type");
  const bool has_basic = auth && auth->size() > 6 &&
                         (auth->substr(0, 6) == "Basic " || auth->substr(0, 6) == "basic ");
  if (has_assertion) {
    // RFC 7521 §4.2: one method per request.
    if (has_basic || form.has("client_secret")) {
      return oauth_fail(invalid_request(
          "Use one client authentication method: client_assertion, not also a secret"));
    }
    auto type = form.get("client_assertion_type");
    auto assertion = form.get("client_assertion");
    if (!type || *type != kJwtBearerAssertionType) {
      return oauth_fail(
          invalid_request("client_assertion_type must be " + std::string(kJwtBearerAssertionType)));
    }
    if (!assertion || assertion->empty()) {
      return oauth_fail(invalid_request("client_assertion is missing"));
    }
    auto named = assertion_client_id(*assertion);
    if (!named) return oauth_fail(failed(false, "The client assertion names no client (iss)"));
    if (auto body_id = form.get("client_id"); body_id && *body_id != *named) {
      return oauth_fail(invalid_client("client_id differs from the client assertion's iss"));
    }
    return Presented{*named, std::nullopt, "private_key_jwt", *assertion};
  }
  if (has_basic) {
    if (form.has("client_secret")) {
      return oauth_fail(invalid_request(
          "Use one client authentication method: Basic or client_secret, not both"));
    }
    auto decoded = base64_decode(auth->substr(6));
    if (!decoded) return oauth_fail(failed(true, "The Basic credentials are not base64"));
    const auto colon = decoded->find(':');
    if (colon == std::string::npos) {
      return oauth_fail(failed(true, "The Basic credentials are not client_id:client_secret"));
    }
    // RFC 6749 §2.3.1: both halves are form-urlencoded before base64.
    auto id = percent_decode(decoded->substr(0, colon), true);
    auto secret = percent_decode(decoded->substr(colon + 1), true);
    if (!id || !secret || id->empty()) {
      return oauth_fail(failed(true, "The Basic credentials are malformed"));
    }
    if (auto body_id = form.get("client_id"); body_id && *body_id != *id) {
      return oauth_fail(invalid_request("client_id in the body differs from the Basic username"));
    }
    return Presented{*id, *secret, "client_secret_basic", {}};
  }
  auto id = form.get("client_id");
  if (!id) return oauth_fail(failed(false, "Client authentication is required"));
  if (auto secret = form.get("client_secret")) {
    return Presented{*id, *secret, "client_secret_post", {}};
  }
  return Presented{*id, std::nullopt, "none", {}};
}

}  // namespace

OAuthResult<AuthenticatedClient> ClientAuthenticator::authenticate(const store::Environment& env,
                                                                   const http::Request& req,
                                                                   const FormParams& form) const {
  auto p = presented_credentials(req, form);
  if (!p) return oauth_fail(p.error());
  const bool basic = p->method == "client_secret_basic";
  auto loaded = applications_.client(env.id, p->client_id);
  if (!loaded) {
    if (loaded.error().code == errc::ApplicationNotFound) {
      return oauth_fail(failed(basic, "Unknown client"));
    }
    return oauth_fail(server_error("The client could not be looked up"));
  }
  const auto& app = (*loaded)->app;
  if (app.status != "active") return oauth_fail(failed(basic, "The client is disabled"));
  if (p->method == "private_key_jwt" || app.token_endpoint_auth_method == "private_key_jwt") {
    if (p->method != app.token_endpoint_auth_method) {
      return oauth_fail(failed(basic, "This client is registered for " +
                                          app.token_endpoint_auth_method + ", not " + p->method));
    }
    return authenticate_assertion(env, app, p->assertion);
  }
  if (app.type == "public") {
    if (p->secret) {
      return oauth_fail(failed(basic, "A public client has no secret; send client_id only"));
    }
    return AuthenticatedClient{app, "none"};
  }
  if (!p->secret) {
    return oauth_fail(failed(basic, "This client must authenticate with its client secret"));
  }
  if (p->method != app.token_endpoint_auth_method) {
    return oauth_fail(failed(basic, "This client is registered for " +
                                        app.token_endpoint_auth_method + ", not " + p->method));
  }
  auto lookup = tenancy::secret_lookup(*p->secret, kClientSecretPrefix);
  if (!lookup) return oauth_fail(failed(basic, "Invalid client secret"));
  const int64_t now = clock_.now_ms();
  for (const auto& s : (*loaded)->secrets) {
    if (s.lookup != *lookup) continue;  // the lookup is public; the hash compare is not
    if (!hasher_.matches(*p->secret, s.hash)) break;
    if (s.revoked_at_ms != 0) return oauth_fail(failed(basic, "The client secret was revoked"));
    if (s.expires_at_ms != 0 && now >= s.expires_at_ms) {
      return oauth_fail(failed(basic, "The client secret has expired"));
    }
    return AuthenticatedClient{app, p->method};
  }
  return oauth_fail(failed(basic, "Invalid client secret"));
}

OAuthResult<AuthenticatedClient> ClientAuthenticator::authenticate_assertion(
    const store::Environment& env, const store::Application& app,
    const std::string& assertion) const {
  if (!issuer_of_) return oauth_fail(server_error("private_key_jwt is not configured"));
  std::shared_ptr<const jose::KeySet> keys;
  if (!app.jwks_uri.empty()) {
    // Keys at a URL: the same process-wide cache as an IdP's JWKS (federation/oidc), fetched on
    // first use with a timeout and a size bound, and once more (rate-limited per URI) when the
    // assertion names a kid the cached set lacks: the client rotated its key.
    auto fetched = federation::oidc::JwksCache::instance().get(
        app.jwks_uri, federation::oidc::peek_kid(assertion), clock_);
    if (!fetched) {
      return oauth_fail(
          invalid_client("This client's keys could not be fetched from its jwks_uri"));
    }
    keys = *fetched;
  } else if (!app.jwks.empty()) {
    auto parsed = client_key_set(app.jwks);
    if (!parsed) return oauth_fail(invalid_client("This client's registered keys are unusable"));
    keys = std::make_shared<const jose::KeySet>(std::move(*parsed));
  } else {
    return oauth_fail(invalid_client("This client has no registered keys (jwks or jwks_uri)"));
  }
  auto verified = verify_client_assertion(assertion, app, *keys, issuer_of_(env), clock_);
  if (!verified) return oauth_fail(verified.error());
  // RFC 7523 §3 item 7: each jti once, on every node, for as long as the assertion could be
  // accepted (exp plus the skew).
  store::ReplayMark mark{env.id, app.organization_id, "client_assertion",
                         token_hash(app.client_id + '\n' + verified->jti),
                         (verified->exp_s + kAssertionSkew.count()) * 1000};
  const int64_t now = clock_.now_ms();
  auto fresh = store_.transact<bool>(
      [&](store::Repositories& r) { return r.replays().mark_once(mark, now); });
  if (!fresh) return oauth_fail(server_error("The client assertion could not be checked"));
  if (!*fresh) return oauth_fail(invalid_client("The client assertion was already used (jti)"));
  return AuthenticatedClient{app, "private_key_jwt"};
}

}  // namespace gh::oauth
