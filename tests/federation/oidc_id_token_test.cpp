// The OIDC connection's pure checks with an injected clock: ID token validation (signature and
// alg allow-list, none and HS256-with-the-public-key, kid, iss, aud/azp, exp/iat at the edge
// of the skew, nonce, max_age), tenant-templated issuers, the signed state, PKCE, acr mapping
// and the JWKS parsing of a peer's key set.
#include <gtest/gtest.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <optional>

#include "core/encoding.h"
#include "crypto/jose/jwt.h"
#include "federation/error_codes.h"
#include "federation/oidc/error_codes.h"
#include "federation/oidc/id_token.h"
#include "federation/oidc/oidc_connection.h"
#include "federation/oidc/provider_metadata.h"
#include "tenancy/secrets.h"

namespace gh::federation::oidc {
namespace {

constexpr const char* kIssuer = "https://idp.example.com";
constexpr const char* kClient = "gatehouse-client";
constexpr const char* kNonce = "n-0S6_WzA2Mj";

class IdTokenTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto k = jose::KeySet::generate(jose::KeySpec::Rsa2048, jose::Alg::RS256);
    ASSERT_TRUE(k);
    key = *k;
    auto other = jose::KeySet::generate(jose::KeySpec::Rsa2048, jose::Alg::RS256);
    ASSERT_TRUE(other);
    foreign = *other;
    // The verifier sees the IdP's public JWKS, as fetched.
    jose::KeySet full;
    ASSERT_TRUE(full.add(*key));
    auto pub = key_set_from_jwks(full.public_jwks());
    ASSERT_TRUE(pub);
    keys = *pub;
    expect.issuer = kIssuer;
    expect.client_id = kClient;
    expect.nonce = kNonce;
    expect.allowed_algs = {jose::Alg::RS256};
  }
  int64_t now_s() const { return clock.now_ms() / 1000; }
  nlohmann::json claims() const {
    return {{"iss", kIssuer},       {"sub", "248289761001"}, {"aud", kClient},
            {"nonce", kNonce},      {"iat", now_s()},        {"exp", now_s() + 300},
            {"acr", "phr"},         {"amr", {"pwd", "hwk"}}, {"auth_time", now_s() - 10},
            {"email", "j@acme.com"}};
  }
  std::string sign(const nlohmann::json& c, const jose::KeyEntry* with = nullptr) {
    auto t = jose::jwt_sign(with ? *with : *key, c);
    EXPECT_TRUE(t);
    return *t;
  }
  Result<IdTokenClaims> verify(const std::string& token) {
    return verify_id_token(token, *keys, clock, expect);
  }
  void expect_code(const std::string& token, ErrorCode code) {
    auto r = verify(token);
    ASSERT_FALSE(r) << "accepted";
    EXPECT_EQ(r.error().code, code) << r.error().code_name() << " " << r.error().detail;
  }

  FakeClock clock;
  std::optional<jose::KeyEntry> key, foreign;
  std::shared_ptr<const jose::KeySet> keys;
  IdTokenExpectations expect;
};

TEST_F(IdTokenTest, AcceptsAValidTokenAndReadsItsClaims) {
  auto r = verify(sign(claims()));
  ASSERT_TRUE(r) << r.error().detail;
  EXPECT_EQ(r->sub, "248289761001");
  EXPECT_EQ(r->iss, kIssuer);
  EXPECT_EQ(r->acr, "phr");
  EXPECT_EQ(r->amr, (std::vector<std::string>{"pwd", "hwk"}));
  EXPECT_EQ(r->kid, key->kid);
  EXPECT_EQ(r->alg, "RS256");
  EXPECT_EQ(r->all["email"], "j@acme.com");
}

TEST_F(IdTokenTest, RefusesAnotherKeyAndAnUnknownKid) {
  auto c = claims();
  // Signed by a key the IdP does not publish, under the published kid: bad signature.
  jose::KeyEntry impostor = *foreign;
  impostor.kid = key->kid;
  expect_code(sign(c, &impostor), errc::OidcSignatureInvalid);
  // A kid the JWKS lacks.
  expect_code(sign(c, &*foreign), errc::OidcKeyNotFound);
  EXPECT_EQ(peek_kid(sign(c, &*foreign)), foreign->kid);
}

std::string b64(const nlohmann::json& j) { return base64url_encode(j.dump()); }

TEST_F(IdTokenTest, RefusesAlgNoneAndHs256WithThePublicKey) {
  const auto c = claims();
  expect_code(b64({{"alg", "none"}, {"kid", key->kid}}) + "." + b64(c) + ".",
              errc::OidcSignatureInvalid);
  expect_code(b64({{"alg", "none"}}) + "." + b64(c) + ".", errc::OidcSignatureInvalid);
  // The classic confusion: HMAC keyed with the IdP's public key (its JWK and its PEM-ish bytes).
  const std::string input =
      b64({{"alg", "HS256"}, {"kid", key->kid}, {"typ", "JWT"}}) + "." + b64(c);
  for (const std::string& secret :
       {key->key.public_json().dump(), key->key.public_json()["n"].get<std::string>()}) {
    unsigned char mac[EVP_MAX_MD_SIZE];
    unsigned int len = 0;
    HMAC(EVP_sha256(), secret.data(), static_cast<int>(secret.size()),
         reinterpret_cast<const unsigned char*>(input.data()), input.size(), mac, &len);
    expect_code(input + "." + base64url_encode(std::string(reinterpret_cast<char*>(mac), len)),
                errc::OidcSignatureInvalid);
  }
}

TEST_F(IdTokenTest, RefusesAnAlgTheIdpDoesNotAdvertise) {
  auto es = jose::KeySet::generate(jose::KeySpec::EcP256, jose::Alg::ES256);
  ASSERT_TRUE(es);
  jose::KeySet both;
  ASSERT_TRUE(both.add(*key));
  ASSERT_TRUE(both.add(*es));
  keys = *key_set_from_jwks(both.public_jwks());
  expect.allowed_algs = {jose::Alg::RS256};
  expect_code(sign(claims(), &*es), errc::OidcSignatureInvalid);
  expect.allowed_algs = {jose::Alg::RS256, jose::Alg::ES256};
  EXPECT_TRUE(verify(sign(claims(), &*es)));
}

TEST_F(IdTokenTest, IssuerIsExact) {
  for (const char* iss : {"https://idp.example.com/", "https://IDP.example.com",
                          "https://idp.example.com.evil", "https://evil.example"}) {
    auto c = claims();
    c["iss"] = iss;
    expect_code(sign(c), errc::OidcIssuerMismatch);
  }
}

TEST_F(IdTokenTest, AudienceAndAzp) {
  auto c = claims();
  c["aud"] = "another-client";
  expect_code(sign(c), errc::OidcAudienceMismatch);
  c["aud"] = nlohmann::json::array({kClient, "another"});
  expect_code(sign(c), errc::OidcAudienceMismatch);  // several audiences, no azp
  c["azp"] = "another";
  expect_code(sign(c), errc::OidcAudienceMismatch);
  c["azp"] = kClient;
  EXPECT_TRUE(verify(sign(c)));
  c["aud"] = kClient;
  c["azp"] = "another";
  expect_code(sign(c), errc::OidcAudienceMismatch);
}

TEST_F(IdTokenTest, NonceMustBeThisLogins) {
  auto c = claims();
  c.erase("nonce");
  expect_code(sign(c), errc::OidcNonceMismatch);
  c["nonce"] = "another-login";
  expect_code(sign(c), errc::OidcNonceMismatch);
  expect.nonce = "";
  c["nonce"] = "";
  expect_code(sign(c), errc::OidcNonceMismatch);
}

TEST_F(IdTokenTest, ExpiryAndIssueTimeAtTheEdgesOfTheSkew) {
  auto c = claims();
  const int64_t skew = expect.skew.count();
  c["exp"] = now_s() - skew + 1;  // expired, but within the skew
  EXPECT_TRUE(verify(sign(c)));
  c["exp"] = now_s() - skew;
  expect_code(sign(c), errc::OidcTokenExpired);
  c = claims();
  c["iat"] = now_s() + skew;  // issued "in the future" by the skew: accepted
  EXPECT_TRUE(verify(sign(c)));
  c["iat"] = now_s() + skew + 1;
  expect_code(sign(c), errc::OidcTokenExpired);
  c = claims();
  c.erase("exp");
  expect_code(sign(c), errc::OidcIdTokenInvalid);  // OIDC Core §2: exp is required
  c = claims();
  c.erase("iat");
  expect_code(sign(c), errc::OidcIdTokenInvalid);
  // The same token, later: expired by the injected clock.
  const std::string t = sign(claims());
  EXPECT_TRUE(verify(t));
  clock.advance(std::chrono::seconds(300 + skew));
  expect_code(t, errc::OidcTokenExpired);
}

TEST_F(IdTokenTest, MaxAgeNeedsAFreshAuthTime) {
  expect.max_age_s = 60;
  auto c = claims();
  EXPECT_TRUE(verify(sign(c)));
  c["auth_time"] = now_s() - 60 - expect.skew.count() - 1;
  expect_code(sign(c), errc::OidcAuthTooOld);
  c.erase("auth_time");
  expect_code(sign(c), errc::OidcAuthTooOld);
}

TEST_F(IdTokenTest, MalformedTokens) {
  expect_code("", errc::OidcIdTokenInvalid);
  expect_code("a.b", errc::OidcIdTokenInvalid);
  expect_code("a.b.c.d.e", errc::OidcIdTokenInvalid);
  auto c = claims();
  c["sub"] = "";
  expect_code(sign(c), errc::OidcIdTokenInvalid);
}

TEST(OidcIssuer, TenantTemplatedIssuersArePinned) {
  const std::string entra = "https://login.microsoftonline.com/{tenantid}/v2.0";
  EXPECT_TRUE(is_templated_issuer(entra));
  EXPECT_FALSE(is_templated_issuer("https://login.microsoftonline.com/abc/v2.0"));
  EXPECT_EQ(pin_issuer(entra, "9188040d-6c67-4c5b-b112-36a304b66dad"),
            "https://login.microsoftonline.com/9188040d-6c67-4c5b-b112-36a304b66dad/v2.0");
}

TEST(OidcUrls, HttpsOrLoopbackOnly) {
  EXPECT_TRUE(is_allowed_idp_url("https://idp.example.com/.well-known/openid-configuration"));
  EXPECT_TRUE(is_allowed_idp_url("http://127.0.0.1:4000/x"));
  EXPECT_TRUE(is_allowed_idp_url("http://localhost:4000"));
  EXPECT_FALSE(is_allowed_idp_url("http://idp.example.com/"));
  EXPECT_FALSE(is_allowed_idp_url("http://localhost.evil.example/"));
  EXPECT_FALSE(is_allowed_idp_url("http://127.0.0.1.nip.io/"));
  EXPECT_FALSE(is_allowed_idp_url("file:///etc/passwd"));
  EXPECT_FALSE(is_allowed_idp_url("https://"));
}

TEST(OidcMetadata, ParsesDiscoveryAndDefaults) {
  nlohmann::json doc = {{"issuer", kIssuer},
                        {"authorization_endpoint", "https://idp.example.com/auth"},
                        {"token_endpoint", "https://idp.example.com/token"},
                        {"jwks_uri", "https://idp.example.com/jwks"},
                        {"authorization_response_iss_parameter_supported", true}};
  auto m = ProviderMetadata::from_json(doc, "settings.discovery_url");
  ASSERT_TRUE(m);
  EXPECT_EQ(m->id_token_signing_alg_values_supported, (std::vector<std::string>{"RS256"}));
  EXPECT_TRUE(m->authorization_response_iss_parameter_supported);
  EXPECT_FALSE(m->claims_parameter_supported);
  doc["token_endpoint"] = "http://idp.example.com/token";
  auto bad = ProviderMetadata::from_json(doc, "settings.discovery_url");
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().code, errc::ConnectionInvalid);
  EXPECT_EQ(bad.error().extra["field"], "settings.discovery_url");
}

TEST(OidcJwks, SkipsUnusableKeysAndDefaultsTheAlg) {
  auto rsa = jose::KeySet::generate(jose::KeySpec::Rsa2048, jose::Alg::RS256);
  ASSERT_TRUE(rsa);
  nlohmann::json k = rsa->key.public_json();
  k["kid"] = "r1";
  nlohmann::json jwks = {
      {"keys",
       {k,
        {{"kty", "oct"}, {"k", "c2VjcmV0"}, {"kid", "h1"}},
        nlohmann::json::object(
            {{"kty", "RSA"}, {"kid", "enc"}, {"use", "enc"}, {"n", k["n"]}, {"e", k["e"]}}),
        nlohmann::json::object(
            {{"kty", "RSA"}, {"kid", "hs"}, {"alg", "HS256"}, {"n", k["n"]}, {"e", k["e"]}})}}};
  auto set = key_set_from_jwks(jwks);
  ASSERT_TRUE(set);
  ASSERT_EQ((*set)->size(), 1u);
  EXPECT_EQ((*set)->find("r1")->alg, jose::Alg::RS256);
  EXPECT_FALSE(key_set_from_jwks(nlohmann::json::object()));
}

TEST(OidcState, SignedBoundAndExpiring) {
  FakeClock clock;
  SeededRandom random(7);
  tenancy::SecretHasher key("pepper"), other("another pepper");
  ConnectionDeps deps{clock, random, key, nullptr, "https://gh.example"};
  ConnectionDeps foreign{clock, random, other, nullptr, "https://gh.example"};
  StateClaims c{"org", "conn", "tx", "st", {"urn:acr:mfa"}, true, 300, clock.now_ms() + 1000};
  const std::string s = sign_state(deps, c);
  auto back = verify_state(deps, s);
  ASSERT_TRUE(back);
  EXPECT_EQ(back->transaction_id, "tx");
  EXPECT_EQ(back->acr_values, (std::vector<std::string>{"urn:acr:mfa"}));
  EXPECT_TRUE(back->acr_essential);
  EXPECT_EQ(back->max_age_s, 300);
  EXPECT_EQ(verify_state(foreign, s).error().code, errc::LoginStateInvalid);
  std::string altered = s;
  altered[3] = altered[3] == 'A' ? 'B' : 'A';
  EXPECT_EQ(verify_state(deps, altered).error().code, errc::LoginStateInvalid);
  EXPECT_EQ(verify_state(deps, "").error().code, errc::LoginStateInvalid);
  clock.advance(std::chrono::milliseconds(1000));
  EXPECT_EQ(verify_state(deps, s).error().code, errc::LoginStateInvalid);
}

TEST(OidcPkce, S256AndAVerifierPerTransaction) {
  // Computed independently (Python hashlib + base64.urlsafe_b64encode).
  EXPECT_EQ(pkce_challenge("dBjftJeZ4CVP-mJ92K9gLEdqCsOySmlDw3NkZQqsCKA"),
            "Utuha1HU2FG0_Ee8_WPR87gOdXhgNaPeMSH2-_i0r4Q");
  FakeClock clock;
  SeededRandom random(7);
  tenancy::SecretHasher key("pepper");
  ConnectionDeps deps{clock, random, key, nullptr, ""};
  store::LoginTransaction a, b;
  a.id = "tx-a";
  a.state = "s";
  b.id = "tx-b";
  b.state = "s";
  const auto va = pkce_verifier(deps, a);
  EXPECT_GE(va.size(), 43u);
  EXPECT_LE(va.size(), 128u);
  EXPECT_EQ(va, pkce_verifier(deps, a));
  EXPECT_NE(va, pkce_verifier(deps, b));
}

TEST(OidcAcr, MappingBothWays) {
  nlohmann::json mapping = {{"urn:okta:loa:1fa:pwd", "urn:gh:password"},
                            {"urn:okta:loa:2fa:any", "urn:gh:mfa"},
                            {"phr", "urn:gh:mfa"}};
  EXPECT_EQ(upstream_acr_values(mapping, {"urn:gh:mfa"}),
            (std::vector<std::string>{"phr", "urn:okta:loa:2fa:any"}));
  EXPECT_TRUE(upstream_acr_values(mapping, {"urn:gh:unknown"}).empty());
  EXPECT_EQ(upstream_acr_values(nlohmann::json::object(), {"x"}), (std::vector<std::string>{"x"}));
  EXPECT_EQ(gatehouse_acr(mapping, "phr"), "urn:gh:mfa");
  EXPECT_EQ(gatehouse_acr(mapping, "urn:unmapped"), "");
  EXPECT_EQ(gatehouse_acr(nlohmann::json::object(), "as-is"), "as-is");
  EXPECT_EQ(gatehouse_acr(mapping, ""), "");
}

TEST(OidcPresets, KnownNames) {
  for (const char* p : {"okta", "entra_id", "google_workspace", "auth0", "keycloak"}) {
    EXPECT_FALSE(preset_claims(p).empty()) << p;
  }
  EXPECT_TRUE(preset_claims("nope").empty());
  EXPECT_EQ(preset_claims("entra_id")["username"], "preferred_username");
}

}  // namespace
}  // namespace gh::federation::oidc
