// private_key_jwt (RFC 7523, OIDC Core §9) at the token endpoint: a good assertion works once;
// wrong aud (array, token endpoint URL, another issuer), iss/sub not the client, replayed jti,
// exp too far ahead or past, missing jti, an unregistered key, HS256/none, doubled methods,
// and registration rules for the JWKS.
#include "oauth/client_assertion.h"
#include "core/encoding.h"
#include "crypto/jose/jwt.h"
#include "oauth/error_codes.h"
#include "oauth_fixture.h"

namespace gh::oauth::testing {
namespace {

// EC keys: generated quickly even under ASan.
const jose::KeyEntry& client_key() {
  static const jose::KeyEntry key =
      *jose::KeySet::generate(jose::KeySpec::EcP256, jose::Alg::ES256);
  return key;
}
const jose::KeyEntry& stranger_key() {
  static const jose::KeyEntry key =
      *jose::KeySet::generate(jose::KeySpec::EcP256, jose::Alg::ES256);
  return key;
}

nlohmann::json public_jwks(const jose::KeyEntry& k) {
  nlohmann::json jwk = k.key.public_json();
  jwk["kid"] = k.kid;
  jwk["alg"] = "ES256";
  jwk["use"] = "sig";
  return {{"keys", {jwk}}};
}

class PrivateKeyJwt : public OAuthTest {
 protected:
  PrivateKeyJwt() {
    api_ = make_resource("https://api.example.test", {"invoices:read"});
    pkj_ = make_client({{"name", "pkj"},
                        {"grant_types", {"client_credentials"}},
                        {"token_endpoint_auth_method", "private_key_jwt"},
                        {"jwks", public_jwks(client_key())}});
    grant(pkj_, api_, {"invoices:read"});
    issuer_ = signer_.issuer_url(env_, "");
  }
  nlohmann::json claims(const std::string& jti = "") {
    const int64_t now = clock_.now_ms() / 1000;
    return {{"iss", pkj_.app.client_id},
            {"sub", pkj_.app.client_id},
            {"aud", issuer_},
            {"jti", jti.empty() ? "jti-" + std::to_string(++counter_) : jti},
            {"iat", now},
            {"exp", now + 60}};
  }
  std::string sign(const nlohmann::json& c, const jose::KeyEntry& key = client_key()) {
    auto jwt = jose::jwt_sign(key, c);
    EXPECT_TRUE(jwt);
    return *jwt;
  }
  http::Response with_assertion(const std::string& assertion, const std::string& extra = "") {
    return call_token(form_request("grant_type=client_credentials&client_assertion_type=" +
                                   percent_encode(std::string(kJwtBearerAssertionType)) +
                                   "&client_assertion=" + assertion + extra));
  }
  void expect_refused(const http::Response& res, const std::string& why) {
    EXPECT_EQ(res.status, 401) << res.body;
    EXPECT_EQ(body(res)["error"], "invalid_client") << res.body;
    EXPECT_NE(body(res)["error_description"].get<std::string>().find(why), std::string::npos)
        << res.body;
  }
  store::Resource api_;
  Client pkj_;
  std::string issuer_;
  int counter_ = 0;
};

TEST_F(PrivateKeyJwt, RegisteredClientGetsNoSecretAndAGoodAssertionWorks) {
  EXPECT_TRUE(pkj_.secret.empty());
  auto res = with_assertion(sign(claims()));
  ASSERT_EQ(res.status, 200) << res.body;
  EXPECT_EQ(claims_of(body(res)["access_token"])["client_id"], pkj_.app.client_id);
  // client_id in the body is allowed when it matches.
  EXPECT_EQ(with_assertion(sign(claims()), "&client_id=" + pkj_.app.client_id).status, 200);
  auto other = with_assertion(sign(claims()), "&client_id=someone-else");
  EXPECT_EQ(body(other)["error"], "invalid_client");
}

TEST_F(PrivateKeyJwt, AudienceMustBeExactlyTheIssuerAsAString) {
  auto c = claims();
  c["aud"] = nlohmann::json::array({issuer_});
  expect_refused(with_assertion(sign(c)), "single string");
  c = claims();
  c["aud"] = issuer_ + "/oauth2/token";
  expect_refused(with_assertion(sign(c)), "exactly the issuer");
  c = claims();
  c["aud"] = nlohmann::json::array({issuer_, "https://attacker.example"});
  expect_refused(with_assertion(sign(c)), "single string");
  c = claims();
  c.erase("aud");
  expect_refused(with_assertion(sign(c)), "single string");
  c = claims();
  c["aud"] = issuer_ + "/";
  expect_refused(with_assertion(sign(c)), "exactly the issuer");
}

TEST_F(PrivateKeyJwt, JtiIsUsedOnceUntilTheAssertionExpires) {
  const auto assertion = sign(claims("once"));
  ASSERT_EQ(with_assertion(assertion).status, 200);
  expect_refused(with_assertion(assertion), "already used");
  // Another assertion reusing the jti is a replay too.
  expect_refused(with_assertion(sign(claims("once"))), "already used");
  // The mark is tenant-scoped: another client may use the same jti.
  auto second = make_client({{"name", "pkj2"},
                             {"grant_types", {"client_credentials"}},
                             {"token_endpoint_auth_method", "private_key_jwt"},
                             {"jwks", public_jwks(client_key())}});
  grant(second, api_, {"invoices:read"});
  auto c = claims("once");
  c["iss"] = c["sub"] = second.app.client_id;
  EXPECT_EQ(with_assertion(sign(c)).status, 200);
  auto missing = claims();
  missing.erase("jti");
  expect_refused(with_assertion(sign(missing)), "jti is required");
  auto longer = claims(std::string(300, 'j'));
  expect_refused(with_assertion(sign(longer)), "jti is too long");
}

TEST_F(PrivateKeyJwt, ExpiryIsRequiredAndBounded) {
  auto c = claims();
  c.erase("exp");
  expect_refused(with_assertion(sign(c)), "Invalid client assertion");
  const int64_t now = clock_.now_ms() / 1000;
  c = claims();
  c["exp"] = now + 300;  // at the bound
  EXPECT_EQ(with_assertion(sign(c)).status, 200);
  c = claims();
  c["exp"] = now + 301;
  expect_refused(with_assertion(sign(c)), "seconds ahead");
  c = claims();
  c["exp"] = now - 61;  // past, beyond the skew
  expect_refused(with_assertion(sign(c)), "Invalid client assertion");
}

TEST_F(PrivateKeyJwt, IssuerSubjectKeyAndAlgorithmAreChecked) {
  auto c = claims();
  c["sub"] = "someone";
  expect_refused(with_assertion(sign(c)), "sub must be the client_id");
  // An unregistered key (its kid is unknown).
  expect_refused(with_assertion(sign(claims(), stranger_key())), "Invalid client assertion");
  // The registered kid, signed by another key.
  jose::KeyEntry forged = stranger_key();
  forged.kid = client_key().kid;
  expect_refused(with_assertion(sign(claims(), forged)), "Invalid client assertion");
  // alg none and HS256 never verify.
  const std::string payload = base64url_encode(claims().dump());
  for (const char* alg : {"none", "HS256"}) {
    nlohmann::json h = {{"alg", alg}, {"kid", client_key().kid}};
    const std::string token =
        base64url_encode(h.dump()) + "." + payload + "." + base64url_encode(std::string(32, 'x'));
    expect_refused(with_assertion(token), "Invalid client assertion");
  }
  // Garbage that names no client.
  EXPECT_EQ(body(with_assertion("not-a-jwt"))["error"], "invalid_client");
}

TEST_F(PrivateKeyJwt, MethodsAreNotMixedOrSwapped) {
  // A secret client may not switch to an assertion, and an assertion client has no secret.
  auto basic = make_client({{"name", "basic"}, {"grant_types", {"client_credentials"}}});
  auto c = claims();
  c["iss"] = c["sub"] = basic.app.client_id;
  expect_refused(with_assertion(sign(c)), "registered for client_secret_basic");
  auto res =
      call_token(form_request("grant_type=client_credentials&client_id=" + pkj_.app.client_id +
                              "&client_secret=gh_cs_x_y"));
  EXPECT_EQ(body(res)["error"], "invalid_client");
  // Both a secret and an assertion: malformed.
  auto both = with_assertion(sign(claims()), "&client_secret=gh_cs_x_y");
  EXPECT_EQ(body(both)["error"], "invalid_request");
  // A wrong assertion type.
  auto wrong_type = call_token(form_request(
      "grant_type=client_credentials&client_assertion_type=urn%3Aexample&client_assertion=" +
      sign(claims())));
  EXPECT_EQ(body(wrong_type)["error"], "invalid_request");
}

TEST_F(PrivateKeyJwt, RegistrationNeedsAUsablePublicJwks) {
  auto without = apps_->create(env_, "",
                               {{"name", "x"},
                                {"grant_types", {"client_credentials"}},
                                {"token_endpoint_auth_method", "private_key_jwt"}},
                               actor_);
  ASSERT_FALSE(without);
  EXPECT_EQ(without.error().code, errc::ApplicationInvalid);
  nlohmann::json with_private = public_jwks(client_key());
  with_private["keys"][0]["d"] = "AAAA";
  auto priv = apps_->create(env_, "",
                            {{"name", "x"},
                             {"grant_types", {"client_credentials"}},
                             {"token_endpoint_auth_method", "private_key_jwt"},
                             {"jwks", with_private}},
                            actor_);
  ASSERT_FALSE(priv);
  EXPECT_EQ(priv.error().code, errc::ApplicationInvalid);
  nlohmann::json no_kid = public_jwks(client_key());
  no_kid["keys"][0].erase("kid");
  EXPECT_FALSE(apps_->create(env_, "",
                             {{"name", "x"},
                              {"grant_types", {"client_credentials"}},
                              {"token_endpoint_auth_method", "private_key_jwt"},
                              {"jwks", no_kid}},
                             actor_));
  nlohmann::json hmac = {{"keys", {{{"kty", "oct"}, {"kid", "h"}, {"k", "c2VjcmV0"}}}}};
  EXPECT_FALSE(apps_->create(env_, "",
                             {{"name", "x"},
                              {"grant_types", {"client_credentials"}},
                              {"token_endpoint_auth_method", "private_key_jwt"},
                              {"jwks", hmac}},
                             actor_));
}

// jwks_uri (RFC 7591 §2): https (http only to loopback), fetched and checked at registration,
// never together with jwks; a refusal saves nothing. (The fetch, the rotation re-fetch and the
// unknown kid run against a real JWKS server in tests/interop/advanced_grants.test.mjs.)
TEST_F(PrivateKeyJwt, JwksUriRegistrationRules) {
  auto field_of = [](const Result<CreatedApplication>& r) {
    return r ? std::string() : r.error().extra.value("field", "");
  };
  const nlohmann::json base = {{"name", "uri"},
                               {"grant_types", {"client_credentials"}},
                               {"token_endpoint_auth_method", "private_key_jwt"}};
  for (const char* bad :
       {"http://client.example/jwks.json", "ftp://127.0.0.1/jwks.json", "https://", "not a url",
        // A loopback port nobody listens on: unreachable at registration.
        "http://127.0.0.1:1/jwks.json"}) {
    nlohmann::json body = base;
    body["jwks_uri"] = bad;
    auto r = apps_->create(env_, "", body, actor_);
    ASSERT_FALSE(r) << bad;
    EXPECT_EQ(r.error().code, errc::ApplicationInvalid) << bad;
    EXPECT_EQ(field_of(r), "jwks_uri") << bad;
  }
  nlohmann::json both = base;
  both["jwks"] = public_jwks(client_key());
  both["jwks_uri"] = "https://client.example/jwks.json";
  auto r = apps_->create(env_, "", both, actor_);
  ASSERT_FALSE(r);
  EXPECT_EQ(field_of(r), "jwks_uri");
  nlohmann::json not_string = base;
  not_string["jwks_uri"] = 42;
  EXPECT_EQ(field_of(apps_->create(env_, "", not_string, actor_)), "jwks_uri");
  auto all = apps_->list(env_, "", {.limit = 100});
  ASSERT_TRUE(all);
  for (const auto& a : all->items) EXPECT_NE(a.name, "uri");
  // Clearing jwks_uri on a client that has inline keys is allowed (null).
  auto patched =
      apps_->update(env_, "", pkj_.app.id, {{"jwks_uri", nullptr}}, pkj_.app.version, actor_);
  ASSERT_TRUE(patched) << patched.error().text();
  EXPECT_EQ(patched->jwks_uri, "");
  // A PATCH to an unreachable jwks_uri fails before the transaction and changes nothing.
  auto moved = apps_->update(env_, "", pkj_.app.id,
                             {{"jwks", nullptr}, {"jwks_uri", "http://127.0.0.1:1/jwks.json"}},
                             patched->version, actor_);
  ASSERT_FALSE(moved);
  EXPECT_EQ(moved.error().code, errc::ApplicationInvalid);
  auto still = apps_->get(env_, "", pkj_.app.id);
  ASSERT_TRUE(still);
  EXPECT_FALSE(still->jwks.empty());
  EXPECT_EQ(still->version, patched->version);
}

// OIDC Back-Channel Logout 1.0 §2.2: stored per application, a boolean, shown by the API.
TEST_F(PrivateKeyJwt, BackchannelLogoutSessionRequiredIsStored) {
  auto made = apps_->create(env_, "",
                            {{"name", "bcl"},
                             {"redirect_uris", {"https://rp.example/cb"}},
                             {"backchannel_logout_uri", "https://rp.example/bcl"},
                             {"backchannel_logout_session_required", true}},
                            actor_);
  ASSERT_TRUE(made) << made.error().text();
  EXPECT_TRUE(made->app.backchannel_logout_session_required);
  EXPECT_EQ(application_json(made->app)["backchannel_logout_session_required"], true);
  auto read = apps_->get(env_, "", made->app.id);
  ASSERT_TRUE(read);
  EXPECT_TRUE(read->backchannel_logout_session_required);
  auto off = apps_->update(env_, "", made->app.id, {{"backchannel_logout_session_required", false}},
                           read->version, actor_);
  ASSERT_TRUE(off) << off.error().text();
  EXPECT_FALSE(off->backchannel_logout_session_required);
  auto bad = apps_->update(env_, "", made->app.id, {{"backchannel_logout_session_required", "yes"}},
                           off->version, actor_);
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().code, errc::ApplicationInvalid);
}

TEST_F(PrivateKeyJwt, DiscoveryAdvertisesIt) {
  auto doc = provider_->discovery(env_);
  ASSERT_TRUE(doc);
  const auto& methods = (*doc)["token_endpoint_auth_methods_supported"];
  EXPECT_NE(std::find(methods.begin(), methods.end(), "private_key_jwt"), methods.end());
  const auto& algs = (*doc)["token_endpoint_auth_signing_alg_values_supported"];
  EXPECT_EQ(std::find(algs.begin(), algs.end(), "HS256"), algs.end());
  EXPECT_NE(std::find(algs.begin(), algs.end(), "ES256"), algs.end());
}

}  // namespace
}  // namespace gh::oauth::testing
