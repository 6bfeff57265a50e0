// private_key_jwt from Gatehouse to an IdP (federation/oidc/client_key.h) with real sealing over
// a SQLite store: the key is made once and sealed (only its public half in the clear), opens only
// for its own connection, refuses a member whose kid is not its key, and signs RFC 7523
// assertions that verify under the published JWKS with the claims an IdP checks.
#include "federation/oidc/client_key.h"

#include <gtest/gtest.h>

#include "crypto/jose/jwt.h"
#include "crypto/kek/local_kek.h"
#include "tenancy/sealing.h"
#include "test_store.h"

namespace gh::federation::oidc {
namespace {

class ClientKeyTest : public ::testing::Test {
 protected:
  ClientKeyTest()
      : store_(store::Backend::sqlite, &clock_),
        sealing_(*store_,
                 *crypto::LocalKek::from_bytes("local:test", std::string(32, 'k'),
                                               SecureRandom::instance()),
                 {}, clock_) {
    env_ = *store_->transact<store::Environment>(
        [&](store::Repositories& r) { return r.environments().create({.name = "sandbox"}); });
    org_ = *store_->transact<store::Organization>([&](store::Repositories& r) {
      return r.organizations().create({.environment_id = env_.id, .slug = "acme", .name = "Acme"});
    });
    owner_ = {env_.id, org_.id, "conn-1"};
  }
  FakeClock clock_;
  testing::TestStore store_;
  tenancy::Sealing sealing_;
  store::Environment env_;
  store::Organization org_;
  ClientKeyOwner owner_;
};

TEST_F(ClientKeyTest, SealedOnceOpensForItsOwnConnectionOnly) {
  auto member = new_client_key(sealing_, owner_);
  ASSERT_TRUE(member) << member.error().text();
  EXPECT_EQ((*member)["alg"], "RS256");
  const auto& keys = (*member)["jwks"]["keys"];
  ASSERT_EQ(keys.size(), 1u);
  EXPECT_EQ(keys[0]["kid"], (*member)["kid"]);
  EXPECT_EQ(keys[0]["kty"], "RSA");
  for (const char* priv : {"d", "p", "q", "dp", "dq", "qi"}) {
    EXPECT_FALSE(keys[0].contains(priv)) << priv;
    EXPECT_EQ(member->dump().find("\"" + std::string(priv) + "\""), std::string::npos) << priv;
  }
  auto key = open_client_key(sealing_, owner_, *member);
  ASSERT_TRUE(key) << key.error().text();
  EXPECT_EQ(key->kid, (*member)["kid"]);
  EXPECT_TRUE(key->key.has_private());

  // Sealed to this connection: another connection, organization or environment cannot open it.
  for (const ClientKeyOwner& other : {ClientKeyOwner{env_.id, org_.id, "conn-2"},
                                      ClientKeyOwner{env_.id, "another-org", "conn-1"},
                                      ClientKeyOwner{"another-env", org_.id, "conn-1"}}) {
    EXPECT_FALSE(open_client_key(sealing_, other, *member));
  }
  // A member whose kid is not its sealed key's, or that is incomplete, is refused.
  nlohmann::json relabelled = *member;
  relabelled["kid"] = "someone-else";
  EXPECT_FALSE(open_client_key(sealing_, owner_, relabelled));
  nlohmann::json unsealed = *member;
  unsealed.erase("sealed");
  EXPECT_FALSE(open_client_key(sealing_, owner_, unsealed));
  EXPECT_FALSE(open_client_key(sealing_, owner_, nlohmann::json::object()));
  // Two keys are two keys.
  auto second = new_client_key(sealing_, owner_);
  ASSERT_TRUE(second);
  EXPECT_NE((*second)["kid"], (*member)["kid"]);
}

TEST_F(ClientKeyTest, AssertionsVerifyUnderThePublishedJwks) {
  auto member = new_client_key(sealing_, owner_);
  ASSERT_TRUE(member);
  auto key = open_client_key(sealing_, owner_, *member);
  ASSERT_TRUE(key);
  SeededRandom random(11);
  const int64_t now = clock_.now_ms() / 1000;
  auto a1 = make_client_assertion(*key, "gatehouse-acme", "https://idp.example/token", now, random);
  auto a2 = make_client_assertion(*key, "gatehouse-acme", "https://idp.example/token", now, random);
  ASSERT_TRUE(a1 && a2);
  auto published = jose::KeySet::from_jwks((*member)["jwks"]);
  ASSERT_TRUE(published) << published.error().text();
  jose::JwtProfile profile;
  profile.require_exp = true;
  profile.require_kid = true;
  profile.issuer = "gatehouse-acme";
  auto v = jose::jwt_verify(*a1, *published, clock_, profile);
  ASSERT_TRUE(v) << v.error().text();
  EXPECT_EQ(v->alg, jose::Alg::RS256);
  EXPECT_EQ(v->kid, (*member)["kid"]);
  const auto& c = v->claims.all;
  EXPECT_EQ(c["sub"], "gatehouse-acme");
  EXPECT_EQ(c["aud"], "https://idp.example/token");  // one string
  EXPECT_EQ(c["iat"], now);
  EXPECT_EQ(c["exp"], now + kClientAssertionLifetimeS);
  ASSERT_TRUE(c["jti"].is_string());
  EXPECT_GE(c["jti"].get<std::string>().size(), 20u);
  auto v2 = jose::jwt_verify(*a2, *published, clock_, profile);
  ASSERT_TRUE(v2);
  EXPECT_NE(v2->claims.all["jti"], c["jti"]);  // a fresh jti per assertion
  // Expired after its short life.
  clock_.advance(std::chrono::seconds(kClientAssertionLifetimeS + 120));
  EXPECT_FALSE(jose::jwt_verify(*a1, *published, clock_, profile));
}

TEST(ClientJwksUri, StablePerConnection) {
  EXPECT_EQ(client_jwks_uri("https://id.example", "sandbox", "org-1", "conn-1"),
            "https://id.example/sandbox/oidc/org-1/conn-1/jwks.json");
}

}  // namespace
}  // namespace gh::federation::oidc
