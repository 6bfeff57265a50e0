// Introspection (RFC 7662), revocation (RFC 7009), UserInfo and discovery.
#include "core/encoding.h"
#include "oauth_fixture.h"

namespace gh::oauth::testing {
namespace {

class Endpoints : public OAuthTest {
 protected:
  Endpoints() {
    api_ = make_resource("https://api.example.test", {"invoices:read"});
    m2m_ = make_client({{"name", "m2m"}, {"grant_types", {"client_credentials"}}});
    rs_ = make_client({{"name", "resource server"}, {"grant_types", {"client_credentials"}}});
    web_ = make_client({{"name", "web"}, {"redirect_uris", {kRedirect}}});
    grant(m2m_, api_, {"invoices:read"});
    grant(web_, api_, {"invoices:read"});
  }
  std::string m2m_token(const Client& c) {
    auto res = token(c, "grant_type=client_credentials");
    EXPECT_EQ(res.status, 200) << res.body;
    return body(res)["access_token"];
  }
  nlohmann::json user_tokens(const std::string& scope = "openid email offline_access") {
    auto code = put_code(
        web_, "user-alice",
        {{"scope", scope}, {"code_challenge", kChallenge}, {"code_challenge_method", "S256"}},
        acme_.id);
    auto res = token(web_, "grant_type=authorization_code&code=" + code + "&redirect_uri=" +
                               percent_encode(kRedirect) + "&code_verifier=" + kVerifier);
    EXPECT_EQ(res.status, 200) << res.body;
    return body(res);
  }
  nlohmann::json introspect(const Client& c, const std::string& t, const std::string& hint = "",
                            const store::Environment* env = nullptr) {
    std::string b = "token=" + percent_encode(t);
    if (!hint.empty()) b += "&token_type_hint=" + hint;
    auto res = introspection_endpoint(*provider_, env ? *env : env_,
                                      form_request(b, c.app.client_id, c.secret));
    EXPECT_EQ(header(res, "Cache-Control"), "no-store");
    return body(res);
  }
  http::Response revoke(const Client& c, const std::string& t) {
    return revocation_endpoint(
        *provider_, env_, form_request("token=" + percent_encode(t), c.app.client_id, c.secret));
  }
  http::Response userinfo(const std::string& bearer) {
    http::Request req;
    req.method = "GET";
    req.headers.push_back({"Authorization", "Bearer " + bearer});
    return userinfo_endpoint(*provider_, env_, req);
  }
  store::Resource api_;
  Client m2m_, rs_, web_;
};

TEST_F(Endpoints, IntrospectionReportsActiveTokens) {
  auto at = m2m_token(m2m_);
  auto j = introspect(rs_, at);
  EXPECT_EQ(j["active"], true);
  EXPECT_EQ(j["token_type"], "access_token");
  EXPECT_EQ(j["client_id"], m2m_.app.client_id);
  EXPECT_EQ(j["sub"], m2m_.app.client_id);
  EXPECT_EQ(j["aud"], "https://api.example.test");
  EXPECT_EQ(j["scope"], "invoices:read");
  EXPECT_TRUE(j["exp"].is_number());
  EXPECT_TRUE(j["iat"].is_number());
  // Expired.
  clock_.advance(std::chrono::seconds(300));
  EXPECT_EQ(introspect(rs_, at), nlohmann::json({{"active", false}}));
  // Garbage and unknown.
  EXPECT_EQ(introspect(rs_, "not-a-token")["active"], false);
  EXPECT_EQ(introspect(rs_, "a.b.c")["active"], false);
}

TEST_F(Endpoints, IntrospectionIsolation) {
  auto at = m2m_token(m2m_);
  // Another environment's resource server sees nothing.
  auto prod_rs =
      make_client({{"name", "prod rs"}, {"grant_types", {"client_credentials"}}}, "", &other_env_);
  EXPECT_EQ(introspect(prod_rs, at, "", &other_env_)["active"], false);
  // An organization's machine client sees only its organization's tokens.
  auto acme_rs = make_client({{"name", "acme rs"}}, acme_.id);
  auto globex_rs = make_client({{"name", "globex rs"}}, globex_.id);
  grant(acme_rs, api_, {"invoices:read"});
  auto acme_token = m2m_token(acme_rs);
  EXPECT_EQ(introspect(acme_rs, acme_token)["active"], true);
  EXPECT_EQ(introspect(acme_rs, acme_token)["org_id"], acme_.id);
  EXPECT_EQ(introspect(globex_rs, acme_token)["active"], false);
  EXPECT_EQ(introspect(globex_rs, at)["active"], false);
  // Public clients cannot introspect.
  auto spa = make_client({{"name", "spa"}, {"type", "public"}, {"redirect_uris", {kRedirect}}});
  auto res = introspection_endpoint(
      *provider_, env_, form_request("token=" + at + "&client_id=" + spa.app.client_id));
  EXPECT_EQ(res.status, 401);
  EXPECT_EQ(body(res)["error"], "invalid_client");
}

TEST_F(Endpoints, RefreshTokensIntrospectOnlyForTheirClient) {
  auto t = user_tokens();
  auto own = introspect(web_, t["refresh_token"].get<std::string>(), "refresh_token");
  EXPECT_EQ(own["active"], true);
  EXPECT_EQ(own["token_type"], "refresh_token");
  EXPECT_EQ(own["sub"], "user-alice");
  EXPECT_EQ(introspect(rs_, t["refresh_token"].get<std::string>())["active"], false);
}

TEST_F(Endpoints, RevokingAnAccessTokenDenyListsIt) {
  auto at = m2m_token(m2m_);
  EXPECT_EQ(introspect(rs_, at)["active"], true);  // now cached
  // Another client cannot revoke it (200, nothing changes).
  EXPECT_EQ(revoke(rs_, at).status, 200);
  EXPECT_EQ(introspect(rs_, at)["active"], true);
  auto res = revoke(m2m_, at);
  EXPECT_EQ(res.status, 200);
  EXPECT_EQ(introspect(rs_, at)["active"], false);
  // Unknown tokens: 200.
  EXPECT_EQ(revoke(m2m_, "whatever").status, 200);
  // Bad client authentication is still refused.
  Client wrong = m2m_;
  wrong.secret = "gh_cs_x_y";
  EXPECT_EQ(revoke(wrong, at).status, 401);
}

TEST_F(Endpoints, RevokingARefreshTokenRevokesItsFamily) {
  auto t = user_tokens();
  const std::string rt = t["refresh_token"];
  auto refreshed = token(web_, "grant_type=refresh_token&refresh_token=" + percent_encode(rt));
  ASSERT_EQ(refreshed.status, 200);
  const std::string rt2 = body(refreshed)["refresh_token"];
  EXPECT_EQ(revoke(m2m_, rt2).status, 200);  // not its token: nothing happens
  EXPECT_EQ(introspect(web_, rt2)["active"], true);
  EXPECT_EQ(revoke(web_, rt2).status, 200);
  EXPECT_EQ(introspect(web_, rt2)["active"], false);
  auto again = token(web_, "grant_type=refresh_token&refresh_token=" + percent_encode(rt2));
  EXPECT_EQ(body(again)["error"], "invalid_grant");
}

TEST_F(Endpoints, UserInfo) {
  auto t = user_tokens();
  auto res = userinfo(t["access_token"].get<std::string>());
  ASSERT_EQ(res.status, 200) << res.body;
  auto j = body(res);
  EXPECT_EQ(j["sub"], "user-alice");
  EXPECT_EQ(j["email"], "alice@acme.example");
  EXPECT_FALSE(j.contains("name"));  // no profile scope
  // A client_credentials token has no user.
  res = userinfo(m2m_token(m2m_));
  EXPECT_EQ(res.status, 401);
  EXPECT_NE(header(res, "WWW-Authenticate").find("invalid_token"), std::string::npos);
  // No openid scope.
  auto no_openid = user_tokens("email");
  EXPECT_EQ(userinfo(no_openid["access_token"].get<std::string>()).status, 401);
  // Garbage and missing.
  EXPECT_EQ(userinfo("garbage").status, 401);
  http::Request bare;
  EXPECT_EQ(userinfo_endpoint(*provider_, env_, bare).status, 401);
  // Revoked.
  ASSERT_EQ(revoke(web_, t["access_token"].get<std::string>()).status, 200);
  EXPECT_EQ(userinfo(t["access_token"].get<std::string>()).status, 401);
}

TEST_F(Endpoints, DiscoveryIsCompleteAndTruthful) {
  auto res = discovery_endpoint(*provider_, env_, http::Request{});
  ASSERT_EQ(res.status, 200) << res.body;
  auto d = body(res);
  const std::string iss = "https://id.example/sandbox";
  EXPECT_EQ(d["issuer"], iss);
  EXPECT_EQ(d["authorization_endpoint"], iss + "/oauth2/authorize");
  EXPECT_EQ(d["token_endpoint"], iss + "/oauth2/token");
  EXPECT_EQ(d["userinfo_endpoint"], iss + "/oauth2/userinfo");
  EXPECT_EQ(d["jwks_uri"], iss + "/.well-known/jwks.json");
  EXPECT_EQ(d["introspection_endpoint"], iss + "/oauth2/introspect");
  EXPECT_EQ(d["revocation_endpoint"], iss + "/oauth2/revoke");
  EXPECT_EQ(d["response_types_supported"], nlohmann::json({"code"}));
  EXPECT_EQ(d["response_modes_supported"], nlohmann::json({"query", "form_post"}));
  EXPECT_EQ(d["grant_types_supported"],
            nlohmann::json({"authorization_code", "refresh_token", "client_credentials",
                            "urn:ietf:params:oauth:grant-type:token-exchange"}));
  EXPECT_EQ(d["subject_types_supported"], nlohmann::json({"public"}));
  EXPECT_EQ(d["id_token_signing_alg_values_supported"], nlohmann::json({"RS256", "ES256"}));
  EXPECT_EQ(d["code_challenge_methods_supported"], nlohmann::json({"S256"}));
  EXPECT_EQ(
      d["token_endpoint_auth_methods_supported"],
      nlohmann::json({"client_secret_basic", "client_secret_post", "private_key_jwt", "none"}));
  EXPECT_EQ(d["claims_supported"], nlohmann::json({"sub", "email", "name"}));
  EXPECT_EQ(d["claims_parameter_supported"], true);
  EXPECT_EQ(d["authorization_response_iss_parameter_supported"], true);
  EXPECT_EQ(d["request_parameter_supported"], false);
  auto scopes = d["scopes_supported"];
  EXPECT_NE(std::find(scopes.begin(), scopes.end(), "openid"), scopes.end());
  EXPECT_NE(std::find(scopes.begin(), scopes.end(), "invoices:read"), scopes.end());
}

}  // namespace
}  // namespace gh::oauth::testing
