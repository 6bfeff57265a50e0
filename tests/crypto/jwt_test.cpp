// JWT time checks at the edges of their windows, profiles, and key rotation over simulated time.
#include <gtest/gtest.h>

#include "crypto/error_codes.h"
#include "crypto/jose/jwt.h"
#include "test_keys.h"

namespace gh::jose {
namespace {

using namespace std::chrono_literals;
using testing::key_for;

constexpr const char* kIssuer = "https://id.example.com/production";

int64_t now_s(const FakeClock& clock) { return clock.now_ms() / 1000; }

nlohmann::json claims_at(const FakeClock& clock, int64_t lifetime_s = 300) {
  return {{"iss", kIssuer},
          {"sub", "user-1"},
          {"aud", "api"},
          {"iat", now_s(clock)},
          {"exp", now_s(clock) + lifetime_s},
          {"jti", "j1"}};
}

ErrorCode code_of(const Result<VerifiedJwt>& r) {
  EXPECT_FALSE(r) << "expected a failure";
  return r ? errc::ServerInternal : r.error().code;
}

TEST(Jwt, ExpNbfIatAtTheEdgesOfTheSkew) {
  FakeClock clock;
  const auto& key = key_for(KeySpec::EcP256, Alg::ES256);
  KeySet set = testing::set_of({key});
  JwtProfile profile = JwtProfile::access_token(kIssuer, "api");
  profile.skew = 30s;
  auto token = *jwt_sign(key, claims_at(clock), "at+jwt");
  auto ok = jwt_verify(token, set, clock, profile);
  ASSERT_TRUE(ok) << ok.error().detail;
  EXPECT_EQ(ok->claims.sub, "user-1");
  EXPECT_EQ(ok->claims.aud, std::vector<std::string>{"api"});

  // exp + skew is the first instant that fails.
  clock.advance(300s + 30s - 1ms);
  EXPECT_TRUE(jwt_verify(token, set, clock, profile));
  clock.advance(1ms);
  EXPECT_EQ(code_of(jwt_verify(token, set, clock, profile)), errc::JoseExpired);

  FakeClock c2;
  auto future = claims_at(c2);
  future["nbf"] = now_s(c2) + 31;
  EXPECT_EQ(code_of(jwt_verify(*jwt_sign(key, future, "at+jwt"), set, c2, profile)),
            errc::JoseNotYetValid);
  future["nbf"] = now_s(c2) + 30;
  EXPECT_TRUE(jwt_verify(*jwt_sign(key, future, "at+jwt"), set, c2, profile));
  auto iat = claims_at(c2);
  iat["iat"] = now_s(c2) + 31;
  EXPECT_EQ(code_of(jwt_verify(*jwt_sign(key, iat, "at+jwt"), set, c2, profile)),
            errc::JoseIatInFuture);
}

TEST(Jwt, RequiredClaimsIssuerAudienceAndTypes) {
  FakeClock clock;
  const auto& key = key_for(KeySpec::Ed25519, Alg::EdDSA);
  KeySet set = testing::set_of({key});
  auto profile = JwtProfile::access_token(kIssuer, "api");
  auto no_exp = claims_at(clock);
  no_exp.erase("exp");
  EXPECT_EQ(code_of(jwt_verify(*jwt_sign(key, no_exp, "at+jwt"), set, clock, profile)),
            errc::JoseClaimInvalid);
  auto str_exp = claims_at(clock);
  str_exp["exp"] = "tomorrow";
  EXPECT_EQ(code_of(jwt_verify(*jwt_sign(key, str_exp, "at+jwt"), set, clock, profile)),
            errc::JoseClaimInvalid);
  auto other_iss = claims_at(clock);
  other_iss["iss"] = "https://evil.example";
  EXPECT_EQ(code_of(jwt_verify(*jwt_sign(key, other_iss, "at+jwt"), set, clock, profile)),
            errc::JoseIssuerMismatch);
  auto other_aud = claims_at(clock);
  other_aud["aud"] = {"a", "b"};
  EXPECT_EQ(code_of(jwt_verify(*jwt_sign(key, other_aud, "at+jwt"), set, clock, profile)),
            errc::JoseAudienceMismatch);
  other_aud["aud"] = {"a", "api"};
  EXPECT_TRUE(jwt_verify(*jwt_sign(key, other_aud, "at+jwt"), set, clock, profile));
  // A logout token is not an access token, and the other way round.
  auto logout = *jwt_sign(key, claims_at(clock), "logout+jwt");
  EXPECT_EQ(code_of(jwt_verify(logout, set, clock, profile)), errc::JoseTypMismatch);
  EXPECT_TRUE(jwt_verify(logout, set, clock, JwtProfile::logout_token(kIssuer, "api")));
  // SETs need no exp.
  auto set_claims = no_exp;
  set_claims["events"] = nlohmann::json::object();
  EXPECT_TRUE(jwt_verify(*jwt_sign(key, set_claims, "secevent+jwt"), set, clock,
                         JwtProfile::security_event(kIssuer, "api")));
  // A payload that is not a JSON object.
  auto array_payload = *jws_sign(key, "[1,2]", {.typ = "at+jwt"});
  EXPECT_EQ(code_of(jwt_verify(array_payload, set, clock, profile)), errc::JoseMalformed);
}

TEST(Jwt, RotationOverSimulatedTime) {
  // Policy under test: a next key is published a day before it signs; after rotation the old
  // key is retired (still verifies) until tokens it signed have expired; revocation is
  // immediate.
  FakeClock clock;
  auto profile = JwtProfile::access_token(kIssuer, "api");
  profile.skew = 0s;
  auto k1 = *KeySet::generate(KeySpec::Rsa2048, Alg::RS256, KeyState::Active);
  auto k2 = *KeySet::generate(KeySpec::Rsa3072, Alg::RS256, KeyState::Next);
  KeySet keys = testing::set_of({k1, k2});
  EXPECT_EQ(keys.public_jwks()["keys"].size(), 2u);             // next is published ahead of use
  EXPECT_EQ(keys.active_signing_key(Alg::RS256)->kid, k1.kid);  // next never signs

  // t0: a token signed by k1, valid 5 minutes.
  auto t1 = *jwt_sign(*keys.active_signing_key(Alg::RS256), claims_at(clock), "at+jwt");
  clock.advance(60s);

  // t0+60 s: rotation. k2 becomes active, k1 retired.
  keys = *keys.with_state(k2.kid, KeyState::Active);
  keys = *keys.with_state(k1.kid, KeyState::Retired);
  ASSERT_EQ(keys.active_signing_key(Alg::RS256)->kid, k2.kid);
  auto t2 = *jwt_sign(*keys.active_signing_key(Alg::RS256), claims_at(clock), "at+jwt");
  EXPECT_TRUE(jwt_verify(t1, keys, clock, profile)) << "pre-rotation token must still verify";
  EXPECT_TRUE(jwt_verify(t2, keys, clock, profile));
  EXPECT_EQ(keys.public_jwks()["keys"].size(), 2u);

  // t0+300 s: t1 expires on its own; the retired key still verifies nothing else.
  clock.advance(240s);
  EXPECT_EQ(code_of(jwt_verify(t1, keys, clock, profile)), errc::JoseExpired);
  EXPECT_TRUE(jwt_verify(t2, keys, clock, profile));

  // Emergency: k2 is revoked. t2 (still within exp) fails at once, and k2 leaves the JWKS.
  keys = *keys.with_state(k2.kid, KeyState::Revoked);
  EXPECT_EQ(code_of(jwt_verify(t2, keys, clock, profile)), errc::JoseKeyRevoked);
  const auto jwks = keys.public_jwks();
  for (const auto& k : jwks["keys"]) EXPECT_NE(k["kid"], k2.kid);
}

}  // namespace
}  // namespace gh::jose
