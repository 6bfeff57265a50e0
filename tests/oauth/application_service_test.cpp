// Application and resource validation, secrets shown once, audit records, and isolation.
#include "oauth/error_codes.h"
#include "oauth_fixture.h"
#include "tenancy/error_codes.h"

namespace gh::oauth::testing {
namespace {

class ApplicationServiceTest : public OAuthTest {
 protected:
  Error create_error(const nlohmann::json& body, const std::string& org = "") {
    auto r = apps_->create(env_, org, body, actor_);
    EXPECT_FALSE(r);
    return r ? Error() : r.error();
  }
};

TEST_F(ApplicationServiceTest, RedirectUriRules) {
  EXPECT_FALSE(redirect_uri_problem("https://app.example/cb"));
  EXPECT_FALSE(redirect_uri_problem("http://127.0.0.1:3000/callback"));
  EXPECT_FALSE(redirect_uri_problem("http://[::1]:8080/cb"));
  EXPECT_FALSE(redirect_uri_problem("http://localhost/cb"));
  EXPECT_TRUE(redirect_uri_problem("http://app.example/cb"));
  EXPECT_TRUE(redirect_uri_problem("https://app.example/cb#frag"));
  EXPECT_TRUE(redirect_uri_problem("/relative/cb"));
  EXPECT_TRUE(redirect_uri_problem("https:///cb"));
  EXPECT_TRUE(redirect_uri_problem("https://user@app.example/cb"));
  EXPECT_TRUE(redirect_uri_problem("javascript:alert(1)"));
  EXPECT_TRUE(redirect_uri_problem("http://127.0.0.1.evil.example/cb"));
  auto e = create_error({{"name", "x"}, {"redirect_uris", {"http://app.example/cb"}}});
  EXPECT_EQ(e.code, errc::ApplicationInvalid);
  EXPECT_EQ(e.extra["field"], "redirect_uris");
}

TEST_F(ApplicationServiceTest, ClientTypeRules) {
  EXPECT_EQ(create_error({{"name", "spa"},
                          {"type", "public"},
                          {"redirect_uris", {kRedirect}},
                          {"pkce_required", false}})
                .extra["field"],
            "pkce_required");
  EXPECT_EQ(create_error({{"name", "spa"},
                          {"type", "public"},
                          {"redirect_uris", {kRedirect}},
                          {"grant_types", {"client_credentials"}}})
                .code,
            errc::ApplicationInvalid);
  EXPECT_EQ(create_error({{"name", "web"}}).extra["field"], "redirect_uris");
  EXPECT_EQ(
      create_error(
          {{"name", "web"}, {"redirect_uris", {kRedirect}}, {"token_endpoint_auth_method", "none"}})
          .extra["field"],
      "token_endpoint_auth_method");
  EXPECT_EQ(create_error({{"name", "web"}, {"redirect_uris", {kRedirect}}, {"bogus", 1}}).code,
            errc::ApplicationInvalid);
  // Organization machine clients use client_credentials only.
  EXPECT_EQ(
      create_error(
          {{"name", "m"}, {"grant_types", {"authorization_code"}}, {"redirect_uris", {kRedirect}}},
          acme_.id)
          .code,
      errc::ApplicationInvalid);
  auto unknown_org = apps_->create(env_, "no-such-org", {{"name", "m"}}, actor_);
  ASSERT_FALSE(unknown_org);
  EXPECT_EQ(unknown_org.error().code, errc::TenantNotFound);
}

TEST_F(ApplicationServiceTest, CreateShowsTheSecretOnceAndAudits) {
  auto created = apps_->create(env_, "", {{"name", "web"}, {"redirect_uris", {kRedirect}}}, actor_);
  ASSERT_TRUE(created);
  ASSERT_TRUE(created->client_secret);
  EXPECT_EQ(created->client_secret->rfind("gh_cs_", 0), 0u);
  EXPECT_EQ(created->app.client_id.rfind("gh_app_", 0), 0u);
  auto listed = apps_->list_secrets(env_, "", created->app.id);
  ASSERT_TRUE(listed);
  ASSERT_EQ(listed->size(), 1u);
  const auto j = client_secret_json((*listed)[0], clock_.now_ms());
  EXPECT_EQ(j.dump().find(*created->client_secret), std::string::npos);
  EXPECT_EQ((*listed)[0].hash.find(created->client_secret->substr(20)), std::string::npos);
  auto audit = store_->read<std::vector<store::AuditRecord>>(
      [&](store::Repositories& r) { return r.audit().list(env_.id, "", 0, 100); });
  ASSERT_TRUE(audit);
  std::vector<std::string> actions;
  for (const auto& rec : *audit) actions.push_back(rec.action);
  EXPECT_EQ(actions, (std::vector<std::string>{"application.created", "application.secret_added"}));
}

TEST_F(ApplicationServiceTest, IsolationBetweenOrganizationsAndEnvironments) {
  auto acme_app = apps_->create(env_, acme_.id, {{"name", "acme m2m"}}, actor_);
  ASSERT_TRUE(acme_app);
  for (const std::string& org : {globex_.id, std::string()}) {
    auto got = apps_->get(env_, org, acme_app->app.id);
    ASSERT_FALSE(got);
    EXPECT_EQ(got.error().code, errc::ApplicationNotFound);
    auto up = apps_->update(env_, org, acme_app->app.id, {{"name", "x"}}, 1, actor_);
    ASSERT_FALSE(up);
    EXPECT_EQ(up.error().code, errc::ApplicationNotFound);
    auto rm = apps_->remove(env_, org, acme_app->app.id, actor_);
    ASSERT_FALSE(rm);
    EXPECT_EQ(rm.error().code, errc::ApplicationNotFound);
    auto sec = apps_->add_secret(env_, org, acme_app->app.id, 0, actor_);
    ASSERT_FALSE(sec);
    EXPECT_EQ(sec.error().code, errc::ApplicationNotFound);
  }
  auto other_env = apps_->get(other_env_, acme_.id, acme_app->app.id);
  ASSERT_FALSE(other_env);
  EXPECT_EQ(other_env.error().code, errc::ApplicationNotFound);
  auto globex_list = apps_->list(env_, globex_.id, {});
  ASSERT_TRUE(globex_list);
  EXPECT_TRUE(globex_list->items.empty());
}

TEST_F(ApplicationServiceTest, PatchValidatesAndNeedsTheCurrentVersion) {
  auto created = apps_->create(env_, "", {{"name", "web"}, {"redirect_uris", {kRedirect}}}, actor_);
  ASSERT_TRUE(created);
  auto bad = apps_->update(env_, "", created->app.id, {{"redirect_uris", {"http://x.example/"}}},
                           created->app.version, actor_);
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().code, errc::ApplicationInvalid);
  auto stale = apps_->update(env_, "", created->app.id, {{"name", "new"}}, 99, actor_);
  ASSERT_FALSE(stale);
  EXPECT_EQ(stale.error().code, errc::RequestPreconditionFailed);
  auto ok = apps_->update(env_, "", created->app.id, {{"name", "new"}, {"pkce_required", false}},
                          created->app.version, actor_);
  ASSERT_TRUE(ok) << ok.error().text();
  EXPECT_EQ(ok->name, "new");
  EXPECT_FALSE(ok->pkce_required);
  auto type_change =
      apps_->update(env_, "", created->app.id, {{"type", "public"}}, ok->version, actor_);
  EXPECT_FALSE(type_change);
}

TEST_F(ApplicationServiceTest, ResourceValidation) {
  auto bad = [&](const nlohmann::json& body) {
    auto r = apps_->create_resource(env_, body, actor_);
    EXPECT_FALSE(r) << body.dump();
    if (!r) {
      EXPECT_EQ(r.error().code, errc::ResourceInvalid);
    }
  };
  bad({{"identifier", "not a uri"}});
  bad({{"identifier", "https://api.example/#frag"}});
  bad({{"identifier", "https://api.example"}, {"permissions", {"openid"}}});
  bad({{"identifier", "https://api.example"}, {"permissions", {"has space"}}});
  bad({{"identifier", "https://api.example"}, {"permissions", {"a", "a"}}});
  auto ok = apps_->create_resource(
      env_, {{"identifier", "urn:api:billing"}, {"permissions", {{{"name", "bill:read"}}}}},
      actor_);
  ASSERT_TRUE(ok) << ok.error().text();
  auto dup = apps_->create_resource(env_, {{"identifier", "urn:api:billing"}}, actor_);
  ASSERT_FALSE(dup);
  EXPECT_EQ(dup.error().code, errc::ResourceAlreadyExists);
  auto other_env = apps_->get_resource(other_env_, ok->id);
  ASSERT_FALSE(other_env);
  EXPECT_EQ(other_env.error().code, errc::ResourceNotFound);
}

}  // namespace
}  // namespace gh::oauth::testing
