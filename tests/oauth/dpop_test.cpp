// DPoP (RFC 9449): the proof checks one by one at the edges of their windows, and the endpoints:
// bound tokens (cnf.jkt, token_type DPoP), replayed proofs, the per-application switch, server
// nonces, public clients' bound refresh tokens, introspection's cnf, and UserInfo with the DPoP
// scheme (htm, htu, ath, key).
#include "oauth/dpop.h"
#include "core/encoding.h"
#include "crypto/jose/key_set.h"
#include "crypto/jose/signature.h"
#include "oauth/token_hash.h"
#include "oauth_fixture.h"

namespace gh::oauth::testing {
namespace {

const jose::KeyEntry& holder_key() {
  static const jose::KeyEntry key =
      *jose::KeySet::generate(jose::KeySpec::EcP256, jose::Alg::ES256);
  return key;
}
const jose::KeyEntry& other_key() {
  static const jose::KeyEntry key =
      *jose::KeySet::generate(jose::KeySpec::EcP256, jose::Alg::ES256);
  return key;
}

struct ProofSpec {
  std::string htm = "POST";
  std::string htu;
  int64_t iat = 0;
  std::string jti;
  std::optional<std::string> ath;
  std::optional<std::string> nonce;
  std::string typ = "dpop+jwt";
  std::string alg = "ES256";
};

int proof_counter = 0;

std::string make_proof(const ProofSpec& s, const jose::KeyEntry& signer = holder_key(),
                       const nlohmann::json* jwk_override = nullptr) {
  nlohmann::json header = {{"typ", s.typ}, {"alg", s.alg}};
  header["jwk"] = jwk_override ? *jwk_override : signer.key.public_json();
  nlohmann::json claims = {{"htm", s.htm},
                           {"htu", s.htu},
                           {"iat", s.iat},
                           {"jti", s.jti.empty() ? "p-" + std::to_string(++proof_counter) : s.jti}};
  if (s.ath) claims["ath"] = *s.ath;
  if (s.nonce) claims["nonce"] = *s.nonce;
  const std::string input = base64url_encode(header.dump()) + "." + base64url_encode(claims.dump());
  auto sig = jose::sign_bytes(signer.key, jose::Alg::ES256, input);
  EXPECT_TRUE(sig);
  return input + "." + base64url_encode(*sig);
}

// The proof checks, without the store.
class DpopProofChecks : public ::testing::Test {
 protected:
  ProofSpec spec() {
    ProofSpec s;
    s.htu = kHtu;
    s.iat = clock_.now_ms() / 1000;
    return s;
  }
  OAuthResult<VerifiedDpopProof> verify(const std::string& proof,
                                        std::optional<std::string> access_token = std::nullopt) {
    return verify_dpop_proof(proof, {"POST", kHtu, std::move(access_token), std::nullopt}, clock_);
  }
  void expect_refused(const OAuthResult<VerifiedDpopProof>& r, const std::string& why) {
    ASSERT_FALSE(r) << "accepted";
    EXPECT_EQ(r.error().error, "invalid_dpop_proof");
    EXPECT_NE(r.error().description.find(why), std::string::npos) << r.error().description;
  }
  static constexpr const char* kHtu = "https://id.example/sandbox/oauth2/token";
  FakeClock clock_;
};

TEST_F(DpopProofChecks, AGoodProofYieldsTheKeyThumbprint) {
  auto r = verify(make_proof(spec()));
  ASSERT_TRUE(r) << r.error().description;
  EXPECT_EQ(r->jkt, holder_key().key.thumbprint());
  // RFC 9449 §4.3 item 9: query and fragment are ignored; scheme and host compare
  // case-insensitively, a default port is the same origin.
  auto s = spec();
  s.htu = "HTTPS://ID.example:443/sandbox/oauth2/token?x=1#f";
  EXPECT_TRUE(verify(make_proof(s)));
}

TEST_F(DpopProofChecks, HeaderChecks) {
  auto s = spec();
  s.typ = "JWT";
  expect_refused(verify(make_proof(s)), "typ");
  for (const char* alg : {"none", "HS256", "RS512"}) {
    s = spec();
    s.alg = alg;
    expect_refused(verify(make_proof(s)), "alg");
  }
  // A private key in the header.
  auto with_private = holder_key().key.private_json();
  expect_refused(verify(make_proof(spec(), holder_key(), &with_private)), "private");
  // Signed by another key than the one in the header.
  auto header_key = holder_key().key.public_json();
  expect_refused(verify(make_proof(spec(), other_key(), &header_key)), "signature");
  // An RSA-typed alg over an EC key.
  s = spec();
  s.alg = "RS256";
  expect_refused(verify(make_proof(s)), "does not fit");
  expect_refused(verify("a.b"), "compact");
  expect_refused(verify(std::string(9000, 'a')), "too large");
}

TEST_F(DpopProofChecks, MethodUrlAndTimeWindow) {
  auto s = spec();
  s.htm = "GET";
  expect_refused(verify(make_proof(s)), "htm");
  s = spec();
  s.htu = "https://id.example/sandbox/oauth2/userinfo";
  expect_refused(verify(make_proof(s)), "htu");
  s = spec();
  s.htu = "https://evil.example/sandbox/oauth2/token";
  expect_refused(verify(make_proof(s)), "htu");
  const int64_t now = clock_.now_ms() / 1000;
  s = spec();
  s.iat = now - kDpopProofMaxAge.count();  // the oldest accepted
  EXPECT_TRUE(verify(make_proof(s)));
  s.iat = now - kDpopProofMaxAge.count() - 1;
  expect_refused(verify(make_proof(s)), "too old");
  s.iat = now + kDpopProofSkew.count();  // the latest accepted
  EXPECT_TRUE(verify(make_proof(s)));
  s.iat = now + kDpopProofSkew.count() + 1;
  expect_refused(verify(make_proof(s)), "future");
  s = spec();
  s.jti = std::string(300, 'j');
  expect_refused(verify(make_proof(s)), "jti");
}

TEST_F(DpopProofChecks, AthBindsTheProofToTheAccessToken) {
  auto s = spec();
  expect_refused(verify(make_proof(s), "the-token"), "ath");
  s.ath = dpop_ath("another-token");
  expect_refused(verify(make_proof(s), "the-token"), "ath");
  s.ath = dpop_ath("the-token");
  EXPECT_TRUE(verify(make_proof(s), "the-token"));
  EXPECT_EQ(dpop_ath("the-token"), base64url_encode(sha256_bytes("the-token")));
}

TEST_F(DpopProofChecks, OneDpopHeaderOnly) {
  http::Request req;
  EXPECT_FALSE(dpop_header(req)->has_value());
  req.headers.push_back({"DPoP", "x"});
  EXPECT_EQ(**dpop_header(req), "x");
  req.headers.push_back({"dpop", "y"});
  EXPECT_FALSE(dpop_header(req));
}

TEST_F(DpopProofChecks, NoncesAreStatelessAndExpire) {
  tenancy::SecretHasher hasher("pepper");
  DpopNonces nonces(hasher, clock_);
  const auto n = nonces.current("env-1");
  EXPECT_TRUE(nonces.accepts("env-1", n));
  EXPECT_FALSE(nonces.accepts("env-2", n));
  EXPECT_FALSE(nonces.accepts("env-1", n + "x"));
  // Another node with the same pepper accepts it; the previous window still counts.
  DpopNonces other_node(hasher, clock_);
  EXPECT_TRUE(other_node.accepts("env-1", n));
  clock_.advance(std::chrono::minutes(5));
  EXPECT_TRUE(nonces.accepts("env-1", n));
  clock_.advance(std::chrono::minutes(5));
  EXPECT_FALSE(nonces.accepts("env-1", n));
}

// The endpoints.
class DpopEndpoints : public OAuthTest {
 protected:
  DpopEndpoints() {
    api_ = make_resource("https://api.example.test", {"invoices:read"});
    m2m_ = make_client({{"name", "m2m"}, {"grant_types", {"client_credentials"}}});
    rs_ = make_client({{"name", "rs"}, {"grant_types", {"client_credentials"}}});
    grant(m2m_, api_, {"invoices:read"});
    iss_ = signer_.issuer_url(env_, "");
  }
  std::string proof(const std::string& path, const std::string& htm = "POST",
                    std::optional<std::string> ath = std::nullopt,
                    std::optional<std::string> nonce = std::nullopt,
                    const jose::KeyEntry& key = holder_key()) {
    ProofSpec s;
    s.htm = htm;
    s.htu = iss_ + path;
    s.iat = clock_.now_ms() / 1000;
    s.ath = std::move(ath);
    s.nonce = std::move(nonce);
    return make_proof(s, key);
  }
  http::Response token_with(const Client& c, const std::string& b, const std::string& dpop) {
    auto req = form_request(b, c.secret.empty() ? "" : c.app.client_id, c.secret);
    if (!dpop.empty()) req.headers.push_back({"DPoP", dpop});
    return call_token(req);
  }
  http::Response userinfo(const std::string& scheme, const std::string& at,
                          const std::string& dpop) {
    http::Request req;
    req.method = "GET";
    req.headers.push_back({"Authorization", scheme + " " + at});
    if (!dpop.empty()) req.headers.push_back({"DPoP", dpop});
    return userinfo_endpoint(*provider_, env_, req);
  }
  store::Resource api_;
  Client m2m_, rs_;
  std::string iss_;
};

TEST_F(DpopEndpoints, ATokenIsBoundToTheProofKey) {
  auto res = token_with(m2m_, "grant_type=client_credentials", proof("/oauth2/token"));
  ASSERT_EQ(res.status, 200) << res.body;
  EXPECT_EQ(body(res)["token_type"], "DPoP");
  auto claims = claims_of(body(res)["access_token"]);
  EXPECT_EQ(claims["cnf"]["jkt"], holder_key().key.thumbprint());
  // Without a proof: a Bearer token without cnf.
  auto plain = token_with(m2m_, "grant_type=client_credentials", "");
  EXPECT_EQ(body(plain)["token_type"], "Bearer");
  EXPECT_FALSE(claims_of(body(plain)["access_token"]).contains("cnf"));
  // Introspection reports the binding (RFC 9449 §6.2).
  auto intro =
      introspection_endpoint(*provider_, env_,
                             form_request("token=" + body(res)["access_token"].get<std::string>(),
                                          rs_.app.client_id, rs_.secret));
  EXPECT_EQ(body(intro)["cnf"]["jkt"], holder_key().key.thumbprint());
}

TEST_F(DpopEndpoints, ReplayedOrMismatchedProofsAreRefused) {
  const auto p = proof("/oauth2/token");
  ASSERT_EQ(token_with(m2m_, "grant_type=client_credentials", p).status, 200);
  auto replay = token_with(m2m_, "grant_type=client_credentials", p);
  EXPECT_EQ(replay.status, 400);
  EXPECT_EQ(body(replay)["error"], "invalid_dpop_proof");
  EXPECT_NE(body(replay)["error_description"].get<std::string>().find("already used"),
            std::string::npos);
  auto wrong_htm = token_with(m2m_, "grant_type=client_credentials", proof("/oauth2/token", "GET"));
  EXPECT_EQ(body(wrong_htm)["error"], "invalid_dpop_proof");
  auto wrong_htu = token_with(m2m_, "grant_type=client_credentials", proof("/oauth2/userinfo"));
  EXPECT_EQ(body(wrong_htu)["error"], "invalid_dpop_proof");
  auto garbage = token_with(m2m_, "grant_type=client_credentials", "garbage");
  EXPECT_EQ(body(garbage)["error"], "invalid_dpop_proof");
}

TEST_F(DpopEndpoints, AnApplicationCanRequireDpopAndNonces) {
  auto strict = make_client({{"name", "strict"},
                             {"grant_types", {"client_credentials"}},
                             {"dpop_bound_access_tokens", true},
                             {"dpop_nonce_required", true}});
  grant(strict, api_, {"invoices:read"});
  EXPECT_TRUE(strict.app.dpop_bound_access_tokens);
  auto none = token_with(strict, "grant_type=client_credentials", "");
  EXPECT_EQ(body(none)["error"], "invalid_dpop_proof");
  // RFC 9449 §8: without the nonce, use_dpop_nonce and a DPoP-Nonce to use.
  auto first = token_with(strict, "grant_type=client_credentials", proof("/oauth2/token"));
  EXPECT_EQ(first.status, 400);
  EXPECT_EQ(body(first)["error"], "use_dpop_nonce");
  const auto nonce = header(first, "DPoP-Nonce");
  ASSERT_FALSE(nonce.empty());
  auto wrong = token_with(strict, "grant_type=client_credentials",
                          proof("/oauth2/token", "POST", std::nullopt, nonce + "0"));
  EXPECT_EQ(body(wrong)["error"], "use_dpop_nonce");
  auto ok = token_with(strict, "grant_type=client_credentials",
                       proof("/oauth2/token", "POST", std::nullopt, nonce));
  EXPECT_EQ(ok.status, 200) << ok.body;
  EXPECT_EQ(body(ok)["token_type"], "DPoP");
}

TEST_F(DpopEndpoints, PublicClientRefreshTokensAndUserInfo) {
  auto spa = make_client({{"name", "spa"}, {"type", "public"}, {"redirect_uris", {kRedirect}}});
  auto code = put_code(spa, "user-alice",
                       {{"scope", "openid email offline_access"},
                        {"code_challenge", kChallenge},
                        {"code_challenge_method", "S256"}},
                       acme_.id);
  auto res =
      token_with(spa,
                 "grant_type=authorization_code&client_id=" + spa.app.client_id + "&code=" + code +
                     "&redirect_uri=" + percent_encode(kRedirect) + "&code_verifier=" + kVerifier,
                 proof("/oauth2/token"));
  ASSERT_EQ(res.status, 200) << res.body;
  EXPECT_EQ(body(res)["token_type"], "DPoP");
  const std::string at = body(res)["access_token"];
  const std::string rt = body(res)["refresh_token"];
  ASSERT_FALSE(rt.empty());

  // UserInfo: the DPoP scheme with a proof for this request and token.
  EXPECT_EQ(userinfo("DPoP", at, proof("/oauth2/userinfo", "GET", dpop_ath(at))).status, 200);
  auto as_bearer = userinfo("Bearer", at, "");
  EXPECT_EQ(as_bearer.status, 401);
  EXPECT_NE(header(as_bearer, "WWW-Authenticate").find("DPoP"), std::string::npos);
  EXPECT_EQ(userinfo("DPoP", at, "").status, 401);
  EXPECT_EQ(userinfo("DPoP", at, proof("/oauth2/userinfo", "GET")).status, 401);  // no ath
  EXPECT_EQ(userinfo("DPoP", at, proof("/oauth2/userinfo", "GET", dpop_ath("x"))).status, 401);
  EXPECT_EQ(userinfo("DPoP", at, proof("/oauth2/userinfo", "POST", dpop_ath(at))).status, 401);
  EXPECT_EQ(userinfo("DPoP", at, proof("/oauth2/token", "GET", dpop_ath(at))).status, 401);
  EXPECT_EQ(userinfo("DPoP", at,
                     proof("/oauth2/userinfo", "GET", dpop_ath(at), std::nullopt, other_key()))
                .status,
            401);
  const auto once = proof("/oauth2/userinfo", "GET", dpop_ath(at));
  EXPECT_EQ(userinfo("DPoP", at, once).status, 200);
  EXPECT_EQ(userinfo("DPoP", at, once).status, 401);  // replayed

  // The refresh token is bound to the key: no proof, or another key's, fails.
  const std::string refresh_body =
      "grant_type=refresh_token&client_id=" + spa.app.client_id + "&refresh_token=" + rt;
  auto unbound = token_with(spa, refresh_body, "");
  EXPECT_EQ(body(unbound)["error"], "invalid_grant");
  auto other = token_with(spa, refresh_body,
                          proof("/oauth2/token", "POST", std::nullopt, std::nullopt, other_key()));
  EXPECT_EQ(body(other)["error"], "invalid_grant");
  auto same = token_with(spa, refresh_body, proof("/oauth2/token"));
  ASSERT_EQ(same.status, 200) << same.body;
  EXPECT_EQ(claims_of(body(same)["access_token"])["cnf"]["jkt"], holder_key().key.thumbprint());
}

}  // namespace
}  // namespace gh::oauth::testing
