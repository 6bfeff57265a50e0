// Client authentication at the token endpoint: basic, post, none; wrong, expired and revoked
// secrets; public clients with a secret; another environment's client.
#include "core/encoding.h"
#include "oauth/error_codes.h"
#include "oauth_fixture.h"

namespace gh::oauth::testing {
namespace {

class ClientAuthentication : public OAuthTest {
 protected:
  ClientAuthentication() {
    api_ = make_resource("https://api.example.test", {"invoices:read"});
    m2m_ = make_client({{"name", "m2m"}, {"grant_types", {"client_credentials"}}});
    grant(m2m_, api_, {"invoices:read"});
  }
  void expect_invalid_client(const http::Response& res, bool basic) {
    EXPECT_EQ(res.status, 401) << res.body;
    EXPECT_EQ(body(res)["error"], "invalid_client");
    EXPECT_EQ(!header(res, "WWW-Authenticate").empty(), basic);
    EXPECT_EQ(header(res, "Cache-Control"), "no-store");
  }
  store::Resource api_;
  Client m2m_;
};

TEST_F(ClientAuthentication, BasicWorksAndWrongSecretFails) {
  EXPECT_EQ(token(m2m_, "grant_type=client_credentials").status, 200);
  Client wrong = m2m_;
  wrong.secret[wrong.secret.size() - 1] = wrong.secret.back() == 'A' ? 'B' : 'A';
  expect_invalid_client(token(wrong, "grant_type=client_credentials"), true);
  wrong.secret = "not-a-typed-secret";
  expect_invalid_client(token(wrong, "grant_type=client_credentials"), true);
  // Registered for basic: post is refused.
  auto post =
      call_token(form_request("grant_type=client_credentials&client_id=" + m2m_.app.client_id +
                              "&client_secret=" + m2m_.secret));
  expect_invalid_client(post, false);
  // Both at once is a malformed request.
  auto both = call_token(form_request("grant_type=client_credentials&client_secret=" + m2m_.secret,
                                      m2m_.app.client_id, m2m_.secret));
  EXPECT_EQ(body(both)["error"], "invalid_request");
}

TEST_F(ClientAuthentication, ClientSecretPost) {
  auto c = make_client({{"name", "post"},
                        {"grant_types", {"client_credentials"}},
                        {"token_endpoint_auth_method", "client_secret_post"}});
  grant(c, api_, {"invoices:read"});
  auto ok = call_token(form_request("grant_type=client_credentials&client_id=" + c.app.client_id +
                                    "&client_secret=" + c.secret));
  EXPECT_EQ(ok.status, 200) << ok.body;
  expect_invalid_client(
      call_token(form_request("grant_type=client_credentials&client_id=" + c.app.client_id)),
      false);
}

TEST_F(ClientAuthentication, SeveralSecretsLiveAtOnceWithExpiryAndRevocation) {
  auto second = apps_->add_secret(env_, "", m2m_.app.id, clock_.now_ms() + 10'000, actor_);
  ASSERT_TRUE(second);
  Client with_second = m2m_;
  with_second.secret = second->value;
  EXPECT_EQ(token(m2m_, "grant_type=client_credentials").status, 200);
  EXPECT_EQ(token(with_second, "grant_type=client_credentials").status, 200);
  // Expiry at the edge.
  clock_.advance(std::chrono::milliseconds(9'999));
  EXPECT_EQ(token(with_second, "grant_type=client_credentials").status, 200);
  clock_.advance(std::chrono::milliseconds(1));
  auto expired = token(with_second, "grant_type=client_credentials");
  expect_invalid_client(expired, true);
  EXPECT_NE(body(expired)["error_description"].get<std::string>().find("expired"),
            std::string::npos);
  // Revocation of the first.
  auto secrets = apps_->list_secrets(env_, "", m2m_.app.id);
  ASSERT_TRUE(secrets);
  ASSERT_EQ(secrets->size(), 2u);
  // The first secret is the one that is not `second` (both may share a creation millisecond).
  const auto& first = (*secrets)[0].id == second->secret.id ? (*secrets)[1] : (*secrets)[0];
  ASSERT_TRUE(apps_->revoke_secret(env_, "", m2m_.app.id, first.id, actor_));
  auto revoked = token(m2m_, "grant_type=client_credentials");
  expect_invalid_client(revoked, true);
  EXPECT_NE(body(revoked)["error_description"].get<std::string>().find("revoked"),
            std::string::npos);
}

TEST_F(ClientAuthentication, PublicClientsSendNoSecret) {
  auto spa = make_client({{"name", "spa"}, {"type", "public"}, {"redirect_uris", {kRedirect}}});
  EXPECT_TRUE(spa.secret.empty());
  EXPECT_EQ(spa.app.token_endpoint_auth_method, "none");
  // With a secret (any): refused.
  expect_invalid_client(call_token(form_request("grant_type=authorization_code&code=x",
                                                spa.app.client_id, "gh_cs_abc_def")),
                        true);
  // Without: authenticated (the grant then fails on the unknown code).
  auto res =
      call_token(form_request("grant_type=authorization_code&code=x&redirect_uri=" +
                              percent_encode(kRedirect) + "&client_id=" + spa.app.client_id));
  EXPECT_EQ(body(res)["error"], "invalid_grant");
  // No secrets can be added to a public client.
  auto s = apps_->add_secret(env_, "", spa.app.id, 0, actor_);
  ASSERT_FALSE(s);
  EXPECT_EQ(s.error().code, errc::ClientSecretNotAllowed);
}

TEST_F(ClientAuthentication, AnotherEnvironmentsClientIsUnknown) {
  auto prod =
      make_client({{"name", "prod m2m"}, {"grant_types", {"client_credentials"}}}, "", &other_env_);
  // Correct credentials, wrong environment: invalid_client.
  expect_invalid_client(
      call_token(form_request("grant_type=client_credentials", prod.app.client_id, prod.secret)),
      true);
  EXPECT_EQ(
      call_token(form_request("grant_type=client_credentials", prod.app.client_id, prod.secret),
                 &other_env_)
          .status,
      400);  // authenticated there; no grant on any resource: invalid_target
}

TEST_F(ClientAuthentication, DisabledApplicationCannotAuthenticate) {
  auto updated =
      apps_->update(env_, "", m2m_.app.id, {{"status", "disabled"}}, m2m_.app.version, actor_);
  ASSERT_TRUE(updated);
  expect_invalid_client(token(m2m_, "grant_type=client_credentials"), true);
}

// The token endpoint reads the client from a short cache (application_cache.h): a change
// through ApplicationService drops it at once (the tests above), a write that bypasses it
// (another process on SQLite) is seen once the TTL has passed.
TEST_F(ClientAuthentication, ClientCacheServesWithinItsTtl) {
  EXPECT_EQ(token(m2m_, "grant_type=client_credentials").status, 200);
  auto disabled = store_->transact<store::Application>([&](store::Repositories& r) {
    auto a = r.applications().get(env_.id, "", m2m_.app.id);
    if (!a) return a;
    a->status = "disabled";
    return r.applications().update(*a);
  });
  ASSERT_TRUE(disabled) << disabled.error().text();
  EXPECT_EQ(token(m2m_, "grant_type=client_credentials").status, 200);
  clock_.advance(std::chrono::milliseconds(kApplicationCacheTtlMs));
  expect_invalid_client(token(m2m_, "grant_type=client_credentials"), true);
}

TEST_F(ClientAuthentication, MalformedBodies) {
  auto req = form_request("grant_type=client_credentials", m2m_.app.client_id, m2m_.secret);
  req.headers[0].second = "application/json";
  EXPECT_EQ(body(call_token(req))["error"], "invalid_request");
  auto dup = token(m2m_, "grant_type=client_credentials&grant_type=client_credentials");
  EXPECT_EQ(body(dup)["error"], "invalid_request");
}

}  // namespace
}  // namespace gh::oauth::testing
