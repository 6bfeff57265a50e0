#include <gtest/gtest.h>
#include <openssl/evp.h>

#include "core/encoding.h"
#include "crypto/error_codes.h"
#include "crypto/jose/jwk.h"
#include "crypto/jose/key_set.h"
#include "test_keys.h"

namespace gh::jose {
namespace {

using testing::key_for;

const char* kPrivateMembers[] = {"d", "p", "q", "dp", "dq", "qi", "oth", "k"};

TEST(Jwk, Rfc7638ThumbprintExample) {
  // RFC 7638 §3.1.
  nlohmann::json jwk = {
      {"kty", "RSA"},
      {"n",
       "0vx7agoebGcQSuuPiLJXZptN9nndrQmbXEps2aiAFbWhM78LhWx4cbbfAAtVT86zwu1RK7aPFFxuhDR1L6tSoc_"
       "BJECPebWKRXjBZCiFV4n3oknjhMstn64tZ_2W-5JsGY4Hc5n9yBXArwl93lqt7_RN5w6Cf0h4QyQ5v-65YGjQR0_"
       "FDW2QvzqY368QQMicAtaSqzs8KJZgnYb9c7d0zgdAZHzu6qMQvRL5hajrn1n91CbOpbISD08qNLyrdkt-"
       "bFTWhAI4vMQFh6WeZu0fM4lFd2NcRwr3XPksINHaQ-G_xBniIqbw0Ls1jF44-csFCur-kEgU8awapJzKnqDKgw"},
      {"e", "AQAB"},
      {"alg", "RS256"},
      {"kid", "2011-04-29"}};
  auto key = Jwk::from_json(jwk);
  ASSERT_TRUE(key) << key.error().detail;
  EXPECT_EQ(key->thumbprint(), "NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs");
}

class JwkRoundTrip : public ::testing::TestWithParam<testing::SigCase> {};

TEST_P(JwkRoundTrip, PrivateAndPublicExportImport) {
  const auto& entry = key_for(GetParam().spec, GetParam().alg);
  ASSERT_TRUE(entry.key.has_private());
  const auto priv = entry.key.private_json();
  const auto pub = entry.key.public_json();
  EXPECT_TRUE(priv.contains("d"));
  for (const char* m : kPrivateMembers) EXPECT_FALSE(pub.contains(m)) << m;

  auto again = Jwk::from_json(priv);
  ASSERT_TRUE(again) << again.error().detail;
  EXPECT_TRUE(again->has_private());
  EXPECT_EQ(again->private_json(), priv);
  EXPECT_EQ(again->thumbprint(), entry.key.thumbprint());

  auto pub_key = Jwk::from_json(pub);
  ASSERT_TRUE(pub_key);
  EXPECT_FALSE(pub_key->has_private());
  EXPECT_EQ(pub_key->private_json(), pub);  // nothing private to export
  EXPECT_EQ(pub_key->thumbprint(), entry.kid);

  auto only = entry.key.public_only();
  ASSERT_TRUE(only);
  EXPECT_FALSE(only->has_private());
}

INSTANTIATE_TEST_SUITE_P(Keys, JwkRoundTrip, ::testing::ValuesIn(testing::sig_cases()),
                         [](const auto& info) { return std::string(info.param.name); });

TEST(Jwk, RefusesSymmetricWeakAndMalformedKeys) {
  EXPECT_EQ(Jwk::from_json({{"kty", "oct"}, {"k", "c2VjcmV0"}}).error().code, errc::JoseJwkInvalid);
  EXPECT_EQ(Jwk::from_json(nlohmann::json::array()).error().code, errc::JoseJwkInvalid);
  EXPECT_FALSE(Jwk::from_json({{"kty", "RSA"}, {"e", "AQAB"}}));

  // RSA 1024 is refused.
  EVP_PKEY* small = EVP_PKEY_Q_keygen(nullptr, nullptr, "RSA", size_t{1024});
  ASSERT_NE(small, nullptr);
  auto jwk = Jwk::from_pkey(small, true);
  EXPECT_FALSE(jwk);

  // EC: wrong curve name, short coordinate, point not on the curve.
  auto ec = key_for(KeySpec::EcP256, Alg::ES256).key.public_json();
  auto bad = ec;
  bad["crv"] = "P-384";
  EXPECT_FALSE(Jwk::from_json(bad));
  bad = ec;
  bad["x"] = base64url_encode(std::string(31, '\x01'));
  EXPECT_FALSE(Jwk::from_json(bad));
  bad = ec;
  std::string y = *base64url_decode(ec["y"].get<std::string>());
  y[31] ^= 1;
  bad["y"] = base64url_encode(y);
  EXPECT_FALSE(Jwk::from_json(bad));

  // RSA private JWK missing CRT members; OKP whose x does not match d.
  auto rsa = key_for(KeySpec::Rsa2048, Alg::RS256).key.private_json();
  rsa.erase("qi");
  EXPECT_FALSE(Jwk::from_json(rsa));
  auto ed = key_for(KeySpec::Ed25519, Alg::EdDSA).key.private_json();
  ed["x"] = base64url_encode(std::string(32, '\x02'));
  EXPECT_FALSE(Jwk::from_json(ed));
}

TEST(KeySet, PublicJwksPublishesNextActiveRetiredButNeverRevokedOrPrivate) {
  auto next = *KeySet::generate(KeySpec::EcP256, Alg::ES256, KeyState::Next);
  auto retired = *KeySet::generate(KeySpec::Ed25519, Alg::EdDSA, KeyState::Retired);
  auto revoked = *KeySet::generate(KeySpec::EcP256, Alg::ES256, KeyState::Revoked);
  KeySet set = testing::set_of({key_for(KeySpec::Rsa2048, Alg::RS256), next, retired, revoked});
  auto jwks = set.public_jwks();
  ASSERT_EQ(jwks["keys"].size(), 3u);
  for (const auto& k : jwks["keys"]) {
    EXPECT_NE(k["kid"], revoked.kid);
    EXPECT_TRUE(k.contains("alg"));
    EXPECT_EQ(k["use"], "sig");
    for (const char* m : kPrivateMembers) EXPECT_FALSE(k.contains(m)) << m;
  }
  // A peer's view of our JWKS parses back into a verifying key set.
  auto peer = KeySet::from_jwks(jwks);
  ASSERT_TRUE(peer) << peer.error().detail;
  EXPECT_EQ(peer->size(), 3u);
  EXPECT_EQ(peer->find(next.kid)->alg, Alg::ES256);
}

TEST(KeySet, RefusesWrongKeyTypeDuplicateKidAndUseMismatch) {
  KeySet set;
  auto ec = key_for(KeySpec::EcP256, Alg::ES256);
  KeyEntry wrong{"k1", Alg::RS256, KeyUse::Sig, KeyState::Active, ec.key};
  EXPECT_EQ(set.add(wrong).error().code, errc::JoseKeyTypeMismatch);
  KeyEntry ed_as_ec{"k2", Alg::ES256, KeyUse::Sig, KeyState::Active,
                    key_for(KeySpec::Ed25519, Alg::EdDSA).key};
  EXPECT_EQ(set.add(ed_as_ec).error().code, errc::JoseKeyTypeMismatch);
  KeyEntry enc_as_sig{"k3", Alg::RsaOaep256, KeyUse::Sig, KeyState::Active,
                      key_for(KeySpec::Rsa2048, Alg::RS256).key};
  EXPECT_FALSE(set.add(enc_as_sig));
  ASSERT_TRUE(set.add(ec));
  EXPECT_FALSE(set.add(ec));  // duplicate kid
}

TEST(KeySet, RecordsRoundTripForTheStore) {
  auto revoked = *KeySet::generate(KeySpec::Ed25519, Alg::EdDSA, KeyState::Revoked);
  KeySet set = testing::set_of(
      {key_for(KeySpec::Rsa2048, Alg::PS256), revoked, key_for(KeySpec::Rsa2048, Alg::RsaOaep256)});
  auto records = set.to_records();
  ASSERT_EQ(records.size(), 3u);
  EXPECT_EQ(records[1].state, "revoked");
  EXPECT_EQ(records[2].use, "enc");
  auto back = KeySet::from_records(records);
  ASSERT_TRUE(back) << back.error().detail;
  EXPECT_EQ(back->find(revoked.kid)->state, KeyState::Revoked);
  EXPECT_TRUE(back->find(revoked.kid)->key.has_private());
  EXPECT_EQ(back->public_jwks()["keys"].size(), 2u);
}

TEST(KeySet, FromJwksSkipsKeysForAlgorithmsWeNeverAccept) {
  auto pub = key_for(KeySpec::Rsa2048, Alg::RS256).key.public_json();
  nlohmann::json hs = {{"kty", "oct"}, {"k", "c2VjcmV0"}, {"kid", "h"}, {"alg", "HS256"}};
  pub["kid"] = "r";
  pub["alg"] = "RS256";
  auto set = KeySet::from_jwks({{"keys", {pub}}});
  ASSERT_TRUE(set);
  EXPECT_EQ(set->size(), 1u);
  // An oct key is refused outright, whatever its alg says.
  EXPECT_FALSE(KeySet::from_jwks({{"keys", {pub, hs}}}));
  nlohmann::json no_kid = key_for(KeySpec::EcP256, Alg::ES256).key.public_json();
  EXPECT_FALSE(KeySet::from_jwks({{"keys", {no_kid}}}));
}

}  // namespace
}  // namespace gh::jose
