// Envelope encryption: AAD binding, tamper detection, data key cache bound, KEK rotation.
#include <gtest/gtest.h>

#include <atomic>

#include "crypto/error_codes.h"
#include "crypto/kek/local_kek.h"
#include "crypto/seal/sealer.h"

namespace gh::crypto {
namespace {

using namespace std::chrono_literals;

// A KEK the test can switch off, as a customer would disable theirs.
class SwitchableKek final : public KekProvider {
 public:
  SwitchableKek(std::string id, std::shared_ptr<LocalKek> inner)
      : id_(std::move(id)), inner_(std::move(inner)) {}
  const std::string& id() const override { return id_; }
  Result<std::string> wrap(std::string_view k, std::string_view c) override {
    if (!enabled) return fail(errc::CryptoCustomerKeyUnavailable);
    return inner_->wrap(k, c);
  }
  Result<std::string> unwrap(std::string_view w, std::string_view c) override {
    ++unwraps;
    if (!enabled) return fail(errc::CryptoCustomerKeyUnavailable);
    return inner_->unwrap(w, c);
  }
  std::atomic<bool> enabled{true};
  std::atomic<int> unwraps{0};

 private:
  std::string id_;
  std::shared_ptr<LocalKek> inner_;
};

class SealTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(keks.add(*LocalKek::from_bytes("local:1", std::string(32, 'k'), random)));
    customer = std::make_shared<SwitchableKek>(
        "pkcs11:acme", *LocalKek::from_bytes("inner", std::string(32, 'c'), random));
    ASSERT_TRUE(keks.add(customer));
    ASSERT_TRUE(sealer.create_data_key("production", "org_acme", "pkcs11:acme"));
    ASSERT_TRUE(sealer.create_data_key("production", "org_globex", "local:1"));
    ASSERT_TRUE(sealer.create_data_key("sandbox", "org_acme", "local:1"));
  }

  SealContext ctx(std::string_view org, std::string_view row, std::string_view column = "secret",
                  std::string_view env = "production", std::string_view table = "connections") {
    return {env, org, table, row, column};
  }

  FakeClock clock;
  SecureRandom& random = SecureRandom::instance();
  InMemoryDataKeyRepository repo;
  KekRegistry keks;
  std::shared_ptr<SwitchableKek> customer;
  Sealer sealer{repo, keks, clock, random};
};

TEST_F(SealTest, SealOpenRoundTripAndFormat) {
  auto sealed = sealer.seal(ctx("org_acme", "row-1"), "client-secret-123");
  ASSERT_TRUE(sealed) << sealed.error().detail;
  auto view = parse_sealed(*sealed);
  ASSERT_TRUE(view);
  EXPECT_EQ(static_cast<uint8_t>((*sealed)[0]), kSealedVersion1);
  EXPECT_TRUE(view->key_id.starts_with("dk_"));
  EXPECT_EQ(view->ciphertext.size(), std::string("client-secret-123").size());
  auto opened = sealer.open(ctx("org_acme", "row-1"), *sealed);
  ASSERT_TRUE(opened) << opened.error().detail;
  EXPECT_EQ(*opened, "client-secret-123");
  // Empty values seal too; two seals of one value differ (random nonce).
  EXPECT_EQ(*sealer.open(ctx("org_acme", "r"), *sealer.seal(ctx("org_acme", "r"), "")), "");
  EXPECT_NE(*sealer.seal(ctx("org_acme", "row-1"), "v"),
            *sealer.seal(ctx("org_acme", "row-1"), "v"));
}

TEST_F(SealTest, CiphertextMovedToAnotherRowColumnTableTenantOrEnvironmentFails) {
  auto sealed = *sealer.seal(ctx("org_acme", "row-1"), "secret");
  for (const SealContext& other :
       {ctx("org_acme", "row-2"), ctx("org_acme", "row-1", "other_column"),
        ctx("org_acme", "row-1", "secret", "production", "webhooks"), ctx("org_globex", "row-1"),
        ctx("org_acme", "row-1", "secret", "sandbox")}) {
    auto r = sealer.open(other, sealed);
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().code, errc::CryptoDecryptFailed)
        << other.organization << "/" << other.row << "/" << other.column;
  }
  // Length-prefixed AAD: moving bytes between adjacent fields does not collide.
  auto a = *sealer.seal({"production", "org_acme", "t", "ab", "c"}, "x");
  EXPECT_FALSE(sealer.open({"production", "org_acme", "t", "a", "bc"}, a));
}

TEST_F(SealTest, EveryTamperedByteFailsWithOneError) {
  auto sealed = *sealer.seal(ctx("org_globex", "row-9"), "0123456789abcdef");
  for (size_t i = 0; i < sealed.size(); ++i) {
    std::string bad = sealed;
    bad[i] ^= 0x20;
    auto r = sealer.open(ctx("org_globex", "row-9"), bad);
    ASSERT_FALSE(r) << "byte " << i;
    EXPECT_EQ(r.error().code, errc::CryptoDecryptFailed) << "byte " << i;
  }
  for (size_t n : {size_t{0}, size_t{1}, size_t{10}, sealed.size() - 1}) {
    auto r = sealer.open(ctx("org_globex", "row-9"), sealed.substr(0, n));
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().code, errc::CryptoDecryptFailed);
  }
}

TEST_F(SealTest, NewDataKeyKeepsOldValuesReadable) {
  auto before = *sealer.seal(ctx("org_acme", "r"), "old");
  auto id = sealer.create_data_key("production", "org_acme", "local:1");
  ASSERT_TRUE(id);
  auto after = *sealer.seal(ctx("org_acme", "r"), "new");
  EXPECT_EQ(parse_sealed(after)->key_id, *id);
  EXPECT_NE(parse_sealed(before)->key_id, *id);
  EXPECT_EQ(*sealer.open(ctx("org_acme", "r"), before), "old");
  EXPECT_EQ(*sealer.open(ctx("org_acme", "r"), after), "new");
}

TEST_F(SealTest, DisabledCustomerKeyFailsClosedWithinTheCacheBound) {
  auto acme = *sealer.seal(ctx("org_acme", "r"), "acme data");
  auto globex = *sealer.seal(ctx("org_globex", "r"), "globex data");
  customer->enabled = false;
  const int64_t disabled_at = clock.now_ms();
  // Cached: still opens, up to the TTL (60 s) after the key was last unwrapped.
  int64_t first_failure = -1;
  for (int s = 0; s <= 61 && first_failure < 0; ++s) {
    if (!sealer.open(ctx("org_acme", "r"), acme)) first_failure = clock.now_ms();
    ASSERT_TRUE(sealer.open(ctx("org_globex", "r"), globex)) << "other tenants keep working";
    clock.advance(1s);
  }
  ASSERT_GE(first_failure, 0);
  EXPECT_LE(first_failure - disabled_at, 60'000);
  auto r = sealer.open(ctx("org_acme", "r"), acme);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, errc::CryptoCustomerKeyUnavailable);
  auto s = sealer.seal(ctx("org_acme", "r"), "more");
  ASSERT_FALSE(s);
  EXPECT_EQ(s.error().code, errc::CryptoCustomerKeyUnavailable);
  EXPECT_EQ(*sealer.open(ctx("org_globex", "r"), globex), "globex data");
  // Restored: the next call unwraps again (no negative caching).
  customer->enabled = true;
  EXPECT_EQ(*sealer.open(ctx("org_acme", "r"), acme), "acme data");
}

TEST_F(SealTest, CacheTtlIsClampedTo60SecondsAndCachesUnwraps) {
  Sealer long_ttl(repo, keks, clock, random, {.cache_ttl = 10min});
  EXPECT_EQ(long_ttl.cache().ttl(), 60s);
  auto sealed = *long_ttl.seal(ctx("org_acme", "r"), "v");
  const int before = customer->unwraps;
  for (int i = 0; i < 100; ++i) ASSERT_TRUE(long_ttl.open(ctx("org_acme", "r"), sealed));
  EXPECT_EQ(customer->unwraps, before) << "opens within the TTL use the cached data key";
  clock.advance(60s);
  ASSERT_TRUE(long_ttl.open(ctx("org_acme", "r"), sealed));
  EXPECT_EQ(customer->unwraps, before + 1);
  // forget() makes a revocation notice take effect at once.
  customer->enabled = false;
  long_ttl.forget("production", "org_acme");
  EXPECT_EQ(long_ttl.open(ctx("org_acme", "r"), sealed).error().code,
            errc::CryptoCustomerKeyUnavailable);
}

TEST_F(SealTest, LocalKekRotationRewrapsDataKeysWithoutTouchingData) {
  auto sealed = *sealer.seal(ctx("org_globex", "r"), "globex data");
  auto sandbox = *sealer.seal(ctx("org_acme", "r", "secret", "sandbox"), "sandbox data");
  ASSERT_TRUE(keks.add(*LocalKek::from_bytes("local:2", std::string(32, 'n'), random)));
  auto n = sealer.rewrap("local:1", "local:2");
  ASSERT_TRUE(n) << n.error().detail;
  EXPECT_EQ(*n, 2u);
  keks.remove("local:1");  // the old master key is gone
  sealer.forget_all();
  EXPECT_EQ(*sealer.open(ctx("org_globex", "r"), sealed), "globex data");
  EXPECT_EQ(*sealer.open(ctx("org_acme", "r", "secret", "sandbox"), sandbox), "sandbox data");
  EXPECT_TRUE(repo.list_by_kek("local:1")->empty());
}

TEST_F(SealTest, RekeyOneOrganizationToItsOwnKek) {
  auto sealed = *sealer.seal(ctx("org_globex", "r"), "globex data");
  auto other = *sealer.seal(ctx("org_acme", "r", "secret", "sandbox"), "sandbox data");
  auto own = std::make_shared<SwitchableKek>(
      "pkcs11:globex", *LocalKek::from_bytes("inner2", std::string(32, 'g'), random));
  ASSERT_TRUE(keks.add(own));
  ASSERT_EQ(*sealer.rewrap("local:1", "pkcs11:globex", "org_globex"), 1u);
  sealer.forget_all();
  own->enabled = false;
  EXPECT_EQ(sealer.open(ctx("org_globex", "r"), sealed).error().code,
            errc::CryptoCustomerKeyUnavailable);
  EXPECT_EQ(*sealer.open(ctx("org_acme", "r", "secret", "sandbox"), other), "sandbox data");
  own->enabled = true;
  EXPECT_EQ(*sealer.open(ctx("org_globex", "r"), sealed), "globex data");
}

TEST_F(SealTest, WrappedDataKeyCopiedToAnotherOrganizationDoesNotUnwrap) {
  auto acme_key = *repo.find_active("production", "org_globex");
  DataKeyRecord stolen = *acme_key;
  stolen.id = "dk_stolen";
  stolen.organization = "org_evil";
  ASSERT_TRUE(repo.insert_active(stolen));
  auto r = sealer.seal(ctx("org_evil", "r"), "x");
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, errc::CryptoDecryptFailed);
}

TEST_F(SealTest, UnknownDataKeyOrOrganizationWithoutKey) {
  auto sealed = *sealer.seal(ctx("org_acme", "r"), "x");
  std::string bad = sealed;
  bad[5] = bad[5] == 'A' ? 'B' : 'A';  // another key id
  EXPECT_EQ(sealer.open(ctx("org_acme", "r"), bad).error().code, errc::CryptoDecryptFailed);
  EXPECT_EQ(sealer.seal(ctx("org_none", "r"), "x").error().code, errc::CryptoDataKeyNotFound);
}

}  // namespace
}  // namespace gh::crypto
