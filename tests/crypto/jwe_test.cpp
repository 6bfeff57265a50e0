// JWE: RSA-OAEP-256 and ECDH-ES+A256KW with A256GCM; every tampering is jose.decrypt_failed.
#include <gtest/gtest.h>

#include "core/encoding.h"
#include "crypto/error_codes.h"
#include "crypto/jose/jwe.h"
#include "crypto/jose/jws.h"
#include "test_keys.h"

namespace gh::jose {
namespace {

using testing::key_for;

struct EncCase {
  const char* name;
  KeySpec spec;
  Alg alg;
};

class JweAlgorithms : public ::testing::TestWithParam<EncCase> {};

std::vector<std::string> split(const std::string& s) {
  std::vector<std::string> parts;
  size_t start = 0;
  for (size_t dot; (dot = s.find('.', start)) != std::string::npos; start = dot + 1) {
    parts.push_back(s.substr(start, dot - start));
  }
  parts.push_back(s.substr(start));
  return parts;
}

std::string join(const std::vector<std::string>& parts) {
  std::string out;
  for (size_t i = 0; i < parts.size(); ++i) out += (i ? "." : "") + parts[i];
  return out;
}

std::string flip(const std::string& b64, size_t at = 0) {
  std::string raw = *base64url_decode(b64);
  raw[at % raw.size()] ^= 0x01;
  return base64url_encode(raw);
}

ErrorCode code_of(const Result<DecryptedJwe>& r) {
  EXPECT_FALSE(r) << "expected a failure";
  return r ? errc::ServerInternal : r.error().code;
}

TEST_P(JweAlgorithms, RoundTripAndEveryTamperingFailsUniformly) {
  const auto& key = key_for(GetParam().spec, GetParam().alg);
  KeySet set = testing::set_of({key});
  auto recipient_public = key;
  recipient_public.key = *key.key.public_only();
  const std::string plaintext = "eyJhbGciOi.nested.token \xF0\x9F\x94\x90";
  auto jwe = jwe_encrypt(recipient_public, plaintext, SecureRandom::instance(), {.cty = "JWT"});
  ASSERT_TRUE(jwe) << jwe.error().detail;
  auto out = jwe_decrypt(*jwe, set, SecureRandom::instance());
  ASSERT_TRUE(out) << out.error().detail;
  EXPECT_EQ(out->plaintext, plaintext);
  EXPECT_EQ(out->header.cty, "JWT");
  EXPECT_EQ(out->kid, key.kid);

  auto parts = split(*jwe);
  ASSERT_EQ(parts.size(), 5u);
  for (size_t part : {1, 2, 3, 4}) {  // encrypted key, iv, ciphertext, tag
    auto bad = parts;
    bad[part] = flip(bad[part], 3);
    EXPECT_EQ(code_of(jwe_decrypt(join(bad), set, SecureRandom::instance())),
              errc::JoseDecryptFailed)
        << "part " << part;
  }
  // The header is the AAD: a changed (still valid) header fails the tag.
  nlohmann::json h = nlohmann::json::parse(*base64url_decode(parts[0]));
  h["cty"] = "json";
  auto bad = parts;
  bad[0] = base64url_encode(h.dump());
  EXPECT_EQ(code_of(jwe_decrypt(join(bad), set, SecureRandom::instance())),
            errc::JoseDecryptFailed);
  // A wrong (random) tag of the right size.
  bad = parts;
  bad[4] = base64url_encode(SecureRandom::instance().bytes(16));
  EXPECT_EQ(code_of(jwe_decrypt(join(bad), set, SecureRandom::instance())),
            errc::JoseDecryptFailed);
  // A truncated tag is malformed.
  bad = parts;
  bad[4] = base64url_encode(std::string(8, 'x'));
  EXPECT_EQ(code_of(jwe_decrypt(join(bad), set, SecureRandom::instance())), errc::JoseMalformed);

  // Revoked recipient key.
  auto revoked = set.with_state(key.kid, KeyState::Revoked);
  EXPECT_EQ(code_of(jwe_decrypt(*jwe, *revoked, SecureRandom::instance())), errc::JoseKeyRevoked);
}

INSTANTIATE_TEST_SUITE_P(
    Algs, JweAlgorithms,
    ::testing::Values(EncCase{"RSA_OAEP_256", KeySpec::Rsa2048, Alg::RsaOaep256},
                      EncCase{"RSA_OAEP_256_3072", KeySpec::Rsa3072, Alg::RsaOaep256},
                      EncCase{"ECDH_ES_A256KW", KeySpec::EcP256, Alg::EcdhEsA256kw}),
    [](const auto& info) { return std::string(info.param.name); });

std::string with_header(const std::string& jwe, const std::function<void(nlohmann::json&)>& f) {
  auto parts = split(jwe);
  nlohmann::json h = nlohmann::json::parse(*base64url_decode(parts[0]));
  f(h);
  parts[0] = base64url_encode(h.dump());
  return join(parts);
}

TEST(JweNegative, HeaderRules) {
  const auto& rsa = key_for(KeySpec::Rsa2048, Alg::RsaOaep256);
  const auto& ec = key_for(KeySpec::EcP256, Alg::EcdhEsA256kw);
  KeySet set = testing::set_of({rsa, ec});
  auto& rnd = SecureRandom::instance();
  auto jwe = *jwe_encrypt(rsa, "x", rnd);
  auto ecjwe = *jwe_encrypt(ec, "x", rnd);
  EXPECT_EQ(code_of(jwe_decrypt(with_header(jwe, [](nlohmann::json& h) { h["alg"] = "none"; }), set,
                                rnd)),
            errc::JoseAlgNotAllowed);
  EXPECT_EQ(code_of(jwe_decrypt(with_header(jwe, [](nlohmann::json& h) { h["alg"] = "RSA1_5"; }),
                                set, rnd)),
            errc::JoseAlgNotAllowed);
  EXPECT_EQ(code_of(jwe_decrypt(
                with_header(jwe, [](nlohmann::json& h) { h["enc"] = "A128CBC-HS256"; }), set, rnd)),
            errc::JoseAlgNotAllowed);
  EXPECT_EQ(
      code_of(jwe_decrypt(with_header(jwe, [](nlohmann::json& h) { h["zip"] = "DEF"; }), set, rnd)),
      errc::JoseMalformed);
  EXPECT_EQ(code_of(jwe_decrypt(with_header(jwe, [](nlohmann::json& h) { h["kid"] = "nope"; }), set,
                                rnd)),
            errc::JoseKeyNotFound);
  EXPECT_EQ(code_of(jwe_decrypt(with_header(jwe, [&](nlohmann::json& h) { h["kid"] = ec.kid; }),
                                set, rnd)),
            errc::JoseAlgNotAllowed);
  EXPECT_EQ(code_of(jwe_decrypt(
                with_header(jwe, [&](nlohmann::json& h) { h["jwk"] = rsa.key.public_json(); }), set,
                rnd)),
            errc::JoseHeaderForbidden);
  // ECDH-ES: a missing epk, an epk off the curve, an epk carrying a private part.
  EXPECT_EQ(
      code_of(jwe_decrypt(with_header(ecjwe, [](nlohmann::json& h) { h.erase("epk"); }), set, rnd)),
      errc::JoseMalformed);
  EXPECT_EQ(code_of(jwe_decrypt(with_header(ecjwe,
                                            [](nlohmann::json& h) {
                                              std::string y = *base64url_decode(
                                                  h["epk"]["y"].get<std::string>());
                                              y[5] ^= 1;
                                              h["epk"]["y"] = base64url_encode(y);
                                            }),
                                set, rnd)),
            errc::JoseDecryptFailed);
  // Another valid epk (not the one used): key agreement differs, unwrap fails.
  EXPECT_EQ(code_of(jwe_decrypt(with_header(ecjwe,
                                            [](nlohmann::json& h) {
                                              h["epk"] =
                                                  Jwk::generate(KeySpec::EcP256)->public_json();
                                            }),
                                set, rnd)),
            errc::JoseDecryptFailed);
  // Wrong number of parts; a JWS given to the JWE decrypter.
  EXPECT_EQ(code_of(jwe_decrypt("a.b.c.d", set, rnd)), errc::JoseMalformed);
  auto jws = *jws_sign(key_for(KeySpec::EcP256, Alg::ES256), "{}");
  EXPECT_EQ(code_of(jwe_decrypt(jws, set, rnd)), errc::JoseMalformed);
}

TEST(JweNegative, SigningKeysDoNotDecryptAndEncryptionKeysDoNotSign) {
  const auto& sig = key_for(KeySpec::Rsa2048, Alg::RS256);
  const auto& enc = key_for(KeySpec::Rsa2048, Alg::RsaOaep256);
  EXPECT_FALSE(jwe_encrypt(sig, "x", SecureRandom::instance()));
  EXPECT_FALSE(jws_sign(enc, "{}"));
}

TEST(ConcatKdf, MatchesTheSingleBlockConstruction) {
  // Two derivations with different apu/apv differ, lengths are honoured.
  const std::string z(32, '\x07');
  auto a = concat_kdf(z, "ECDH-ES+A256KW", "", "", 256);
  auto b = concat_kdf(z, "ECDH-ES+A256KW", "Alice", "Bob", 256);
  EXPECT_EQ(a.size(), 32u);
  EXPECT_NE(a, b);
  EXPECT_EQ(concat_kdf(z, "A128GCM", "Alice", "Bob", 128).size(), 16u);
  EXPECT_EQ(concat_kdf(z, "X", "", "", 512).size(), 64u);
}

}  // namespace
}  // namespace gh::jose
