// POST /{env}/oauth2/token (RFC 6749 §3.2): authenticate the client, check its DPoP proof if
// any (RFC 9449 §5; required when the application says so), hand the request to the grant
// registered for its grant_type, answer with no-store.
#include <variant>

#include "oauth/provider.h"

namespace gh::oauth {

namespace {

// The thumbprint of the request's DPoP key ("" without a proof), or the error response.
std::variant<std::string, http::Response> dpop_binding(Provider& p, const store::Environment& env,
                                                       const store::Application& app,
                                                       const http::Request& req) {
  auto proof = dpop_header(req);
  if (!proof) return error_response(proof.error());
  if (!*proof) {
    if (app.dpop_bound_access_tokens) {
      return error_response(
          OAuthError{"invalid_dpop_proof", "This client must send a DPoP proof (RFC 9449)"});
    }
    return std::string();
  }
  const DpopExpectation want{"POST", p.signer().issuer_url(env, "") + "/oauth2/token", std::nullopt,
                             std::nullopt};
  auto verified = check_dpop_proof(p.store(), env, app.organization_id, **proof, want,
                                   app.dpop_nonce_required ? &p.dpop_nonces() : nullptr, p.clock());
  if (!verified) {
    auto res = error_response(verified.error());
    // RFC 9449 §8: the nonce to use next.
    if (verified.error().error == "use_dpop_nonce") {
      res.set_header("DPoP-Nonce", p.dpop_nonces().current(env.id));
    }
    return res;
  }
  return verified->jkt;
}

}  // namespace

http::Response token_endpoint(Provider& p, const store::Environment& env,
                              const http::Request& req) {
  auto form = FormParams::from_body(req);
  if (!form) return error_response(form.error());
  auto client = p.clients().authenticate(env, req, *form);
  if (!client) return error_response(client.error());
  auto grant_type = form->get("grant_type");
  if (!grant_type) return error_response(invalid_request("The grant_type parameter is missing"));
  auto jkt = dpop_binding(p, env, client->app, req);
  if (auto* res = std::get_if<http::Response>(&jkt)) return std::move(*res);
  TokenRequest tr{env, client->app, client->method, *form, *grant_type, std::get<std::string>(jkt)};
  auto body = p.grants().exchange(tr);
  if (!body) return error_response(body.error());
  return no_store_json(200, *body);
}

}  // namespace gh::oauth
