// RFC 8693 token exchange: narrowing permissions, keeping the audience, refusing to widen
// either (invalid_scope, invalid_target), delegation with a nested act claim, the lifetime
// bound, inactive, revoked, other environments' and other organizations' tokens, and clients
// not registered for the grant.
#include "core/encoding.h"
#include "oauth/token_exchange_grant.h"
#include "oauth_fixture.h"

namespace gh::oauth::testing {
namespace {

const std::string kGrant = "urn%3Aietf%3Aparams%3Aoauth%3Agrant-type%3Atoken-exchange";
const std::string kType = "urn%3Aietf%3Aparams%3Aoauth%3Atoken-type%3Aaccess_token";

class TokenExchange : public OAuthTest {
 protected:
  TokenExchange() {
    api_ = make_resource("https://api.example.test", {"invoices:read", "invoices:write"});
    other_api_ = make_resource("https://other.example.test", {"reports:read"});
    m2m_ = make_client({{"name", "m2m"}, {"grant_types", {"client_credentials"}}});
    grant(m2m_, api_, {"invoices:read", "invoices:write"});
    grant(m2m_, other_api_, {"reports:read"});
    svc_ =
        make_client({{"name", "service"},
                     {"grant_types",
                      {"client_credentials", "urn:ietf:params:oauth:grant-type:token-exchange"}}});
    grant(svc_, api_, {"invoices:read"});
  }
  std::string m2m_token(const Client& c, const std::string& extra = "") {
    auto res = token(c, "grant_type=client_credentials" + extra);
    EXPECT_EQ(res.status, 200) << res.body;
    return body(res)["access_token"];
  }
  http::Response exchange(const std::string& subject, const std::string& extra = "",
                          const Client* c = nullptr) {
    return token(c ? *c : svc_, "grant_type=" + kGrant + "&subject_token=" + subject +
                                    "&subject_token_type=" + kType + extra);
  }
  store::Resource api_, other_api_;
  Client m2m_, svc_;
};

TEST_F(TokenExchange, NarrowsPermissionsAndKeepsTheAudience) {
  const auto subject = m2m_token(m2m_, "&resource=" + percent_encode(api_.identifier));
  auto res = exchange(subject, "&scope=invoices%3Aread");
  ASSERT_EQ(res.status, 200) << res.body;
  EXPECT_EQ(body(res)["issued_token_type"], "urn:ietf:params:oauth:token-type:access_token");
  EXPECT_EQ(body(res)["token_type"], "Bearer");
  EXPECT_EQ(body(res)["scope"], "invoices:read");
  auto c = claims_of(body(res)["access_token"]);
  EXPECT_EQ(c["sub"], m2m_.app.client_id);
  EXPECT_EQ(c["aud"], api_.identifier);
  EXPECT_EQ(c["client_id"], svc_.app.client_id);
  EXPECT_EQ(c["permissions"], nlohmann::json::array({"invoices:read"}));
  EXPECT_FALSE(c.contains("act"));
  // Without scope: the subject token's; naming its own audience is allowed.
  auto same = exchange(subject, "&resource=" + percent_encode(api_.identifier));
  ASSERT_EQ(same.status, 200) << same.body;
  EXPECT_EQ(claims_of(body(same)["access_token"])["permissions"].size(), 2u);
}

TEST_F(TokenExchange, NeverWidens) {
  const auto narrow =
      m2m_token(m2m_, "&resource=" + percent_encode(api_.identifier) + "&scope=invoices%3Aread");
  auto wider = exchange(narrow, "&scope=invoices%3Aread%20invoices%3Awrite");
  EXPECT_EQ(body(wider)["error"], "invalid_scope") << wider.body;
  auto elsewhere = exchange(narrow, "&resource=" + percent_encode(other_api_.identifier));
  EXPECT_EQ(body(elsewhere)["error"], "invalid_target") << elsewhere.body;
  auto audience = exchange(narrow, "&audience=" + percent_encode(other_api_.identifier));
  EXPECT_EQ(body(audience)["error"], "invalid_target");
  // An exchanged token can itself only be narrowed further.
  auto once = exchange(narrow);
  ASSERT_EQ(once.status, 200) << once.body;
  auto twice = exchange(body(once)["access_token"], "&scope=invoices%3Awrite");
  EXPECT_EQ(body(twice)["error"], "invalid_scope");
}

TEST_F(TokenExchange, DelegationNestsTheActClaim) {
  const auto subject = m2m_token(m2m_, "&resource=" + percent_encode(api_.identifier));
  const auto actor = m2m_token(svc_);
  auto res = exchange(subject, "&actor_token=" + actor + "&actor_token_type=" + kType);
  ASSERT_EQ(res.status, 200) << res.body;
  auto c = claims_of(body(res)["access_token"]);
  EXPECT_EQ(c["sub"], m2m_.app.client_id);
  EXPECT_EQ(c["act"]["sub"], svc_.app.client_id);
  EXPECT_FALSE(c["act"].contains("act"));
  // A second hop by another service: the first actor becomes the prior actor.
  auto svc2 = make_client(
      {{"name", "service 2"},
       {"grant_types", {"client_credentials", "urn:ietf:params:oauth:grant-type:token-exchange"}}});
  grant(svc2, api_, {"invoices:read"});
  auto hop = exchange(body(res)["access_token"],
                      "&actor_token=" + m2m_token(svc2) + "&actor_token_type=" + kType, &svc2);
  ASSERT_EQ(hop.status, 200) << hop.body;
  auto h = claims_of(body(hop)["access_token"]);
  EXPECT_EQ(h["act"]["sub"], svc2.app.client_id);
  EXPECT_EQ(h["act"]["act"]["sub"], svc_.app.client_id);
  // Without an actor token the chain is kept, not dropped.
  auto plain = exchange(body(hop)["access_token"], "", &svc2);
  ASSERT_EQ(plain.status, 200);
  EXPECT_EQ(claims_of(body(plain)["access_token"])["act"], h["act"]);
  // Someone else's actor token, or a type mismatch, is refused.
  const auto foreign_actor = m2m_token(m2m_, "&resource=" + percent_encode(api_.identifier));
  auto foreign = exchange(subject, "&actor_token=" + foreign_actor + "&actor_token_type=" + kType);
  EXPECT_EQ(body(foreign)["error"], "invalid_grant");
  auto untyped = exchange(subject, "&actor_token=" + actor);
  EXPECT_EQ(body(untyped)["error"], "invalid_request");
}

TEST_F(TokenExchange, NeverOutlivesTheSubjectToken) {
  const auto subject = m2m_token(m2m_, "&resource=" + percent_encode(api_.identifier));
  const auto subject_exp = claims_of(subject)["exp"].get<int64_t>();
  clock_.advance(std::chrono::seconds(200));
  auto res = exchange(subject);
  ASSERT_EQ(res.status, 200) << res.body;
  EXPECT_LE(claims_of(body(res)["access_token"])["exp"].get<int64_t>(), subject_exp);
  EXPECT_LE(body(res)["expires_in"].get<int64_t>(), 100);
  clock_.advance(std::chrono::seconds(100));
  EXPECT_EQ(body(exchange(subject))["error"], "invalid_grant");
}

TEST_F(TokenExchange, RefusesInactiveForeignAndUnregistered) {
  EXPECT_EQ(body(exchange("garbage"))["error"], "invalid_grant");
  const auto subject = m2m_token(m2m_, "&resource=" + percent_encode(api_.identifier));
  // Wrong or missing subject_token_type.
  auto untyped = token(svc_, "grant_type=" + kGrant + "&subject_token=" + subject);
  EXPECT_EQ(body(untyped)["error"], "invalid_request");
  // A client not registered for the grant.
  auto res = exchange(subject, "", &m2m_);
  EXPECT_EQ(body(res)["error"], "unauthorized_client");
  // Another environment's client cannot use this environment's token.
  auto prod = make_client(
      {{"name", "prod"},
       {"grant_types", {"client_credentials", "urn:ietf:params:oauth:grant-type:token-exchange"}}},
      "", &other_env_);
  auto cross = call_token(form_request("grant_type=" + kGrant + "&subject_token=" + subject +
                                           "&subject_token_type=" + kType,
                                       prod.app.client_id, prod.secret),
                          &other_env_);
  EXPECT_EQ(body(cross)["error"], "invalid_grant") << cross.body;
  // An organization's machine client cannot exchange another organization's (or no
  // organization's) token.
  auto acme_svc = make_client(
      {{"name", "acme svc"},
       {"grant_types", {"client_credentials", "urn:ietf:params:oauth:grant-type:token-exchange"}}},
      acme_.id);
  auto other_org = exchange(subject, "", &acme_svc);
  EXPECT_EQ(body(other_org)["error"], "invalid_grant");
  // A revoked subject token.
  ASSERT_EQ(revocation_endpoint(*provider_, env_,
                                form_request("token=" + subject, m2m_.app.client_id, m2m_.secret))
                .status,
            200);
  EXPECT_EQ(body(exchange(subject))["error"], "invalid_grant");
}

TEST_F(TokenExchange, DiscoveryListsTheGrant) {
  auto doc = provider_->discovery(env_);
  ASSERT_TRUE(doc);
  const auto& g = (*doc)["grant_types_supported"];
  EXPECT_NE(std::find(g.begin(), g.end(), "urn:ietf:params:oauth:grant-type:token-exchange"),
            g.end());
}

}  // namespace
}  // namespace gh::oauth::testing
