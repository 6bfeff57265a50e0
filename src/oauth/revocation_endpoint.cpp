// POST /{env}/oauth2/revoke (RFC 7009). A refresh token revokes its whole family; an access
// token's jti is deny-listed until it expires (resource servers that verify locally keep
// accepting it until then: the access token lifetime is the revocation delay). A client
// revokes only its own tokens; unknown tokens, and other clients' tokens, answer 200 and change
// nothing (§2.2: the client cannot learn which tokens exist).
#include "oauth/provider.h"
#include "oauth/token_hash.h"

namespace gh::oauth {

http::Response revocation_endpoint(Provider& p, const store::Environment& env,
                                   const http::Request& req) {
  auto form = FormParams::from_body(req);
  if (!form) return error_response(form.error());
  auto client = p.clients().authenticate(env, req, *form);
  if (!client) return error_response(client.error());
  auto token = form->get("token");
  if (!token) return error_response(invalid_request("The token parameter is missing"));
  const int64_t now = p.clock().now_ms();
  const auto ok = [] {
    auto res = http::Response::text(200, "", "text/plain");
    res.set_header("Cache-Control", "no-store");
    return res;
  };

  auto rt = p.store().read<std::optional<store::RefreshToken>>([&](store::Repositories& r) {
    return r.oauth_grants().find_refresh(env.id, token_hash(*token));
  });
  if (!rt) return error_response(server_error("The token could not be revoked"));
  if (*rt) {
    if ((*rt)->client_id != client->app.client_id) return ok();
    auto n = p.store().transact<int>([&](store::Repositories& r) {
      return r.oauth_grants().revoke_family(env.id, (*rt)->organization_id, (*rt)->family_id, now);
    });
    if (!n) return error_response(server_error("The token could not be revoked"));
    return ok();
  }

  auto at = p.verifier().verify(env, *token);
  if (!at) return error_response(server_error("The token could not be revoked"));
  if (!*at || (*at)->client_id != client->app.client_id) return ok();
  const auto& t = **at;
  auto done = p.store().transact<bool>([&](store::Repositories& r) {
    auto revoked = r.oauth_grants().revoke_jti(
        {env.id, t.organization_id, t.jti, "revoked", t.exp_s * 1000, now});
    if (revoked) r.changed(kTokensRevokedTopic, env.id);
    return revoked;
  });
  if (!done) return error_response(server_error("The token could not be revoked"));
  p.verifier().forget_all();  // also through the change bus; at once on this node regardless
  return ok();
}

}  // namespace gh::oauth
