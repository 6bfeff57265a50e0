#include "oauth/dpop.h"

#include <algorithm>
#include <cctype>
#include <nlohmann/json.hpp>

#include "core/encoding.h"
#include "crypto/jose/algorithm.h"
#include "crypto/jose/header.h"
#include "crypto/jose/jwk.h"
#include "crypto/jose/key_set.h"
#include "crypto/jose/signature.h"
#include "oauth/token_hash.h"

namespace gh::oauth {

namespace {

constexpr int64_t kNonceWindowS = 300;
constexpr size_t kMaxJtiLength = 256;

OAuthError bad_proof(std::string why) {
  return {"invalid_dpop_proof", "Invalid DPoP proof: " + std::move(why), 400};
}

std::string lower(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

}  // namespace

std::string dpop_ath(std::string_view access_token) {
  return base64url_encode(sha256_bytes(access_token));
}

std::string dpop_htu_normal(std::string_view url) {
  std::string_view u = url.substr(0, std::min(url.find('?'), url.find('#')));
  // RFC 3986 §6.2.2.1: scheme and host are case-insensitive; the path is not.
  const auto scheme_end = u.find("://");
  if (scheme_end == std::string_view::npos) return std::string(u);
  const auto path_start = u.find('/', scheme_end + 3);
  std::string out = lower(u.substr(0, path_start));
  if (path_start != std::string_view::npos) out += u.substr(path_start);
  // Default ports are the same origin.
  for (const auto& [prefix, port] : {std::pair{"https://", ":443"}, std::pair{"http://", ":80"}}) {
    if (out.rfind(prefix, 0) != 0) continue;
    const auto host_end = out.find('/', std::string_view(prefix).size());
    const auto authority = out.substr(0, host_end);
    if (authority.size() > std::string_view(port).size() &&
        authority.compare(authority.size() - std::string_view(port).size(),
                          std::string_view(port).size(), port) == 0) {
      out.erase(authority.size() - std::string_view(port).size(), std::string_view(port).size());
    }
  }
  if (out.find('/', scheme_end + 3) == std::string::npos) out += "/";
  return out;
}

OAuthResult<std::optional<std::string>> dpop_header(const http::Request& req) {
  std::optional<std::string> found;
  for (const auto& [name, value] : req.headers) {
    if (lower(name) != "dpop") continue;
    // §4.3 item 1: exactly one DPoP header.
    if (found) return oauth_fail(bad_proof("more than one DPoP header"));
    found = value;
  }
  return found;
}

OAuthResult<VerifiedDpopProof> verify_dpop_proof(std::string_view proof,
                                                 const DpopExpectation& expected,
                                                 const Clock& clock) {
  if (proof.empty() || proof.size() > kMaxDpopProofSize) {
    return oauth_fail(bad_proof("empty or too large"));
  }
  const auto a = proof.find('.');
  const auto b = a == std::string_view::npos ? a : proof.find('.', a + 1);
  if (b == std::string_view::npos || proof.find('.', b + 1) != std::string_view::npos) {
    return oauth_fail(bad_proof("not a compact JWS"));
  }
  auto header_text = base64url_decode(proof.substr(0, a));
  auto payload_text = base64url_decode(proof.substr(a + 1, b - a - 1));
  auto signature = base64url_decode(proof.substr(b + 1));
  if (!header_text || !payload_text || !signature) {
    return oauth_fail(bad_proof("not base64url"));
  }
  auto header = nlohmann::json::parse(*header_text, nullptr, false);
  auto claims = nlohmann::json::parse(*payload_text, nullptr, false);
  if (!header.is_object() || !claims.is_object()) {
    return oauth_fail(bad_proof("header or claims are not JSON objects"));
  }
  // §4.2: typ dpop+jwt (explicit typing, RFC 8725 §3.11).
  if (!header.contains("typ") || !header["typ"].is_string() ||
      !jose::typ_matches(header["typ"].get<std::string>(), "dpop+jwt")) {
    return oauth_fail(bad_proof("typ must be dpop+jwt"));
  }
  // §4.3 item 5: an asymmetric algorithm we support; none and MACs never parse.
  auto alg = header.contains("alg") && header["alg"].is_string()
                 ? jose::parse_alg(header["alg"].get<std::string>())
                 : std::nullopt;
  if (!alg || !jose::is_signing_alg(*alg)) {
    return oauth_fail(bad_proof("alg must be one of " + std::string(kDpopAlgs)));
  }
  if (header.contains("crit")) return oauth_fail(bad_proof("crit is not supported"));
  // §4.3 item 7: the public key is in the header, and nothing private.
  if (!header.contains("jwk") || !header["jwk"].is_object()) {
    return oauth_fail(bad_proof("jwk (the public key) is missing"));
  }
  for (const char* priv : {"d", "p", "q", "dp", "dq", "qi", "k"}) {
    if (header["jwk"].contains(priv)) return oauth_fail(bad_proof("jwk holds a private key"));
  }
  auto key = jose::Jwk::from_json(header["jwk"]);
  if (!key) return oauth_fail(bad_proof("jwk is not a usable public key"));
  if (!jose::check_key_fits_alg(*key, *alg)) {
    return oauth_fail(bad_proof("jwk does not fit alg"));
  }
  if (!jose::verify_bytes(*key, *alg, proof.substr(0, b), *signature)) {
    return oauth_fail(bad_proof("the signature does not verify"));
  }
  const auto str = [&](const char* name) -> std::optional<std::string> {
    if (!claims.contains(name) || !claims[name].is_string()) return std::nullopt;
    return claims[name].get<std::string>();
  };
  auto jti = str("jti");
  if (!jti || jti->empty() || jti->size() > kMaxJtiLength) {
    return oauth_fail(bad_proof("jti is missing or too long"));
  }
  auto htm = str("htm");
  if (!htm || *htm != expected.htm) {
    return oauth_fail(bad_proof("htm does not match the request method"));
  }
  auto htu = str("htu");
  if (!htu || dpop_htu_normal(*htu) != dpop_htu_normal(expected.htu)) {
    return oauth_fail(bad_proof("htu does not match the request URL"));
  }
  if (!claims.contains("iat") || !claims["iat"].is_number()) {
    return oauth_fail(bad_proof("iat is missing"));
  }
  const int64_t iat = claims["iat"].is_number_integer()
                          ? claims["iat"].get<int64_t>()
                          : static_cast<int64_t>(claims["iat"].get<double>());
  const int64_t now_ms = clock.now_ms();
  if (iat * 1000 > now_ms + std::chrono::milliseconds(kDpopProofSkew).count()) {
    return oauth_fail(bad_proof("iat is in the future"));
  }
  if (iat * 1000 < now_ms - std::chrono::milliseconds(kDpopProofMaxAge).count()) {
    return oauth_fail(bad_proof("iat is too old"));
  }
  if (expected.access_token) {
    auto ath = str("ath");
    if (!ath || !constant_time_equal(*ath, dpop_ath(*expected.access_token))) {
      return oauth_fail(bad_proof("ath does not match the access token"));
    }
  }
  if (expected.nonce) {
    auto nonce = str("nonce");
    if (!nonce || *nonce != *expected.nonce) {
      return oauth_fail("use_dpop_nonce", "Authorization server requires nonce in DPoP proof");
    }
  }
  return VerifiedDpopProof{key->thumbprint(), *jti, iat};
}

std::string DpopNonces::for_window(std::string_view environment_id, int64_t window) const {
  const std::string w = std::to_string(window);
  return w + "." +
         hasher_.hash("dpop-nonce\n" + std::string(environment_id) + "\n" + w).substr(0, 32);
}

std::string DpopNonces::current(std::string_view environment_id) const {
  return for_window(environment_id, clock_.now_ms() / 1000 / kNonceWindowS);
}

bool DpopNonces::accepts(std::string_view environment_id, std::string_view nonce) const {
  const int64_t window = clock_.now_ms() / 1000 / kNonceWindowS;
  return constant_time_equal(nonce, for_window(environment_id, window)) ||
         constant_time_equal(nonce, for_window(environment_id, window - 1));
}

OAuthResult<VerifiedDpopProof> check_dpop_proof(store::Store& store, const store::Environment& env,
                                                const std::string& organization_id,
                                                std::string_view proof,
                                                const DpopExpectation& expected,
                                                const DpopNonces* nonces, const Clock& clock) {
  DpopExpectation want = expected;
  auto verified = verify_dpop_proof(proof, want, clock);
  if (!verified) return verified;
  if (nonces) {
    // The nonce is checked against the stateless window MACs rather than one value.
    const auto dot = proof.find('.');
    const auto dot2 = proof.find('.', dot + 1);
    auto payload = base64url_decode(proof.substr(dot + 1, dot2 - dot - 1));
    auto claims = nlohmann::json::parse(payload.value_or(""), nullptr, false);
    const std::string nonce =
        claims.is_object() && claims.contains("nonce") && claims["nonce"].is_string()
            ? claims["nonce"].get<std::string>()
            : std::string();
    if (nonce.empty() || !nonces->accepts(env.id, nonce)) {
      return oauth_fail("use_dpop_nonce", "Authorization server requires nonce in DPoP proof");
    }
  }
  // §11.1: each proof once. Kept until its iat falls out of the window.
  store::ReplayMark mark{env.id, organization_id, "dpop",
                         token_hash(verified->jkt + "\n" + verified->jti),
                         (verified->iat_s + kDpopProofMaxAge.count() + 1) * 1000};
  const int64_t now = clock.now_ms();
  auto fresh = store.transact<bool>(
      [&](store::Repositories& r) { return r.replays().mark_once(mark, now); });
  if (!fresh) return oauth_fail(server_error("The DPoP proof could not be checked"));
  if (!*fresh) return oauth_fail(bad_proof("this proof (jti) was already used"));
  return verified;
}

}  // namespace gh::oauth
