#include "oauth_fixture.h"

#include "core/encoding.h"
#include "crypto/error_codes.h"
#include "crypto/jose/jwt.h"
#include "oauth/token_hash.h"
#include "tenancy/error_codes.h"

namespace gh::oauth::testing {

namespace {

std::shared_ptr<const jose::KeySet> generated_keys() {
  auto set = std::make_shared<jose::KeySet>();
  auto rsa = jose::KeySet::generate(jose::KeySpec::Rsa2048, jose::Alg::RS256);
  auto ec = jose::KeySet::generate(jose::KeySpec::EcP256, jose::Alg::ES256);
  EXPECT_TRUE(rsa && ec);
  EXPECT_TRUE(set->add(*rsa));
  EXPECT_TRUE(set->add(*ec));
  return set;
}

}  // namespace

TestSigner::TestSigner() {
  static const auto env_keys = generated_keys();
  static const auto org_keys = generated_keys();
  env_keys_ = env_keys;
  org_keys_ = org_keys;
}

Result<std::string> TestSigner::issuer_of(const store::Environment&, std::string_view org) {
  return own_issuers.count(std::string(org)) ? std::string(org) : std::string();
}

std::string TestSigner::issuer_url(const store::Environment& env,
                                   std::string_view issuer_organization) const {
  std::string url = "https://id.example/" + env.name;
  if (!issuer_organization.empty()) url += "/o/" + std::string(issuer_organization);
  return url;
}

Result<std::string> TestSigner::sign(const store::Environment&, std::string_view issuer_org,
                                     const nlohmann::json& claims, std::string_view typ,
                                     std::optional<jose::Alg> alg) {
  const auto& keys = issuer_org.empty() ? env_keys_ : org_keys_;
  const auto* key = keys->active_signing_key(alg.value_or(jose::Alg::ES256));
  if (!key) return fail(errc::KeyAlgorithmUnavailable);
  return jose::jwt_sign(*key, claims, typ);
}

Result<std::shared_ptr<const jose::KeySet>> TestSigner::keys(const store::Environment&,
                                                             std::string_view issuer_org) {
  return issuer_org.empty() ? env_keys_ : org_keys_;
}

Result<identity::UserClaims> FakeUsers::claims(std::string_view environment_id,
                                               std::string_view organization_id,
                                               std::string_view user_id) {
  auto it = users.find(std::string(user_id));
  if (it == users.end() || it->second.environment_id != environment_id ||
      it->second.organization_id != organization_id) {
    return fail(errc::TenantNotFound, "no such user");
  }
  return it->second;
}

OAuthTest::OAuthTest()
    : store_(store::Backend::sqlite, &clock_),
      tenancy_(*store_, tenancy::SecretHasher("test-pepper"), clock_),
      permissions_(*store_) {
  env_ = *store_->transact<store::Environment>([](store::Repositories& r) {
    return r.environments().create({.name = "sandbox", .kind = "sandbox"});
  });
  other_env_ = *store_->transact<store::Environment>([](store::Repositories& r) {
    return r.environments().create({.name = "production", .kind = "production"});
  });
  auto org = [&](const std::string& slug) {
    return *store_->transact<store::Organization>([&](store::Repositories& r) {
      return r.organizations().create({.environment_id = env_.id, .slug = slug, .name = slug});
    });
  };
  acme_ = org("acme");
  globex_ = org("globex");
  provider_ = std::make_unique<Provider>(ProviderOptions{
      .store = *store_,
      .signer = signer_,
      .hasher = tenancy_.hasher(),
      .permissions = permissions_,
      .users = &users_,
      .claims_supported = [](const store::Environment&) -> Result<std::vector<std::string>> {
        return std::vector<std::string>{"sub", "email", "name"};
      },
      .clock = clock_,
      .random = random_});
  apps_ = std::make_unique<ApplicationService>(*store_, tenancy_, clock_, random_);
  identity::UserClaims alice;
  alice.user_id = "user-alice";
  alice.environment_id = env_.id;
  alice.organization_id = acme_.id;
  alice.state = "active";
  alice.email = "alice@acme.example";
  alice.email_verified = true;
  alice.name = "Alice Example";
  alice.given_name = "Alice";
  users_.users[alice.user_id] = alice;
}

OAuthTest::Client OAuthTest::make_client(const nlohmann::json& body, const std::string& org,
                                         const store::Environment* env) {
  auto created = apps_->create(env ? *env : env_, org, body, actor_);
  EXPECT_TRUE(created) << (created ? "" : created.error().text());
  return {created->app, created->client_secret.value_or("")};
}

store::Resource OAuthTest::make_resource(const std::string& identifier,
                                         const std::vector<std::string>& permissions) {
  auto r = apps_->create_resource(env_, {{"identifier", identifier}, {"permissions", permissions}},
                                  actor_);
  EXPECT_TRUE(r) << (r ? "" : r.error().text());
  return *r;
}

void OAuthTest::grant(const Client& c, const store::Resource& r,
                      const std::vector<std::string>& perms) {
  auto g = apps_->set_grant(env_, c.app.organization_id, c.app.id, r.id, perms, actor_);
  EXPECT_TRUE(g) << (g ? "" : g.error().text());
}

http::Request OAuthTest::form_request(const std::string& body, const std::string& basic_id,
                                      const std::string& basic_secret) {
  http::Request req;
  req.method = "POST";
  req.headers.push_back({"Content-Type", "application/x-www-form-urlencoded"});
  if (!basic_id.empty()) {
    req.headers.push_back(
        {"Authorization",
         "Basic " + base64_encode(percent_encode(basic_id) + ":" + percent_encode(basic_secret))});
  }
  req.body = body;
  return req;
}

http::Response OAuthTest::token(const Client& c, const std::string& b) {
  return call_token(form_request(b, c.app.client_id, c.secret));
}

http::Response OAuthTest::call_token(const http::Request& req, const store::Environment* env) {
  return token_endpoint(*provider_, env ? *env : env_, req);
}

nlohmann::json OAuthTest::body(const http::Response& res) {
  return nlohmann::json::parse(res.body, nullptr, false);
}

std::string OAuthTest::header(const http::Response& res, const std::string& name) {
  for (const auto& [k, v] : res.headers) {
    if (k == name) return v;
  }
  return "";
}

nlohmann::json OAuthTest::claims_of(const std::string& jwt) {
  auto keys = signer_.keys(env_, "");
  jose::JwtProfile profile;
  profile.skew = std::chrono::seconds(0);
  auto v = jose::jwt_verify(jwt, **keys, clock_, profile);
  if (!v) {
    auto org_keys = signer_.keys(env_, "org");
    v = jose::jwt_verify(jwt, **org_keys, clock_, profile);
  }
  EXPECT_TRUE(v) << (v ? "" : v.error().text());
  if (!v) return nullptr;
  nlohmann::json out = v->claims.all;
  out["__typ"] = v->header.typ;
  out["__alg"] = std::string(jose::alg_name(v->alg));
  return out;
}

std::string OAuthTest::put_code(const Client& c, const std::string& user_id, nlohmann::json params,
                                const std::string& org, const std::string& redirect_uri) {
  const std::string code = "code-" + random_.base64url(16);
  store::AuthorizationCode ac;
  ac.code_hash = token_hash(code);
  ac.environment_id = env_.id;
  ac.organization_id = org;
  ac.application_id = c.app.id;
  ac.client_id = c.app.client_id;
  ac.user_id = user_id;
  ac.sid = "sid-1";
  ac.redirect_uri = redirect_uri.empty() ? kRedirect : redirect_uri;
  if (!params.contains("auth_time")) params["auth_time"] = clock_.now_ms() / 1000;
  ac.params = params.dump();
  ac.created_at_ms = clock_.now_ms();
  ac.expires_at_ms = clock_.now_ms() + 60'000;
  auto put = store_->transact<store::AuthorizationCode>(
      [&](store::Repositories& r) { return r.oauth_grants().put_code(ac); });
  EXPECT_TRUE(put);
  return code;
}

}  // namespace gh::oauth::testing
