// client_credentials: permissions only from the application's grant on the resource; RFC 9068
// access tokens; organization machine clients carry org_id.
#include "oauth_fixture.h"

namespace gh::oauth::testing {
namespace {

class ClientCredentials : public OAuthTest {
 protected:
  ClientCredentials() {
    api_ = make_resource("https://api.example.test", {"invoices:read", "invoices:write", "admin"});
    m2m_ = make_client({{"name", "m2m"}, {"grant_types", {"client_credentials"}}});
    grant(m2m_, api_, {"invoices:read", "invoices:write"});
  }
  store::Resource api_;
  Client m2m_;
};

TEST_F(ClientCredentials, IssuesAnRfc9068TokenWithTheGrantedPermissions) {
  auto res = token(m2m_,
                   "grant_type=client_credentials&resource=https%3A%2F%2Fapi.example.test"
                   "&scope=invoices%3Aread");
  ASSERT_EQ(res.status, 200) << res.body;
  EXPECT_EQ(header(res, "Cache-Control"), "no-store");
  auto b = body(res);
  EXPECT_EQ(b["token_type"], "Bearer");
  EXPECT_EQ(b["expires_in"], 300);
  EXPECT_EQ(b["scope"], "invoices:read");
  EXPECT_FALSE(b.contains("refresh_token"));
  auto c = claims_of(b["access_token"]);
  EXPECT_EQ(c["__typ"], "at+jwt");
  EXPECT_EQ(c["iss"], "https://id.example/sandbox");
  EXPECT_EQ(c["aud"], "https://api.example.test");
  EXPECT_EQ(c["sub"], m2m_.app.client_id);
  EXPECT_EQ(c["client_id"], m2m_.app.client_id);
  EXPECT_EQ(c["scope"], "invoices:read");
  EXPECT_EQ(c["permissions"], nlohmann::json({"invoices:read"}));
  EXPECT_EQ(c["exp"].get<int64_t>() - c["iat"].get<int64_t>(), 300);
  EXPECT_FALSE(c["jti"].get<std::string>().empty());
  EXPECT_FALSE(c.contains("org_id"));
  EXPECT_FALSE(c.contains("auth_time"));
}

TEST_F(ClientCredentials, WithoutScopeAllGrantedAndWithoutResourceTheOnlyGrantedOne) {
  auto res = token(m2m_, "grant_type=client_credentials");
  ASSERT_EQ(res.status, 200) << res.body;
  auto c = claims_of(body(res)["access_token"]);
  EXPECT_EQ(c["aud"], "https://api.example.test");
  EXPECT_EQ(c["permissions"], nlohmann::json({"invoices:read", "invoices:write"}));
  // With a second grant, the resource must be named.
  auto other = make_resource("https://other.example.test", {"x"});
  grant(m2m_, other, {"x"});
  res = token(m2m_, "grant_type=client_credentials");
  EXPECT_EQ(res.status, 400);
  EXPECT_EQ(body(res)["error"], "invalid_target");
}

TEST_F(ClientCredentials, AnyScopeNotGrantedIsInvalidScope) {
  for (const char* scope : {"admin", "invoices%3Aread+admin", "openid", "nope"}) {
    auto res = token(m2m_, std::string("grant_type=client_credentials&scope=") + scope);
    EXPECT_EQ(res.status, 400) << scope;
    EXPECT_EQ(body(res)["error"], "invalid_scope") << scope;
  }
}

TEST_F(ClientCredentials, UnknownOrUngrantedResourceIsInvalidTarget) {
  make_resource("https://ungranted.example.test", {"x"});
  for (const char* r :
       {"https%3A%2F%2Fnope.example.test", "https%3A%2F%2Fungranted.example.test"}) {
    auto res = token(m2m_, std::string("grant_type=client_credentials&resource=") + r);
    EXPECT_EQ(res.status, 400);
    EXPECT_EQ(body(res)["error"], "invalid_target");
  }
  auto res = token(m2m_,
                   "grant_type=client_credentials&resource=https%3A%2F%2Fapi.example.test"
                   "&resource=https%3A%2F%2Fapi.example.test");
  EXPECT_EQ(body(res)["error"], "invalid_target");
}

TEST_F(ClientCredentials, OrganizationMachineClientCarriesOrgId) {
  auto acme_m2m = make_client({{"name", "acme m2m"}}, acme_.id);
  EXPECT_EQ(acme_m2m.app.grant_types, std::vector<std::string>{"client_credentials"});
  grant(acme_m2m, api_, {"invoices:read"});
  auto res = token(acme_m2m, "grant_type=client_credentials");
  ASSERT_EQ(res.status, 200) << res.body;
  auto c = claims_of(body(res)["access_token"]);
  EXPECT_EQ(c["org_id"], acme_.id);
  EXPECT_EQ(c["iss"], "https://id.example/sandbox");
  // An organization with its own issuer signs under it.
  signer_.own_issuers.insert(acme_.id);
  res = token(acme_m2m, "grant_type=client_credentials");
  ASSERT_EQ(res.status, 200) << res.body;
  c = claims_of(body(res)["access_token"]);
  EXPECT_EQ(c["iss"], "https://id.example/sandbox/o/" + acme_.id);
}

TEST_F(ClientCredentials, ClientNotRegisteredForTheGrantIsUnauthorized) {
  auto web = make_client({{"name", "web"}, {"redirect_uris", {kRedirect}}});
  auto res = token(web, "grant_type=client_credentials");
  EXPECT_EQ(res.status, 400);
  EXPECT_EQ(body(res)["error"], "unauthorized_client");
  res = token(web, "grant_type=password&username=a&password=b");
  EXPECT_EQ(body(res)["error"], "unsupported_grant_type");
  res = token(web, "scope=x");
  EXPECT_EQ(body(res)["error"], "invalid_request");
}

TEST_F(ClientCredentials, AccessTokenLifetimeFollowsTheApplication) {
  auto app = m2m_.app;
  auto updated =
      apps_->update(env_, "", app.id, {{"access_token_ttl_s", 3600}}, app.version, actor_);
  ASSERT_TRUE(updated);
  auto res = token(m2m_, "grant_type=client_credentials");
  ASSERT_EQ(res.status, 200);
  EXPECT_EQ(body(res)["expires_in"], 3600);
  EXPECT_FALSE(
      apps_->update(env_, "", app.id, {{"access_token_ttl_s", 3601}}, updated->version, actor_));
}

}  // namespace
}  // namespace gh::oauth::testing
