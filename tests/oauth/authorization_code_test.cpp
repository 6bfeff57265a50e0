// authorization_code: single use within 60 s, bound to client and redirect_uri, PKCE S256;
// replay revokes the family and deny-lists the access tokens; ID token claims.
#include "core/encoding.h"
#include "oauth_fixture.h"

namespace gh::oauth::testing {
namespace {

class AuthorizationCode : public OAuthTest {
 protected:
  AuthorizationCode() {
    api_ = make_resource("https://api.example.test", {"invoices:read", "invoices:write"});
    web_ = make_client({{"name", "web"},
                        {"redirect_uris", {kRedirect}},
                        {"grant_types", {"authorization_code", "refresh_token"}}});
    grant(web_, api_, {"invoices:read"});
  }
  nlohmann::json params(const std::string& scope =
                            "openid profile email offline_access "
                            "invoices:read invoices:write") {
    return {{"scope", scope},
            {"resources", {"https://api.example.test"}},
            {"nonce", "n-0S6_WzA2Mj"},
            {"code_challenge", kChallenge},
            {"code_challenge_method", "S256"},
            {"acr", "urn:gatehouse:acr:mfa"},
            {"amr", {"pwd", "otp"}}};
  }
  std::string redeem_body(const std::string& code, const std::string& verifier = kVerifier,
                          const std::string& redirect = kRedirect) {
    std::string b = "grant_type=authorization_code&code=" + percent_encode(code) +
                    "&redirect_uri=" + percent_encode(redirect);
    if (!verifier.empty()) b += "&code_verifier=" + verifier;
    return b;
  }
  http::Response introspect(const Client& c, const std::string& t) {
    return introspection_endpoint(
        *provider_, env_, form_request("token=" + percent_encode(t), c.app.client_id, c.secret));
  }
  store::Resource api_;
  Client web_;
};

TEST_F(AuthorizationCode, RedeemsIntoAccessIdAndRefreshTokens) {
  const int64_t auth_time = clock_.now_ms() / 1000 - 5;
  auto p = params();
  p["auth_time"] = auth_time;
  auto code = put_code(web_, "user-alice", p, acme_.id);
  auto res = token(web_, redeem_body(code));
  ASSERT_EQ(res.status, 200) << res.body;
  EXPECT_EQ(header(res, "Cache-Control"), "no-store");
  auto b = body(res);
  EXPECT_FALSE(b["refresh_token"].get<std::string>().empty());
  // Only the permission the user may have (the application's grant) is granted.
  EXPECT_EQ(b["scope"], "openid profile email offline_access invoices:read");

  auto at = claims_of(b["access_token"]);
  EXPECT_EQ(at["__typ"], "at+jwt");
  EXPECT_EQ(at["sub"], "user-alice");
  EXPECT_EQ(at["aud"], "https://api.example.test");
  EXPECT_EQ(at["org_id"], acme_.id);
  EXPECT_EQ(at["client_id"], web_.app.client_id);
  EXPECT_EQ(at["permissions"], nlohmann::json({"invoices:read"}));
  EXPECT_EQ(at["auth_time"], auth_time);
  EXPECT_EQ(at["acr"], "urn:gatehouse:acr:mfa");

  auto id = claims_of(b["id_token"]);
  EXPECT_EQ(id["__alg"], "RS256");  // the application's id_token_signed_response_alg
  EXPECT_EQ(id["iss"], "https://id.example/sandbox");
  EXPECT_EQ(id["sub"], "user-alice");
  EXPECT_EQ(id["aud"], web_.app.client_id);
  EXPECT_EQ(id["nonce"], "n-0S6_WzA2Mj");
  EXPECT_EQ(id["auth_time"], auth_time);
  EXPECT_EQ(id["acr"], "urn:gatehouse:acr:mfa");
  EXPECT_EQ(id["amr"], nlohmann::json({"pwd", "otp"}));
  EXPECT_EQ(id["sid"], "sid-1");
  EXPECT_EQ(id["org_id"], acme_.id);
  EXPECT_EQ(id["email"], "alice@acme.example");
  EXPECT_EQ(id["email_verified"], true);
  EXPECT_EQ(id["name"], "Alice Example");
  EXPECT_EQ(id["exp"].get<int64_t>() - id["iat"].get<int64_t>(), 3600);
}

TEST_F(AuthorizationCode, ClaimsFollowTheScope) {
  auto code = put_code(web_, "user-alice", params("openid"), acme_.id);
  auto res = token(web_, redeem_body(code));
  ASSERT_EQ(res.status, 200) << res.body;
  auto b = body(res);
  EXPECT_FALSE(b.contains("refresh_token"));  // no offline_access
  auto id = claims_of(b["id_token"]);
  EXPECT_FALSE(id.contains("email"));
  EXPECT_FALSE(id.contains("name"));
  // No permission asked: the token is for UserInfo only... unless a resource was named; here
  // the code names the API, with no permissions.
  auto at = claims_of(b["access_token"]);
  EXPECT_EQ(at["permissions"], nlohmann::json::array());
}

TEST_F(AuthorizationCode, WithoutResourceTheAudienceIsUserInfo) {
  auto p = params("openid email");
  p.erase("resources");
  auto res = token(web_, redeem_body(put_code(web_, "user-alice", p, acme_.id)));
  ASSERT_EQ(res.status, 200) << res.body;
  auto at = claims_of(body(res)["access_token"]);
  EXPECT_EQ(at["aud"], "https://id.example/sandbox/oauth2/userinfo");
}

TEST_F(AuthorizationCode, ExpiresAfterSixtySeconds) {
  auto code59 = put_code(web_, "user-alice", params(), acme_.id);
  auto code61 = put_code(web_, "user-alice", params(), acme_.id);
  clock_.advance(std::chrono::milliseconds(59'000));
  EXPECT_EQ(token(web_, redeem_body(code59)).status, 200);
  clock_.advance(std::chrono::milliseconds(1'000));  // exactly 60 s: expired
  auto at60 = token(web_, redeem_body(code61));
  EXPECT_EQ(at60.status, 400);
  EXPECT_EQ(body(at60)["error"], "invalid_grant");
  clock_.advance(std::chrono::milliseconds(1'000));
  EXPECT_EQ(body(token(web_, redeem_body(code61)))["error"], "invalid_grant");
}

TEST_F(AuthorizationCode, PkceNegatives) {
  // Missing verifier.
  auto code = put_code(web_, "user-alice", params(), acme_.id);
  auto res = token(web_, redeem_body(code, ""));
  EXPECT_EQ(body(res)["error"], "invalid_grant");
  // Wrong verifier (well-formed).
  res = token(web_, redeem_body(code, std::string(43, 'a')));
  EXPECT_EQ(body(res)["error"], "invalid_grant");
  // Malformed verifier.
  res = token(web_, redeem_body(code, "short"));
  EXPECT_EQ(body(res)["error"], "invalid_grant");
  // The failures did not burn the code: the right verifier still works.
  EXPECT_EQ(token(web_, redeem_body(code)).status, 200);

  // A verifier without a challenge (a PKCE downgrade).
  auto p = params();
  p.erase("code_challenge");
  p.erase("code_challenge_method");
  auto no_challenge = put_code(web_, "user-alice", p, acme_.id);
  res = token(web_, redeem_body(no_challenge));
  EXPECT_EQ(body(res)["error"], "invalid_grant");
  // And no PKCE at all for a client that requires it.
  res = token(web_, redeem_body(no_challenge, ""));
  EXPECT_EQ(body(res)["error"], "invalid_grant");
  // plain is refused.
  p = params();
  p["code_challenge_method"] = "plain";
  p["code_challenge"] = kVerifier;
  res = token(web_, redeem_body(put_code(web_, "user-alice", p, acme_.id)));
  EXPECT_EQ(body(res)["error"], "invalid_grant");
}

TEST_F(AuthorizationCode, ConfidentialClientMayWaivePkce) {
  auto basic =
      make_client({{"name", "basic"}, {"redirect_uris", {kRedirect}}, {"pkce_required", false}});
  auto p = params("openid");
  p.erase("code_challenge");
  p.erase("code_challenge_method");
  EXPECT_EQ(token(basic, redeem_body(put_code(basic, "user-alice", p, acme_.id), "")).status, 200);
}

TEST_F(AuthorizationCode, BoundToClientAndRedirectUri) {
  auto other = make_client({{"name", "other"}, {"redirect_uris", {kRedirect}}});
  auto code = put_code(web_, "user-alice", params(), acme_.id);
  auto res = token(other, redeem_body(code));
  EXPECT_EQ(body(res)["error"], "invalid_grant");
  for (const char* uri :
       {"https://app.example/cb/", "https://APP.example/cb", "https://app.example/cb?x=1"}) {
    res = token(web_, redeem_body(code, kVerifier, uri));
    EXPECT_EQ(body(res)["error"], "invalid_grant") << uri;
  }
  res = call_token(
      form_request("grant_type=authorization_code&code=" + code + "&code_verifier=" + kVerifier,
                   web_.app.client_id, web_.secret));
  EXPECT_EQ(body(res)["error"], "invalid_request");  // redirect_uri missing
  EXPECT_EQ(token(web_, redeem_body(code)).status, 200);
  // Another environment does not know the code.
  auto prod = make_client({{"name", "prod"}, {"redirect_uris", {kRedirect}}}, "", &other_env_);
  res = call_token(form_request(redeem_body(code), prod.app.client_id, prod.secret), &other_env_);
  EXPECT_EQ(body(res)["error"], "invalid_grant");
}

TEST_F(AuthorizationCode, ReplayRevokesTheFamilyAndTheAccessTokens) {
  auto code = put_code(web_, "user-alice", params(), acme_.id);
  auto first = body(token(web_, redeem_body(code)));
  ASSERT_TRUE(first.contains("refresh_token"));
  EXPECT_EQ(body(introspect(web_, first["access_token"]))["active"], true);

  clock_.advance(std::chrono::milliseconds(2'000));
  auto replay = token(web_, redeem_body(code));
  EXPECT_EQ(replay.status, 400);
  EXPECT_EQ(body(replay)["error"], "invalid_grant");

  // The access token is deny-listed (introspection skips its cache after the TTL).
  clock_.advance(std::chrono::milliseconds(3'000));
  EXPECT_EQ(body(introspect(web_, first["access_token"]))["active"], false);
  // The refresh family is revoked.
  auto refreshed = token(web_, "grant_type=refresh_token&refresh_token=" +
                                   percent_encode(first["refresh_token"].get<std::string>()));
  EXPECT_EQ(body(refreshed)["error"], "invalid_grant");
}

TEST_F(AuthorizationCode, SuspendedUserGetsNothing) {
  users_.users["user-alice"].state = "suspended";
  auto res = token(web_, redeem_body(put_code(web_, "user-alice", params(), acme_.id)));
  EXPECT_EQ(body(res)["error"], "invalid_grant");
}

TEST_F(AuthorizationCode, ResourceParameterMustBeOneOfTheAuthorizedOnes) {
  auto code = put_code(web_, "user-alice", params(), acme_.id);
  auto res = token(web_, redeem_body(code) + "&resource=https%3A%2F%2Fother.example");
  EXPECT_EQ(body(res)["error"], "invalid_target");
  res = token(web_, redeem_body(code) + "&resource=https%3A%2F%2Fapi.example.test");
  EXPECT_EQ(res.status, 200) << res.body;
}

}  // namespace
}  // namespace gh::oauth::testing
