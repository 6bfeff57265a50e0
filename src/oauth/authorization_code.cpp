#include "oauth/authorization_code.h"

#include <openssl/evp.h>

#include <stdexcept>

#include "core/encoding.h"
#include "crypto/openssl.h"

namespace gh::oauth {

std::string authorization_code_hash(std::string_view code) {
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  if (EVP_Digest(code.data(), code.size(), md, &len, crypto::sha256(), nullptr) != 1) {
    throw std::runtime_error("SHA-256 failed: " + crypto::openssl_error());
  }
  return to_hex(std::string_view(reinterpret_cast<const char*>(md), len));
}

nlohmann::json authorization_code_params(const AuthorizationRequest& req,
                                         const sessions::AuthenticatedSession& session) {
  nlohmann::json p = {
      {"scope", req.scope_string()},
      {"resources", req.resources},
      {"nonce", req.nonce},
      {"code_challenge", req.code_challenge},
      {"code_challenge_method", req.code_challenge_method},
      {"acr", session.acr},
      {"amr", session.amr},
      {"auth_time", session.auth_time_ms / 1000},
  };
  if (!req.claims.is_null()) p["claims"] = req.claims;
  return p;
}

MintedCode mint_authorization_code(const AuthorizationRequest& req,
                                   const sessions::AuthenticatedSession& session,
                                   const store::Application& app, int64_t now_ms, Random& random) {
  MintedCode m;
  m.code = random.base64url(32);
  auto& r = m.row;
  r.code_hash = authorization_code_hash(m.code);
  r.environment_id = app.environment_id;
  r.organization_id = session.organization_id;
  r.application_id = app.id;
  r.client_id = app.client_id;
  r.user_id = session.user_id;
  r.sid = session.sid;
  r.redirect_uri = req.redirect_uri;
  r.params = authorization_code_params(req, session).dump();
  r.created_at_ms = now_ms;
  r.expires_at_ms = now_ms + kAuthorizationCodeTtlMs;
  return m;
}

}  // namespace gh::oauth
