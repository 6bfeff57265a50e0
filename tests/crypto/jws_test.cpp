// JWS: every algorithm round-trips; every attack the issue lists is refused with its own code.
#include <gtest/gtest.h>
#include <openssl/hmac.h>
#include <openssl/pem.h>

#include "core/encoding.h"
#include "crypto/error_codes.h"
#include "crypto/jose/jws.h"
#include "crypto/jose/signature.h"
#include "test_keys.h"

namespace gh::jose {
namespace {

using testing::key_for;

std::string b64(std::string_view s) { return base64url_encode(s); }

// A token whose header we write ourselves, signed by `signer` (or any signature).
std::string forge(const nlohmann::json& header, std::string_view payload, const Jwk* signer,
                  Alg alg) {
  std::string input = b64(header.dump()) + "." + b64(payload);
  std::string sig = signer ? *sign_bytes(*signer, alg, input) : std::string("sig");
  return input + "." + b64(sig);
}

ErrorCode code_of(const Result<VerifiedJws>& r) {
  EXPECT_FALSE(r) << "expected a failure";
  return r ? errc::ServerInternal : r.error().code;
}

class JwsAlgorithms : public ::testing::TestWithParam<testing::SigCase> {};

TEST_P(JwsAlgorithms, SignVerifyRoundTripAndTamperDetection) {
  const auto& key = key_for(GetParam().spec, GetParam().alg);
  KeySet set = testing::set_of({key});
  auto token = jws_sign(key, R"({"sub":"u1"})", {.typ = "at+jwt"});
  ASSERT_TRUE(token) << token.error().detail;
  auto ok = jws_verify(*token, set);
  ASSERT_TRUE(ok) << ok.error().detail;
  EXPECT_EQ(ok->payload, R"({"sub":"u1"})");
  EXPECT_EQ(ok->kid, key.kid);
  EXPECT_EQ(ok->alg, GetParam().alg);
  EXPECT_EQ(ok->header.typ, "at+jwt");

  // Tampered payload, header and signature.
  const size_t d1 = token->find('.');
  const size_t d2 = token->rfind('.');
  std::string payload_swap =
      token->substr(0, d1 + 1) + b64(R"({"sub":"admin"})") + token->substr(d2);
  EXPECT_EQ(code_of(jws_verify(payload_swap, set)), errc::JoseSignatureInvalid);
  nlohmann::json header = nlohmann::json::parse(*base64url_decode(token->substr(0, d1)));
  header["typ"] = "JWT";
  std::string header_swap = b64(header.dump()) + token->substr(d1);
  EXPECT_EQ(code_of(jws_verify(header_swap, set)), errc::JoseSignatureInvalid);
  std::string sig = *base64url_decode(token->substr(d2 + 1));
  sig[sig.size() / 2] ^= 0x01;
  std::string sig_flip = token->substr(0, d2 + 1) + b64(sig);
  EXPECT_EQ(code_of(jws_verify(sig_flip, set)), errc::JoseSignatureInvalid);
}

INSTANTIATE_TEST_SUITE_P(Algs, JwsAlgorithms, ::testing::ValuesIn(testing::sig_cases()),
                         [](const auto& info) { return std::string(info.param.name); });

TEST(JwsNegative, AlgNoneIsAlwaysRejected) {
  const auto& key = key_for(KeySpec::Rsa2048, Alg::RS256);
  KeySet set = testing::set_of({key});
  for (const char* none : {"none", "None", "NONE", "nOnE"}) {
    std::string token = b64(nlohmann::json{{"alg", none}, {"kid", key.kid}}.dump()) + "." +
                        b64(R"({"sub":"admin"})") + ".";
    EXPECT_EQ(code_of(jws_verify(token, set)), errc::JoseAlgNotAllowed) << none;
  }
}

std::string hmac_sha256(std::string_view key, std::string_view data) {
  unsigned char out[32];
  unsigned int len = 0;
  HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()),
       reinterpret_cast<const unsigned char*>(data.data()), data.size(), out, &len);
  return std::string(reinterpret_cast<char*>(out), len);
}

TEST(JwsNegative, Hs256KeyedWithTheRsaPublicKeyIsRejected) {
  // The classic confusion: the attacker HMACs with the public key a naive verifier would use
  // as an HMAC secret (PEM, DER, or the JWK's n).
  const auto& key = key_for(KeySpec::Rsa2048, Alg::RS256);
  KeySet set = testing::set_of({key});
  BIO* bio = BIO_new(BIO_s_mem());
  ASSERT_EQ(PEM_write_bio_PUBKEY(bio, key.key.pkey()), 1);
  char* data = nullptr;
  const long n = BIO_get_mem_data(bio, &data);
  const std::string pem(data, static_cast<size_t>(n));
  BIO_free(bio);
  for (const std::string& secret :
       {pem, key.key.public_json().dump(), key.key.public_json()["n"].get<std::string>()}) {
    std::string input = b64(nlohmann::json{{"alg", "HS256"}, {"kid", key.kid}}.dump()) + "." +
                        b64(R"({"sub":"admin"})");
    std::string token = input + "." + b64(hmac_sha256(secret, input));
    EXPECT_EQ(code_of(jws_verify(token, set)), errc::JoseAlgNotAllowed);
  }
}

TEST(JwsNegative, EmbeddedKeysAndKeyUrlsAreRejected) {
  const auto& ours = key_for(KeySpec::Rsa2048, Alg::RS256);
  KeySet set = testing::set_of({ours});
  auto attacker = *KeySet::generate(KeySpec::Rsa2048, Alg::RS256);
  nlohmann::json base = {{"alg", "RS256"}, {"kid", ours.kid}};
  std::vector<nlohmann::json> headers;
  headers.push_back(base);
  headers.back()["jwk"] = attacker.key.public_json();
  headers.push_back(base);
  headers.back()["jku"] = "https://attacker.example/jwks.json";
  headers.push_back(base);
  headers.back()["x5u"] = "https://attacker.example/cert.pem";
  headers.push_back(base);
  headers.back()["x5c"] = {"MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEA"};
  for (const auto& h : headers) {
    auto token = forge(h, R"({"sub":"admin"})", &attacker.key, Alg::RS256);
    EXPECT_EQ(code_of(jws_verify(token, set)), errc::JoseHeaderForbidden) << h.dump();
  }
  // The attacker's key with its own kid is simply unknown.
  auto token = forge({{"alg", "RS256"}, {"kid", attacker.kid}}, "{}", &attacker.key, Alg::RS256);
  EXPECT_EQ(code_of(jws_verify(token, set)), errc::JoseKeyNotFound);
}

TEST(JwsNegative, UnknownOrMissingKid) {
  const auto& key = key_for(KeySpec::EcP256, Alg::ES256);
  KeySet set = testing::set_of({key});
  auto unknown = forge({{"alg", "ES256"}, {"kid", "nope"}}, "{}", &key.key, Alg::ES256);
  EXPECT_EQ(code_of(jws_verify(unknown, set)), errc::JoseKeyNotFound);
  auto no_kid = forge({{"alg", "ES256"}}, "{}", &key.key, Alg::ES256);
  EXPECT_EQ(code_of(jws_verify(no_kid, set)), errc::JoseKeyNotFound);
  // A peer JWKS with one key and no kid in tokens: allowed only when the caller opts in.
  EXPECT_TRUE(jws_verify(no_kid, set, {.require_kid = false}));
  KeySet two = testing::set_of({key, *KeySet::generate(KeySpec::EcP256, Alg::ES256)});
  EXPECT_EQ(code_of(jws_verify(no_kid, two, {.require_kid = false})), errc::JoseKeyNotFound);
}

TEST(JwsNegative, AlgorithmComesFromTheKeyNotTheToken) {
  // The RS256 key signs a PS256 token under its own kid: the header alg is not the key's.
  const auto& rs = key_for(KeySpec::Rsa2048, Alg::RS256);
  KeySet set = testing::set_of({rs});
  auto ps = forge({{"alg", "PS256"}, {"kid", rs.kid}}, "{}", &rs.key, Alg::PS256);
  EXPECT_EQ(code_of(jws_verify(ps, set)), errc::JoseAlgNotAllowed);
  // Wrong key type: an ES256 token naming an RSA key's kid, an EdDSA token naming an EC key.
  const auto& ec = key_for(KeySpec::EcP256, Alg::ES256);
  const auto& ed = key_for(KeySpec::Ed25519, Alg::EdDSA);
  KeySet both = testing::set_of({rs, ec});
  auto es = forge({{"alg", "ES256"}, {"kid", rs.kid}}, "{}", &ec.key, Alg::ES256);
  EXPECT_EQ(code_of(jws_verify(es, both)), errc::JoseAlgNotAllowed);
  auto eddsa = forge({{"alg", "EdDSA"}, {"kid", ec.kid}}, "{}", &ed.key, Alg::EdDSA);
  EXPECT_EQ(code_of(jws_verify(eddsa, both)), errc::JoseAlgNotAllowed);
  // The primitives refuse a key of the wrong type outright.
  EXPECT_FALSE(verify_bytes(ec.key, Alg::EdDSA, "x", std::string(64, 'a')));
  EXPECT_EQ(sign_bytes(ec.key, Alg::RS256, "x").error().code, errc::JoseKeyTypeMismatch);
}

TEST(JwsNegative, RevokedKeyFailsAtOnce) {
  auto key = *KeySet::generate(KeySpec::EcP256, Alg::ES256);
  KeySet set = testing::set_of({key});
  auto token = *jws_sign(key, "{}");
  ASSERT_TRUE(jws_verify(token, set));
  auto revoked = set.with_state(key.kid, KeyState::Revoked);
  ASSERT_TRUE(revoked);
  EXPECT_EQ(code_of(jws_verify(token, *revoked)), errc::JoseKeyRevoked);
}

TEST(JwsNegative, CritIsHonoured) {
  const auto& key = key_for(KeySpec::Ed25519, Alg::EdDSA);
  KeySet set = testing::set_of({key});
  nlohmann::json h = {{"alg", "EdDSA"}, {"kid", key.kid}, {"crit", {"urn:x:y"}}, {"urn:x:y", 1}};
  auto token = forge(h, "{}", &key.key, Alg::EdDSA);
  EXPECT_EQ(code_of(jws_verify(token, set)), errc::JoseCritUnsupported);
  JwsVerifyOptions understands;
  understands.header.understood_crit = {"urn:x:y"};
  EXPECT_TRUE(jws_verify(token, set, understands));
  // Listed but absent, registered names, b64, and a malformed crit.
  for (const nlohmann::json& crit :
       {nlohmann::json{"urn:absent"}, nlohmann::json{"exp", "alg"}, nlohmann::json{"b64"}}) {
    nlohmann::json bad = {{"alg", "EdDSA"}, {"kid", key.kid}, {"crit", crit}, {"b64", false}};
    EXPECT_EQ(code_of(jws_verify(forge(bad, "{}", &key.key, Alg::EdDSA), set, understands)),
              errc::JoseCritUnsupported)
        << crit.dump();
  }
  nlohmann::json empty = {{"alg", "EdDSA"}, {"kid", key.kid}, {"crit", nlohmann::json::array()}};
  EXPECT_EQ(code_of(jws_verify(forge(empty, "{}", &key.key, Alg::EdDSA), set)),
            errc::JoseMalformed);
}

TEST(JwsNegative, TypIsCheckedWhereTheProfileFixesIt) {
  const auto& key = key_for(KeySpec::EcP256, Alg::ES256);
  KeySet set = testing::set_of({key});
  JwsVerifyOptions at;
  at.header.typ = "at+jwt";
  EXPECT_TRUE(jws_verify(*jws_sign(key, "{}", {.typ = "at+jwt"}), set, at));
  EXPECT_TRUE(jws_verify(*jws_sign(key, "{}", {.typ = "application/AT+JWT"}), set, at));
  EXPECT_EQ(code_of(jws_verify(*jws_sign(key, "{}", {.typ = "JWT"}), set, at)),
            errc::JoseTypMismatch);
  EXPECT_EQ(code_of(jws_verify(*jws_sign(key, "{}"), set, at)), errc::JoseTypMismatch);
  EXPECT_EQ(code_of(jws_verify(*jws_sign(key, "{}", {.typ = "logout+jwt"}), set, at)),
            errc::JoseTypMismatch);
}

TEST(JwsNegative, MalformedTokens) {
  const auto& key = key_for(KeySpec::EcP256, Alg::ES256);
  KeySet set = testing::set_of({key});
  auto token = *jws_sign(key, "{}");
  for (const std::string& bad :
       {std::string(""), std::string("a.b"), token + ".x", std::string("..."),
        token.substr(0, token.find('.')) + "=.e30.", std::string("e30.e30.e30"),
        b64("[1]") + ".e30.AA", b64("not json") + ".e30.AA", std::string(300 * 1024, 'a')}) {
    EXPECT_EQ(code_of(jws_verify(bad, set)), errc::JoseMalformed) << bad.substr(0, 40);
  }
  // An ES256 signature in DER form instead of r||s.
  std::string input = token.substr(0, token.rfind('.'));
  std::string raw = *base64url_decode(token.substr(token.rfind('.') + 1));
  EXPECT_EQ(code_of(jws_verify(input + "." + b64(ecdsa_raw_to_der(raw)), set)),
            errc::JoseSignatureInvalid);
}

TEST(Signature, EcdsaDerRawConversionRoundTrips) {
  const auto& key = key_for(KeySpec::EcP256, Alg::ES256);
  for (int i = 0; i < 50; ++i) {
    auto raw = sign_bytes(key.key, Alg::ES256, "message " + std::to_string(i));
    ASSERT_TRUE(raw);
    ASSERT_EQ(raw->size(), 64u);
    EXPECT_EQ(ecdsa_der_to_raw(ecdsa_raw_to_der(*raw)), *raw);
  }
  EXPECT_EQ(ecdsa_raw_to_der(std::string(63, 'a')), "");
  // Signing contexts are copied from a per-key template: randomised schemes must still draw
  // fresh randomness per signature (ECDSA k, PSS salt).
  EXPECT_NE(*sign_bytes(key.key, Alg::ES256, "same"), *sign_bytes(key.key, Alg::ES256, "same"));
  const auto& rsa = key_for(KeySpec::Rsa2048, Alg::PS256);
  EXPECT_NE(*sign_bytes(rsa.key, Alg::PS256, "same"), *sign_bytes(rsa.key, Alg::PS256, "same"));
  EXPECT_EQ(ecdsa_der_to_raw("garbage"), "");
}

}  // namespace
}  // namespace gh::jose
