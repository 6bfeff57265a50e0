#include "federation/oidc/client_key.h"

#include "core/encoding.h"
#include "core/error.h"
#include "crypto/jose/jwt.h"
#include "crypto/openssl.h"
#include "tenancy/sealing.h"

namespace gh::federation::oidc {

namespace {

crypto::SealContext key_context(const ClientKeyOwner& o) {
  return {o.environment_id, o.organization_id, "connections", o.connection_id, "client_key"};
}

Error broken(const std::string& why) { return Error(errc::ServerInternal, {}, why); }

}  // namespace

Result<nlohmann::json> new_client_key(tenancy::Sealing& sealing, const ClientKeyOwner& owner) {
  auto entry = jose::KeySet::generate(jose::KeySpec::Rsa2048, jose::Alg::RS256);
  if (!entry) return fail(entry.error());
  std::string private_jwk = entry->key.private_json().dump();
  auto sealed = sealing.seal(key_context(owner), private_jwk);
  crypto::cleanse(private_jwk);
  if (!sealed) return fail(sealed.error());
  nlohmann::json pub = entry->key.public_json();
  pub["kid"] = entry->kid;
  pub["alg"] = "RS256";
  pub["use"] = "sig";
  return nlohmann::json{{"kid", entry->kid},
                        {"alg", "RS256"},
                        {"sealed", base64url_encode(*sealed)},  // JSON holds text, not bytes
                        {"jwks", {{"keys", nlohmann::json::array({pub})}}}};
}

Result<jose::KeyEntry> open_client_key(tenancy::Sealing& sealing, const ClientKeyOwner& owner,
                                       const nlohmann::json& member) {
  if (!member.is_object() || !member.contains("sealed") || !member["sealed"].is_string() ||
      !member.contains("kid") || !member["kid"].is_string()) {
    return fail(broken("the connection's client key is incomplete"));
  }
  auto sealed = base64url_decode(member["sealed"].get<std::string>());
  if (!sealed) return fail(broken("client_key.sealed is not base64url"));
  auto opened = sealing.open(key_context(owner), *sealed);
  if (!opened) return fail(opened.error());
  auto doc = nlohmann::json::parse(*opened, nullptr, false);
  crypto::cleanse(*opened);
  auto key = jose::Jwk::from_json(doc);
  if (!key || !key->has_private()) return fail(broken("the connection's client key is unusable"));
  // The kid is the RFC 7638 thumbprint: the sealed key is the one whose public half we publish.
  const std::string kid = member["kid"].get<std::string>();
  if (key->thumbprint() != kid) return fail(broken("the client key does not match its kid"));
  return jose::KeyEntry{kid, jose::Alg::RS256, jose::KeyUse::Sig, jose::KeyState::Active,
                        std::move(*key)};
}

Result<std::string> make_client_assertion(const jose::KeyEntry& key, std::string_view client_id,
                                          std::string_view audience, int64_t now_s,
                                          Random& random) {
  const nlohmann::json claims = {{"iss", client_id}, {"sub", client_id},
                                 {"aud", audience},  {"jti", random.base64url(16)},
                                 {"iat", now_s},     {"exp", now_s + kClientAssertionLifetimeS}};
  return jose::jwt_sign(key, claims);
}

std::string client_jwks_uri(std::string_view public_url, std::string_view environment_name,
                            std::string_view organization_id, std::string_view connection_id) {
  std::string out(public_url);
  out += "/";
  out += environment_name;
  out += "/oidc/";
  out += organization_id;
  out += "/";
  out += connection_id;
  out += "/jwks.json";
  return out;
}

}  // namespace gh::federation::oidc
