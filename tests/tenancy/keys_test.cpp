// Signing keys and sealing over a real store (SQLite and PostgreSQL): bootstrap, algorithms,
// rotation over simulated time, revocation, isolation between environments and organization
// issuers, sealed private keys bound to their row, audit records.
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>

#include "crypto/error_codes.h"
#include "crypto/jose/jwt.h"
#include "crypto/kek/local_kek.h"
#include "crypto/kek/pkcs11_module.h"
#include "tenancy/signing_keys.h"
#include "test_store.h"

#include <iostream>

namespace gh::tenancy {
namespace {

using namespace std::chrono_literals;
using store::Backend;

ErrorCode code_of(const Error& e) { return e.code; }

class KeysTest : public ::testing::TestWithParam<Backend> {
 protected:
  KeysTest()
      : store_(GetParam(), &clock_),
        tenancy_(*store_, SecretHasher(std::string(32, 'p')), clock_),
        sealing_(*store_, master(), {}, clock_),
        keys_(*store_, sealing_, tenancy_, "https://id.example", clock_) {
    env_a_ = make_env("env-a");
    env_b_ = make_env("env-b");
    org_a_ = make_org(env_a_, "acme");
    org_b_ = make_org(env_b_, "globex");
  }
  static std::shared_ptr<crypto::KekProvider> master() {
    return *crypto::LocalKek::from_bytes("local:test", std::string(32, 'k'),
                                         SecureRandom::instance());
  }
  store::Environment make_env(const std::string& name) {
    return *store_->transact<store::Environment>(
        [&](store::Repositories& r) { return r.environments().create({.name = name}); });
  }
  store::Organization make_org(const store::Environment& env, const std::string& slug) {
    return *store_->transact<store::Organization>([&](store::Repositories& r) {
      return r.organizations().create({.environment_id = env.id, .slug = slug, .name = slug});
    });
  }
  std::string sign(const store::Environment& env, const std::string& org,
                   std::optional<jose::Alg> alg = std::nullopt, int64_t ttl_s = 3600) {
    auto key = keys_.signing_key(env, org, alg);
    EXPECT_TRUE(key) << key.error().text();
    const int64_t now = clock_.now_ms() / 1000;
    auto token = jose::jwt_sign(
        *key,
        {{"iss", keys_.issuer_url(env, org)}, {"sub", "u1"}, {"iat", now}, {"exp", now + ttl_s}});
    EXPECT_TRUE(token);
    return *token;
  }
  Result<jose::VerifiedJwt> verify(const store::Environment& env, const std::string& org,
                                   const std::string& token) {
    auto k = keys_.keys(env, org);
    if (!k) return fail(k.error());
    jose::JwtProfile profile;
    profile.issuer = keys_.issuer_url(env, org);
    return jose::jwt_verify(token, *(*k)->keys, clock_, profile);
  }
  std::vector<store::SigningKeyRow> rows(const store::Environment& env, const std::string& org) {
    return *store_->read<std::vector<store::SigningKeyRow>>(
        [&](store::Repositories& r) { return r.keys().list_signing_keys(env.id, org); });
  }
  int count_state(const std::vector<store::SigningKeyRow>& rs, const std::string& alg,
                  const std::string& state) {
    int n = 0;
    for (const auto& r : rs) n += r.alg == alg && r.state == state;
    return n;
  }
  Actor admin_{"api_key", "k1", "req-1", "127.0.0.1"};
  FakeClock clock_;
  testing::TestStore store_;
  TenancyService tenancy_;
  Sealing sealing_;
  KeyService keys_;
  store::Environment env_a_, env_b_;
  store::Organization org_a_, org_b_;
};

TEST_P(KeysTest, EveryEnvironmentGetsAnRs256KeyAndAPublicJwks) {
  auto k = keys_.keys(env_a_, "");
  ASSERT_TRUE(k) << k.error().text();
  EXPECT_EQ((*k)->issuer, "https://id.example/env-a");
  ASSERT_EQ((*k)->jwks["keys"].size(), 1u);
  const auto& jwk = (*k)->jwks["keys"][0];
  EXPECT_EQ(jwk["alg"], "RS256");
  EXPECT_EQ(jwk["use"], "sig");
  EXPECT_TRUE(jwk.contains("kid"));
  for (const char* priv : {"d", "p", "q", "dp", "dq", "qi"}) EXPECT_FALSE(jwk.contains(priv));
  // The private key is sealed at rest: the stored text holds no JWK.
  auto r = rows(env_a_, "");
  ASSERT_EQ(r.size(), 1u);
  EXPECT_EQ(r[0].private_sealed.find("\"d\""), std::string::npos);
  EXPECT_EQ(r[0].public_jwk.find("\"d\""), std::string::npos);
  // Creation was audited.
  auto audit = store_->read<std::vector<store::AuditRecord>>(
      [&](store::Repositories& rp) { return rp.audit().list(env_a_.id, "", 0, 100); });
  ASSERT_TRUE(audit);
  ASSERT_FALSE(audit->empty());
  EXPECT_EQ(audit->back().action, "key.created");
}

TEST_P(KeysTest, EveryAlgorithmSignsAndVerifiesAndRs256StaysWhateverTheDefault) {
  auto s = keys_.update_settings(
      env_a_, "",
      {{"algorithms", {"ES256", "EdDSA", "PS256"}}, {"default_alg", "ES256"}, {"rsa_bits", 3072}},
      0, admin_);
  ASSERT_TRUE(s) << s.error().text();
  EXPECT_EQ(s->settings.algorithms.front(), jose::Alg::RS256);  // kept whatever was asked
  for (auto alg : {jose::Alg::RS256, jose::Alg::PS256, jose::Alg::ES256, jose::Alg::EdDSA}) {
    const std::string token = sign(env_a_, "", alg);
    auto v = verify(env_a_, "", token);
    ASSERT_TRUE(v) << jose::alg_name(alg) << ": " << v.error().text();
    EXPECT_EQ(v->alg, alg);
  }
  EXPECT_EQ(keys_.signing_key(env_a_, "")->alg, jose::Alg::ES256);  // the default
  EXPECT_EQ((*keys_.keys(env_a_, ""))->jwks["keys"].size(), 4u);
  // A 3072-bit RSA key for the new PS256 key.
  EXPECT_EQ(keys_.signing_key(env_a_, "", jose::Alg::PS256)->key.bits(), 3072);
  // Bad settings change nothing.
  auto bad = keys_.update_settings(env_a_, "", {{"rsa_bits", 1024}}, s->version, admin_);
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().code, errc::KeySettingsInvalid);
  EXPECT_EQ(bad.error().extra["field"], "rsa_bits");
  auto stale = keys_.update_settings(env_a_, "", {{"rsa_bits", 2048}}, 0, admin_);
  ASSERT_FALSE(stale);
  EXPECT_EQ(stale.error().code, errc::RequestPreconditionFailed);
  auto own = keys_.update_settings(env_a_, "", {{"own_issuer", true}}, s->version, admin_);
  ASSERT_FALSE(own);
  EXPECT_EQ(own.error().code, errc::KeySettingsInvalid);
}

TEST_P(KeysTest, RotationOverSimulatedTime) {
  ASSERT_TRUE(keys_.update_settings(env_a_, "",
                                    {{"rotation_period_s", 10 * 86400},
                                     {"next_publish_ahead_s", 86400},
                                     {"retired_publish_for_s", 7200},
                                     {"max_token_lifetime_s", 3600},
                                     {"skew_s", 60}},
                                    0, admin_));
  const std::string first_kid = keys_.signing_key(env_a_, "")->kid;
  // Nine days on: a next key is published, the old one still signs.
  clock_.advance(9 * 24h);
  ASSERT_EQ(*keys_.rotate_due(env_a_, "", {}), 1u);
  auto r = rows(env_a_, "");
  EXPECT_EQ(count_state(r, "RS256", "next"), 1);
  EXPECT_EQ(keys_.signing_key(env_a_, "")->kid, first_kid);
  EXPECT_EQ((*keys_.keys(env_a_, ""))->jwks["keys"].size(), 2u);
  // A token signed just before the switch...
  clock_.advance(24h - 1min);
  const std::string old_token = sign(env_a_, "");
  clock_.advance(1min);
  ASSERT_EQ(*keys_.rotate_due(env_a_, "", {}), 2u);  // activate next, retire old
  const std::string new_kid = keys_.signing_key(env_a_, "")->kid;
  EXPECT_NE(new_kid, first_kid);
  // ...verifies until it expires (its key is retired, still published).
  EXPECT_TRUE(verify(env_a_, "", old_token));
  clock_.advance(59min);
  EXPECT_TRUE(verify(env_a_, "", old_token));
  clock_.advance(2min + 1s);
  EXPECT_EQ(code_of(verify(env_a_, "", old_token).error()), errc::JoseExpired);
  // The retired key leaves the set after its window.
  clock_.advance(1h);
  ASSERT_EQ(*keys_.rotate_due(env_a_, "", {}), 1u);
  r = rows(env_a_, "");
  ASSERT_EQ(r.size(), 1u);
  EXPECT_EQ(r[0].kid, new_kid);
  // Every step is on the audit trail.
  auto audit = *store_->read<std::vector<store::AuditRecord>>(
      [&](store::Repositories& rp) { return rp.audit().list(env_a_.id, "", 0, 100); });
  std::vector<std::string> actions;
  for (const auto& a : audit) actions.push_back(a.action);
  for (const char* want : {"key.created", "key.activated", "key.retired", "key.removed"}) {
    EXPECT_NE(std::find(actions.begin(), actions.end(), want), actions.end()) << want;
  }
}

TEST_P(KeysTest, ManualRotateAndEmergencyRevoke) {
  const std::string token = sign(env_a_, "");
  const std::string first_kid = keys_.signing_key(env_a_, "")->kid;
  auto rotated = keys_.rotate(env_a_, "", jose::Alg::RS256, admin_);
  ASSERT_TRUE(rotated) << rotated.error().text();
  EXPECT_EQ(rotated->state, "active");
  EXPECT_NE(rotated->kid, first_kid);
  EXPECT_TRUE(verify(env_a_, "", token));  // retired, still verifying
  // Revoking the retired key: its tokens fail at once, and it leaves the JWKS.
  auto revoked = keys_.revoke(env_a_, "", first_kid, admin_);
  ASSERT_TRUE(revoked) << revoked.error().text();
  EXPECT_EQ(code_of(verify(env_a_, "", token).error()), errc::JoseKeyRevoked);
  for (const auto& k : (*keys_.keys(env_a_, ""))->jwks["keys"]) EXPECT_NE(k["kid"], first_kid);
  EXPECT_EQ(keys_.revoke(env_a_, "", first_kid, admin_).error().code, errc::KeyAlreadyRevoked);
  // Revoking the active key: a replacement signs at once.
  const std::string second = sign(env_a_, "");
  ASSERT_TRUE(keys_.revoke(env_a_, "", rotated->kid, admin_));
  EXPECT_EQ(code_of(verify(env_a_, "", second).error()), errc::JoseKeyRevoked);
  auto replacement = keys_.signing_key(env_a_, "");
  ASSERT_TRUE(replacement);
  EXPECT_NE(replacement->kid, rotated->kid);
  EXPECT_TRUE(verify(env_a_, "", sign(env_a_, "")));
  // An algorithm the issuer does not use cannot be rotated.
  EXPECT_EQ(keys_.rotate(env_a_, "", jose::Alg::EdDSA, admin_).error().code,
            errc::KeyAlgorithmUnavailable);
}

TEST_P(KeysTest, IssuersAreIsolated) {
  const std::string kid_a = keys_.signing_key(env_a_, "")->kid;
  const std::string token_a = sign(env_a_, "");
  // Another environment's kid is not found there, and its tokens do not verify there.
  EXPECT_EQ(keys_.revoke(env_b_, "", kid_a, admin_).error().code, errc::KeyNotFound);
  EXPECT_EQ(code_of(verify(env_b_, "", token_a).error()), errc::JoseKeyNotFound);
  // An organization without an issuer of its own has none; another environment's
  // organization is not found either.
  EXPECT_EQ(keys_.keys(env_a_, org_a_.id).error().code, errc::KeyIssuerNotFound);
  EXPECT_EQ(keys_.keys(env_a_, org_b_.id).error().code, errc::KeyIssuerNotFound);
  // With its own issuer, the organization's keys verify its tokens only.
  auto s = keys_.update_settings(
      env_a_, org_a_.id,
      {{"own_issuer", true}, {"algorithms", {"ES256"}}, {"default_alg", "ES256"}}, 0, admin_);
  ASSERT_TRUE(s) << s.error().text();
  auto k = keys_.keys(env_a_, org_a_.id);
  ASSERT_TRUE(k) << k.error().text();
  EXPECT_EQ((*k)->issuer, "https://id.example/env-a/o/" + org_a_.id);
  EXPECT_EQ((*k)->jwks["keys"].size(), 2u);  // RS256 and ES256
  const std::string org_token = sign(env_a_, org_a_.id);
  EXPECT_TRUE(verify(env_a_, org_a_.id, org_token));
  jose::JwtProfile any;
  EXPECT_EQ(
      code_of(jose::jwt_verify(org_token, *(*keys_.keys(env_a_, ""))->keys, clock_, any).error()),
      errc::JoseKeyNotFound);
  EXPECT_EQ(code_of(jose::jwt_verify(token_a, *(*k)->keys, clock_, any).error()),
            errc::JoseKeyNotFound);
  // The other environment cannot reach the organization's issuer or keys.
  EXPECT_EQ(keys_.keys(env_b_, org_a_.id).error().code, errc::KeyIssuerNotFound);
  const std::string org_kid = keys_.signing_key(env_a_, org_a_.id)->kid;
  EXPECT_EQ(keys_.revoke(env_b_, org_a_.id, org_kid, admin_).error().code, errc::KeyNotFound);
  EXPECT_EQ(keys_.revoke(env_a_, "", org_kid, admin_).error().code, errc::KeyNotFound);
}

TEST_P(KeysTest, ASealedPrivateKeyOpensOnlyInItsOwnRow) {
  ASSERT_TRUE(keys_.update_settings(env_a_, org_a_.id, {{"own_issuer", true}}, 0, admin_));
  ASSERT_TRUE(keys_.keys(env_a_, org_a_.id));
  ASSERT_TRUE(keys_.keys(env_b_, ""));
  // Copy the organization's sealed private key into a row of another tenant (and another
  // row of the same issuer): neither opens.
  const auto org_row = rows(env_a_, org_a_.id).front();
  for (auto [env, org] : std::vector<std::pair<store::Environment, std::string>>{
           {env_b_, ""}, {env_a_, ""}, {env_a_, org_a_.id}}) {
    store::SigningKeyRow moved = org_row;
    moved.environment_id = env.id;
    moved.organization_id = org;
    moved.kid = "moved-" + std::to_string(clock_.now_ms());
    clock_.advance(1ms);
    ASSERT_TRUE(store_->transact<bool>([&](store::Repositories& r) -> Result<bool> {
      if (auto ok = r.keys().insert_signing_key(moved); !ok) return fail(ok.error());
      r.changed("signing_keys", env.id + "/" + org);
      return true;
    }));
    keys_.forget(env.id, org);
    auto k = keys_.keys(env, org);
    ASSERT_FALSE(k);
    EXPECT_EQ(k.error().code, errc::CryptoDecryptFailed);
    ASSERT_TRUE(store_->transact<bool>([&](store::Repositories& r) -> Result<bool> {
      if (auto ok = r.keys().delete_signing_key(env.id, org, moved.kid); !ok) {
        return fail(ok.error());
      }
      return true;
    }));
    keys_.forget(env.id, org);
    EXPECT_TRUE(keys_.keys(env, org));
  }
}

INSTANTIATE_TEST_SUITE_P(Sqlite, KeysTest, ::testing::Values(Backend::sqlite));
INSTANTIATE_TEST_SUITE_P(Postgres, KeysTest, ::testing::Values(Backend::postgres));

// A customer-managed key on a real PKCS#11 token (SoftHSM2): the organization is re-keyed to
// it, the customer disables it, and within the 60 s data-key bound that organization fails
// closed with crypto.customer_key_unavailable while another keeps working; re-enabling it
// restores service; re-keying back to the master key is one call.
class CustomerKeyTest : public ::testing::Test {
 protected:
  static constexpr const char* kModule = "/usr/lib/softhsm/libsofthsm2.so";
  static constexpr const char* kToken = "gatehouse-cmk";
  static constexpr const char* kPin = "4321";

  static void SetUpTestSuite() {
    dir_ = std::filesystem::temp_directory_path() / ("gh-cmk-" + std::to_string(::getpid()));
    std::filesystem::create_directories(dir_ / "tokens");
    std::ofstream(dir_ / "softhsm2.conf") << "directories.tokendir = " << (dir_ / "tokens").string()
                                          << "\nobjectstore.backend = file\nlog.level = ERROR\n";
    ::setenv("SOFTHSM2_CONF", (dir_ / "softhsm2.conf").c_str(), 1);
    const std::string init = std::string("softhsm2-util --init-token --free --label ") + kToken +
                             " --pin " + kPin + " --so-pin 8765 > /dev/null";
    ready_ = std::system(init.c_str()) == 0;
  }
  static void TearDownTestSuite() { std::filesystem::remove_all(dir_); }

  CustomerKeyTest()
      : store_(Backend::sqlite, &clock_),
        tenancy_(*store_, SecretHasher(std::string(32, 'p')), clock_),
        sealing_(*store_, master(), {kModule}, clock_),
        keys_(*store_, sealing_, tenancy_, "https://id.example", clock_) {
    env_ = *store_->transact<store::Environment>(
        [&](store::Repositories& r) { return r.environments().create({.name = "prod"}); });
    for (auto* org : {&acme_, &globex_}) {
      *org = *store_->transact<store::Organization>([&](store::Repositories& r) {
        return r.organizations().create(
            {.environment_id = env_.id, .slug = org == &acme_ ? "acme" : "globex", .name = "x"});
      });
    }
  }
  static std::shared_ptr<crypto::KekProvider> master() {
    return *crypto::LocalKek::from_bytes("local:test", std::string(32, 'k'),
                                         SecureRandom::instance());
  }
  crypto::SealContext ctx(const store::Organization& org) {
    return {env_.id, org.id, "connections", "c1", "client_secret"};
  }

  static inline std::filesystem::path dir_;
  static inline bool ready_ = false;
  FakeClock clock_;
  testing::TestStore store_;
  TenancyService tenancy_;
  Sealing sealing_;
  KeyService keys_;
  store::Environment env_;
  store::Organization acme_, globex_;
  Actor admin_{"api_key", "k1", "req-1", "127.0.0.1"};
};

TEST_F(CustomerKeyTest, DisabledKeyFailsThatOrganizationClosedWithinTheBound) {
  ASSERT_TRUE(ready_) << "softhsm2-util --init-token failed";
  auto module = crypto::Pkcs11Module::load(kModule);
  ASSERT_TRUE(module);
  auto customer = crypto::Pkcs11Token::open(*module, kToken, kPin);  // the customer's console
  ASSERT_TRUE(customer);
  ASSERT_TRUE((*customer)->create_aes_key("acme-kek"));

  // Data sealed before the customer brings its key keeps opening after the re-key.
  auto before = sealing_.seal(ctx(acme_), "secret-before");
  ASSERT_TRUE(before) << before.error().text();
  // A module outside the allow-list is refused before anything is loaded.
  EXPECT_EQ(
      keys_
          .set_customer_key(env_, acme_.id,
                            CustomerKeyInput{"/tmp/evil.so", kToken, "acme-kek", kPin}, admin_)
          .error()
          .code,
      errc::CryptoKekModuleNotAllowed);
  auto set = keys_.set_customer_key(env_, acme_.id,
                                    CustomerKeyInput{kModule, kToken, "acme-kek", kPin}, admin_);
  ASSERT_TRUE(set) << set.error().text() << " " << set.error().detail;
  EXPECT_EQ((*set)["provider"], "pkcs11");
  EXPECT_EQ((*set)["status"], "available");
  EXPECT_EQ((*set)["rewrapped_data_keys"], 1);
  EXPECT_EQ((*set).dump().find(kPin), std::string::npos);  // the PIN is never shown
  EXPECT_EQ(*sealing_.open(ctx(acme_), *before), "secret-before");
  // The organization's own issuer signs with keys sealed under its customer key.
  ASSERT_TRUE(keys_.update_settings(env_, acme_.id, {{"own_issuer", true}}, -1, admin_));
  ASSERT_TRUE(keys_.signing_key(env_, acme_.id));
  auto sealed = sealing_.seal(ctx(acme_), "secret-after");
  ASSERT_TRUE(sealed);
  auto other = sealing_.seal(ctx(globex_), "globex-secret");
  ASSERT_TRUE(other);

  // The customer disables the key on its token.
  ASSERT_TRUE((*customer)->set_key_usable("acme-kek", false));
  int64_t failed_after_ms = -1;
  for (int s = 1; s <= 70; ++s) {
    clock_.advance(1s);
    // The other organization is unaffected throughout.
    ASSERT_TRUE(sealing_.check(env_.id, globex_.id));
    ASSERT_EQ(*sealing_.open(ctx(globex_), *other), "globex-secret");
    auto ok = sealing_.check(env_.id, acme_.id);
    if (!ok) {
      EXPECT_EQ(ok.error().code, errc::CryptoCustomerKeyUnavailable);
      failed_after_ms = s * 1000;
      break;
    }
  }
  ASSERT_GT(failed_after_ms, 0) << "the disabled key kept working for over 70 s";
  EXPECT_LE(failed_after_ms, 60'000);
  std::cout << "customer key disabled -> fail closed after " << failed_after_ms / 1000
            << " s (bound 60 s)\n";
  EXPECT_EQ(sealing_.open(ctx(acme_), *sealed).error().code, errc::CryptoCustomerKeyUnavailable);
  EXPECT_EQ(keys_.signing_key(env_, acme_.id).error().code, errc::CryptoCustomerKeyUnavailable);
  EXPECT_EQ(sealing_.status(env_.id, acme_.id)["status"], "unavailable");

  // Re-enabled: service returns at once.
  ASSERT_TRUE((*customer)->set_key_usable("acme-kek", true));
  EXPECT_TRUE(sealing_.check(env_.id, acme_.id));
  EXPECT_EQ(*sealing_.open(ctx(acme_), *sealed), "secret-after");
  EXPECT_TRUE(keys_.signing_key(env_, acme_.id));

  // Back to the master key in one call; everything sealed so far still opens, and the
  // customer's token is no longer needed.
  auto cleared = keys_.set_customer_key(env_, acme_.id, std::nullopt, admin_);
  ASSERT_TRUE(cleared) << cleared.error().text();
  EXPECT_EQ((*cleared)["provider"], "local");
  ASSERT_TRUE((*customer)->destroy_key("acme-kek"));
  clock_.advance(61s);
  EXPECT_EQ(*sealing_.open(ctx(acme_), *before), "secret-before");
  EXPECT_EQ(*sealing_.open(ctx(acme_), *sealed), "secret-after");
  // The change is on the audit trail.
  auto audit = *store_->read<std::vector<store::AuditRecord>>(
      [&](store::Repositories& rp) { return rp.audit().list(env_.id, acme_.id, 0, 100); });
  int kek_changes = 0;
  for (const auto& a : audit) kek_changes += a.action == "kek.changed";
  EXPECT_EQ(kek_changes, 2);
}

}  // namespace
}  // namespace gh::tenancy
