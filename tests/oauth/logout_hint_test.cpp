// RP-Initiated Logout 1.0's id_token_hint check (pure): our signature and issuer, an expired ID
// token accepted (§4), everything else refused (another issuer, a tampered or foreign-key token,
// an access token, no exp).
#include <gtest/gtest.h>

#include "crypto/jose/jwt.h"
#include "oauth/logout_endpoint.h"

namespace gh::oauth {
namespace {

class LogoutHint : public ::testing::Test {
 protected:
  LogoutHint() : key_(*jose::KeySet::generate(jose::KeySpec::EcP256, jose::Alg::ES256)) {
    EXPECT_TRUE(keys_.add(key_));
  }
  nlohmann::json id_token(int64_t exp_offset_s) {
    const int64_t now = clock_.now_ms() / 1000;
    return {{"iss", kIss},
            {"sub", "user-1"},
            {"aud", "gh_app_1"},
            {"iat", now + exp_offset_s - 3600},
            {"exp", now + exp_offset_s},
            {"sid", "sid-1"},
            {"org_id", "org-1"}};
  }
  std::string sign(const nlohmann::json& c, const jose::KeyEntry& k) {
    return *jose::jwt_sign(k, c);
  }
  static constexpr const char* kIss = "https://id.example/sandbox";
  FakeClock clock_;
  jose::KeyEntry key_;
  jose::KeySet keys_;
};

TEST_F(LogoutHint, ExpiredIdTokensOfOurIssuerAreAccepted) {
  for (int64_t exp : {3600, 1, -1, -86400 * 30}) {
    auto h = verify_id_token_hint(sign(id_token(exp), key_), keys_, kIss, clock_);
    ASSERT_TRUE(h) << exp;
    EXPECT_EQ(h->client_id, "gh_app_1");
    EXPECT_EQ(h->subject, "user-1");
    EXPECT_EQ(h->sid, "sid-1");
    EXPECT_EQ(h->organization_id, "org-1");
  }
  // Several audiences: azp names the client.
  auto multi = id_token(60);
  multi["aud"] = {"gh_app_1", "https://api.example"};
  multi["azp"] = "gh_app_1";
  auto h = verify_id_token_hint(sign(multi, key_), keys_, kIss, clock_);
  ASSERT_TRUE(h);
  EXPECT_EQ(h->client_id, "gh_app_1");
}

TEST_F(LogoutHint, EverythingElseIsRefused) {
  const std::string good = sign(id_token(-60), key_);
  EXPECT_FALSE(verify_id_token_hint(good, keys_, "https://id.example/production", clock_));
  std::string tampered = good;
  tampered[tampered.find('.') + 5] ^= 1;
  EXPECT_FALSE(verify_id_token_hint(tampered, keys_, kIss, clock_));
  auto other = *jose::KeySet::generate(jose::KeySpec::EcP256, jose::Alg::ES256);
  EXPECT_FALSE(verify_id_token_hint(sign(id_token(60), other), keys_, kIss, clock_));
  auto at = id_token(60);
  at["client_id"] = "gh_app_1";  // an access token is no ID token
  EXPECT_FALSE(verify_id_token_hint(sign(at, key_), keys_, kIss, clock_));
  auto no_exp = id_token(60);
  no_exp.erase("exp");
  EXPECT_FALSE(verify_id_token_hint(sign(no_exp, key_), keys_, kIss, clock_));
  auto no_sub = id_token(60);
  no_sub.erase("sub");
  EXPECT_FALSE(verify_id_token_hint(sign(no_sub, key_), keys_, kIss, clock_));
  EXPECT_FALSE(verify_id_token_hint("a.b.c", keys_, kIss, clock_));
  EXPECT_FALSE(verify_id_token_hint("", keys_, kIss, clock_));
}

}  // namespace
}  // namespace gh::oauth
