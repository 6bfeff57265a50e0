// GET|POST /{env}/oauth2/userinfo (OIDC Core §5.3): a Bearer access token of ours (verified,
// not revoked) that a user's login produced (it has a user subject and the openid scope) gets
// that user's claims per scope. A client_credentials token has no user: invalid_token.
// Errors per RFC 6750 §3 in WWW-Authenticate. A DPoP-bound token (cnf.jkt) is accepted only as
// `Authorization: DPoP <token>` with a proof of its key for this request (RFC 9449 §7: htm,
// htu, ath, jti once); presented as Bearer it is invalid_token.
#include <algorithm>

#include "oauth/form_params.h"
#include "oauth/provider.h"

namespace gh::oauth {

namespace {

http::Response bearer_error(int status, const std::string& error, const std::string& description,
                            bool dpop = false) {
  auto res = no_store_json(status, {{"error", error}, {"error_description", description}});
  std::string challenge = dpop ? "DPoP algs=\"" + std::string(kDpopAlgs) + "\", realm=\"userinfo\""
                               : "Bearer realm=\"userinfo\"";
  if (!error.empty()) challenge += ", error=\"" + error + "\"";
  res.set_header("WWW-Authenticate", challenge);
  return res;
}

}  // namespace

http::Response userinfo_endpoint(Provider& p, const store::Environment& env,
                                 const http::Request& req) {
  std::string token;
  bool dpop_scheme = false;
  if (auto auth = req.header("Authorization")) {
    if (auth->size() > 7 && (auth->substr(0, 7) == "Bearer " || auth->substr(0, 7) == "bearer ")) {
      token = std::string(auth->substr(7));
    } else if (auth->size() > 5 &&
               (auth->substr(0, 5) == "DPoP " || auth->substr(0, 5) == "dpop ")) {
      token = std::string(auth->substr(5));
      dpop_scheme = true;
    }
  }
  // RFC 6750 §2.2: a form-encoded POST body may carry the token instead (OIDF
  // oidcc-userinfo-post-body); never the query string (§2.3, refused by RFC 9700).
  if (token.empty() && req.method == "POST") {
    if (auto form = FormParams::from_body(req)) {
      if (auto v = form->get("access_token")) token = *v;
    }
  }
  if (token.empty()) {
    auto res = no_store_json(401, {{"error", "invalid_request"},
                                   {"error_description", "Send the access token as Bearer"}});
    res.set_header("WWW-Authenticate", "Bearer realm=\"userinfo\"");
    return res;
  }
  auto at = p.verifier().verify(env, token);
  if (!at) return bearer_error(500, "server_error", "The token could not be checked");
  if (!*at) return bearer_error(401, "invalid_token", "The access token is not active");
  const auto& t = **at;
  if (!t.dpop_jkt.empty() || dpop_scheme) {
    // RFC 9449 §7.1: a bound token needs the DPoP scheme and a proof of its key.
    if (!dpop_scheme || t.dpop_jkt.empty()) {
      return bearer_error(401, "invalid_token",
                          "A DPoP-bound access token is sent with the DPoP scheme and a proof; a "
                          "Bearer token with the Bearer scheme",
                          true);
    }
    auto proof = dpop_header(req);
    if (!proof) return bearer_error(401, "invalid_dpop_proof", proof.error().description, true);
    if (!*proof) return bearer_error(401, "invalid_dpop_proof", "The DPoP proof is missing", true);
    const DpopExpectation want{req.method, p.signer().issuer_url(env, "") + "/oauth2/userinfo",
                               token, std::nullopt};
    auto verified =
        check_dpop_proof(p.store(), env, t.organization_id, **proof, want, nullptr, p.clock());
    if (!verified) {
      return bearer_error(401, "invalid_dpop_proof", verified.error().description, true);
    }
    if (verified->jkt != t.dpop_jkt) {
      return bearer_error(401, "invalid_dpop_proof",
                          "The DPoP proof's key is not the key the token is bound to", true);
    }
  }
  const auto scopes = split_scope(t.claims.value("scope", ""));
  const bool from_user = t.claims.contains("auth_time");
  if (!from_user || std::find(scopes.begin(), scopes.end(), "openid") == scopes.end()) {
    return bearer_error(401, "invalid_token",
                        "UserInfo needs an access token of a user's login with the openid scope");
  }
  nlohmann::json out = {{"sub", t.subject}};
  if (p.users()) {
    auto claims = p.users()->claims(env.id, t.organization_id, t.subject);
    if (!claims || claims->state != "active") {
      return bearer_error(401, "invalid_token", "The user is no longer active");
    }
    add_scope_claims(out, scopes, *claims);
  }
  if (!t.organization_id.empty()) out["org_id"] = t.organization_id;
  auto res = http::Response::json(200, out);
  res.set_header("Cache-Control", "no-store");
  return res;
}

}  // namespace gh::oauth
