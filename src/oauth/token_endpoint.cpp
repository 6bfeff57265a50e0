// POST /{env}/oauth2/token (RFC 6749 §3.2): authenticate the client, hand the request to the
// grant registered for its grant_type, answer with no-store.
#include "oauth/provider.h"

namespace gh::oauth {

http::Response token_endpoint(Provider& p, const store::Environment& env,
                              const http::Request& req) {
  auto form = FormParams::from_body(req);
  if (!form) return error_response(form.error());
  auto client = p.clients().authenticate(env, req, *form);
  if (!client) return error_response(client.error());
  auto grant_type = form->get("grant_type");
  if (!grant_type) return error_response(invalid_request("The grant_type parameter is missing"));
  TokenRequest tr{env, client->app, client->method, *form, *grant_type};
  auto body = p.grants().exchange(tr);
  if (!body) return error_response(body.error());
  return no_store_json(200, *body);
}

}  // namespace gh::oauth
