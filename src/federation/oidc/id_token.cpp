#include "federation/oidc/id_token.h"

#include <algorithm>

#include "core/encoding.h"
#include "crypto/error_codes.h"
#include "crypto/jose/jwt.h"
#include "federation/oidc/error_codes.h"

namespace gh::federation::oidc {

namespace {

constexpr std::string_view kTenantPlaceholder = "{tenantid}";

// jose.* failures as the connection reports them.
Error from_jose(const Error& e) {
  const std::string detail = std::string(e.code_name()) + ": " + e.text();
  if (e.code == errc::JoseKeyNotFound) {
    return Error(errc::OidcKeyNotFound, {}, detail);
  }
  if (e.code == errc::JoseExpired || e.code == errc::JoseNotYetValid ||
      e.code == errc::JoseIatInFuture) {
    return Error(errc::OidcTokenExpired, {}, detail);
  }
  if (e.code == errc::JoseMalformed || e.code == errc::JoseClaimInvalid) {
    return Error(errc::OidcIdTokenInvalid, {}, detail);
  }
  // alg none / HS* / alg other than the key's, forbidden headers, crit, revoked key, key type,
  // bad signature.
  return Error(errc::OidcSignatureInvalid, {}, detail);
}

}  // namespace

std::string peek_kid(std::string_view token) {
  const size_t dot = token.find('.');
  if (dot == std::string_view::npos || dot > 8192) return "";
  auto decoded = base64url_decode(token.substr(0, dot));
  if (!decoded) return "";
  auto j = nlohmann::json::parse(*decoded, nullptr, false);
  if (!j.is_object() || !j.contains("kid") || !j["kid"].is_string()) return "";
  return j["kid"].get<std::string>();
}

bool is_templated_issuer(std::string_view issuer) {
  return issuer.find(kTenantPlaceholder) != std::string_view::npos;
}

std::string pin_issuer(std::string_view issuer, std::string_view tenant_id) {
  std::string out(issuer);
  const size_t at = out.find(kTenantPlaceholder);
  if (at != std::string::npos) out.replace(at, kTenantPlaceholder.size(), tenant_id);
  return out;
}

Result<IdTokenClaims> verify_id_token(std::string_view token, const jose::KeySet& keys,
                                      const Clock& clock, const IdTokenExpectations& expect) {
  if (token.empty()) return fail(Error(errc::OidcIdTokenInvalid, {}, "no id_token"));
  if (std::count(token.begin(), token.end(), '.') != 2) {
    return fail(Error(errc::OidcIdTokenInvalid, {}, "the id_token is not a compact JWS (JWE?)"));
  }
  jose::JwtProfile profile;
  profile.skew = expect.skew;
  profile.require_exp = true;
  profile.require_iat = true;   // OIDC Core §2: iat and exp are REQUIRED
  profile.require_kid = false;  // single-key JWKS without kid (the key set's rule applies)
  auto verified = jose::jwt_verify(token, keys, clock, profile);
  if (!verified) return fail(from_jose(verified.error()));
  if (std::find(expect.allowed_algs.begin(), expect.allowed_algs.end(), verified->alg) ==
      expect.allowed_algs.end()) {
    return fail(Error(errc::OidcSignatureInvalid, {},
                      "alg " + std::string(jose::alg_name(verified->alg)) +
                          " is not in the IdP's id_token_signing_alg_values_supported"));
  }
  const auto& c = verified->claims;
  IdTokenClaims out;
  out.all = c.all;
  out.iss = c.iss;
  out.sub = c.sub;
  out.kid = verified->kid;
  out.alg = std::string(jose::alg_name(verified->alg));

  if (c.iss != expect.issuer) {
    return fail(Error(errc::OidcIssuerMismatch, {},
                      "iss '" + c.iss + "' is not the expected '" + expect.issuer + "'"));
  }
  if (c.sub.empty() || c.sub.size() > 255) {
    return fail(Error(errc::OidcIdTokenInvalid, {}, "sub is missing or longer than 255"));
  }
  if (std::find(c.aud.begin(), c.aud.end(), expect.client_id) == c.aud.end()) {
    return fail(Error(errc::OidcAudienceMismatch, {}, "aud does not contain our client_id"));
  }
  // OIDC Core §3.1.3.7 (4)-(5), as the errata reads it: with several audiences azp must be
  // present, and whenever present it must be our client_id.
  const bool has_azp = c.all.contains("azp");
  if (has_azp &&
      (!c.all["azp"].is_string() || c.all["azp"].get<std::string>() != expect.client_id)) {
    return fail(Error(errc::OidcAudienceMismatch, {}, "azp is not our client_id"));
  }
  if (c.aud.size() > 1 && !has_azp) {
    return fail(Error(errc::OidcAudienceMismatch, {}, "several audiences and no azp"));
  }
  const bool nonce_ok = c.all.contains("nonce") && c.all["nonce"].is_string() &&
                        !expect.nonce.empty() && c.all["nonce"].get<std::string>() == expect.nonce;
  if (!nonce_ok) {
    return fail(Error(errc::OidcNonceMismatch, {},
                      c.all.contains("nonce") ? "nonce does not match this login"
                                              : "the id_token carries no nonce"));
  }
  if (c.all.contains("acr")) {
    if (!c.all["acr"].is_string()) {
      return fail(Error(errc::OidcIdTokenInvalid, {}, "acr is not a string"));
    }
    out.acr = c.all["acr"].get<std::string>();
  }
  if (c.all.contains("amr") && c.all["amr"].is_array()) {
    for (const auto& m : c.all["amr"]) {
      if (m.is_string()) out.amr.push_back(m.get<std::string>());
    }
  }
  if (c.all.contains("auth_time")) {
    if (!c.all["auth_time"].is_number()) {
      return fail(Error(errc::OidcIdTokenInvalid, {}, "auth_time is not a number"));
    }
    out.auth_time_s = c.all["auth_time"].get<int64_t>();
  }
  if (expect.max_age_s) {
    // OIDC Core §3.1.2.1: with max_age, auth_time is REQUIRED and bounds the authentication.
    const int64_t now_s = clock.now_ms() / 1000;
    if (out.auth_time_s == 0) {
      return fail(Error(errc::OidcAuthTooOld, {}, "max_age was asked for and auth_time is absent"));
    }
    if (out.auth_time_s + *expect.max_age_s + expect.skew.count() < now_s) {
      return fail(Error(errc::OidcAuthTooOld, {},
                        "auth_time is " + std::to_string(now_s - out.auth_time_s) +
                            "s old, max_age " + std::to_string(*expect.max_age_s) + "s"));
    }
  }
  return out;
}

}  // namespace gh::federation::oidc
