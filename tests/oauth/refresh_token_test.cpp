// refresh_token: rotation on every use, reuse revokes the family, bound to the client, idle and
// absolute lifetimes at their edges, scope may only narrow.
#include "core/encoding.h"
#include "oauth_fixture.h"

namespace gh::oauth::testing {
namespace {

class RefreshToken : public OAuthTest {
 protected:
  RefreshToken() {
    api_ = make_resource("https://api.example.test", {"invoices:read", "invoices:write"});
    web_ = make_client({{"name", "web"},
                        {"redirect_uris", {kRedirect}},
                        {"refresh_token_ttl_s", 1000},
                        {"refresh_idle_ttl_s", 100}});
    grant(web_, api_, {"invoices:read", "invoices:write"});
  }
  // Signs in once; returns the first refresh token.
  std::string sign_in() {
    auto code = put_code(web_, "user-alice",
                         {{"scope", "openid email offline_access invoices:read invoices:write"},
                          {"resources", {"https://api.example.test"}},
                          {"code_challenge", kChallenge},
                          {"code_challenge_method", "S256"},
                          {"acr", "urn:gatehouse:acr:pwd"},
                          {"amr", {"pwd"}}},
                         acme_.id);
    auto res = token(web_, "grant_type=authorization_code&code=" + code + "&redirect_uri=" +
                               percent_encode(kRedirect) + "&code_verifier=" + kVerifier);
    EXPECT_EQ(res.status, 200) << res.body;
    return body(res)["refresh_token"];
  }
  http::Response refresh(const std::string& rt, const std::string& extra = "",
                         const Client* c = nullptr) {
    return token(c ? *c : web_,
                 "grant_type=refresh_token&refresh_token=" + percent_encode(rt) + extra);
  }
  store::Resource api_;
  Client web_;
};

TEST_F(RefreshToken, RotatesOnEveryUse) {
  auto rt1 = sign_in();
  clock_.advance(std::chrono::seconds(10));
  auto res = refresh(rt1);
  ASSERT_EQ(res.status, 200) << res.body;
  auto b = body(res);
  const std::string rt2 = b["refresh_token"];
  EXPECT_NE(rt2, rt1);
  auto at = claims_of(b["access_token"]);
  EXPECT_EQ(at["sub"], "user-alice");
  EXPECT_EQ(at["org_id"], acme_.id);
  EXPECT_EQ(at["acr"], "urn:gatehouse:acr:pwd");
  EXPECT_EQ(at["permissions"], nlohmann::json({"invoices:read", "invoices:write"}));
  auto id = claims_of(b["id_token"]);
  EXPECT_EQ(id["sub"], "user-alice");
  EXPECT_FALSE(id.contains("nonce"));
  EXPECT_EQ(id["email"], "alice@acme.example");
  auto rt3 = body(refresh(rt2))["refresh_token"];
  EXPECT_TRUE(rt3.is_string());
}

TEST_F(RefreshToken, ReuseOfARotatedTokenRevokesTheFamily) {
  auto rt1 = sign_in();
  const std::string rt2 = body(refresh(rt1))["refresh_token"];
  auto reuse = refresh(rt1);
  EXPECT_EQ(reuse.status, 400);
  EXPECT_EQ(body(reuse)["error"], "invalid_grant");
  // The current token of the family is dead too.
  EXPECT_EQ(body(refresh(rt2))["error"], "invalid_grant");
  // Another sign-in starts an independent family.
  EXPECT_EQ(refresh(sign_in()).status, 200);
}

TEST_F(RefreshToken, BoundToItsClient) {
  auto other = make_client({{"name", "other"}, {"redirect_uris", {kRedirect}}});
  auto rt = sign_in();
  EXPECT_EQ(body(refresh(rt, "", &other))["error"], "invalid_grant");
  EXPECT_EQ(refresh(rt).status, 200);  // not burned by the other client's attempt
}

TEST_F(RefreshToken, IdleLifetime) {
  auto rt1 = sign_in();
  clock_.advance(std::chrono::milliseconds(99'999));
  auto res = refresh(rt1);
  ASSERT_EQ(res.status, 200);
  const std::string rt2 = body(res)["refresh_token"];
  clock_.advance(std::chrono::milliseconds(100'000));  // idle exactly 100 s
  EXPECT_EQ(body(refresh(rt2))["error"], "invalid_grant");
}

TEST_F(RefreshToken, AbsoluteLifetime) {
  std::string rt = sign_in();
  // Used every 90 s, it stays alive until the family's 1000 s are over.
  for (int i = 0; i < 11; ++i) {
    clock_.advance(std::chrono::seconds(90));
    auto res = refresh(rt);
    ASSERT_EQ(res.status, 200) << "at " << (i + 1) * 90 << " s: " << res.body;
    rt = body(res)["refresh_token"];
  }
  clock_.advance(std::chrono::seconds(10));  // 1000 s since sign-in
  EXPECT_EQ(body(refresh(rt))["error"], "invalid_grant");
}

TEST_F(RefreshToken, ScopeMayOnlyNarrow) {
  auto rt = sign_in();
  auto narrowed = refresh(rt, "&scope=openid+invoices%3Aread");
  ASSERT_EQ(narrowed.status, 200) << narrowed.body;
  auto b = body(narrowed);
  EXPECT_EQ(b["scope"], "openid invoices:read");
  EXPECT_EQ(claims_of(b["access_token"])["permissions"], nlohmann::json({"invoices:read"}));
  // The family keeps the original grant: the next refresh may ask for all of it again.
  auto again = refresh(b["refresh_token"].get<std::string>());
  ASSERT_EQ(again.status, 200);
  EXPECT_EQ(body(again)["scope"], "openid email offline_access invoices:read invoices:write");
  auto widened = refresh(body(again)["refresh_token"].get<std::string>(), "&scope=openid+admin");
  EXPECT_EQ(body(widened)["error"], "invalid_scope");
}

TEST_F(RefreshToken, UnknownTokenIsInvalidGrant) {
  EXPECT_EQ(body(refresh("nope"))["error"], "invalid_grant");
  EXPECT_EQ(body(token(web_, "grant_type=refresh_token"))["error"], "invalid_request");
}

}  // namespace
}  // namespace gh::oauth::testing
