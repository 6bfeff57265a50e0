// The OIDC discovery refresh (issue 9, federation/oidc/metadata_refresh.h) over a real SQLite
// store with the clock injected and the IdP's discovery faked: only active OIDC connections made
// from a discovery_url and older than a day are fetched, one per step; success stores the new
// document; a failure or an issuer change keeps the last good one and is recorded on the
// connection, retried after the retry window, and cleared by the next success; a connection
// changed meanwhile is left alone.
#include "federation/oidc/metadata_refresh.h"

#include <gtest/gtest.h>

#include <map>

#include "federation/oidc/error_codes.h"
#include "test_store.h"

namespace gh::federation::oidc {
namespace {

constexpr const char* kUrl = "https://idp.example/.well-known/openid-configuration";

ProviderMetadata metadata(const std::string& token_endpoint,
                          const std::string& issuer = "https://idp.example") {
  ProviderMetadata m;
  m.issuer = issuer;
  m.authorization_endpoint = issuer + "/authorize";
  m.token_endpoint = token_endpoint;
  m.jwks_uri = issuer + "/jwks";
  m.id_token_signing_alg_values_supported = {"RS256"};
  return m;
}

class MetadataRefreshTest : public ::testing::Test {
 protected:
  MetadataRefreshTest()
      : store_(store::Backend::sqlite, &clock_),
        tenancy_(*store_, tenancy::SecretHasher(std::string(32, 'p')), clock_),
        refresher_(*store_, tenancy_, clock_, [this](const std::string& url) {
          fetched_.push_back(url);
          return answer_;
        }) {
    env_ = *store_->transact<store::Environment>(
        [&](store::Repositories& r) { return r.environments().create({.name = "sandbox"}); });
    org_ = *store_->transact<store::Organization>([&](store::Repositories& r) {
      return r.organizations().create({.environment_id = env_.id, .slug = "acme", .name = "Acme"});
    });
  }
  store::Connection make(const std::string& name, const std::string& type,
                         const std::string& status, bool discovery = true) {
    store::Connection c;
    c.environment_id = env_.id;
    c.organization_id = org_.id;
    c.type = type;
    c.name = name;
    c.status = status;
    c.settings = {{"client_id", "gatehouse"},
                  {"metadata", metadata("https://idp.example/token").to_json()},
                  {"metadata_fetched_at_ms", clock_.now_ms()}};
    if (discovery) c.settings["discovery_url"] = kUrl;
    return *store_->transact<store::Connection>(
        [&](store::Repositories& r) { return r.connections().create(c); });
  }
  store::Connection reread(const store::Connection& c) {
    return *store_->read<store::Connection>(
        [&](store::Repositories& r) { return r.connections().get(env_.id, org_.id, c.id); });
  }
  // Steps until two passes have ended (a false is the end of a pass, wherever the sweep stood):
  // how many connections were handled.
  int sweep() {
    int handled = 0, ends = 0;
    for (int i = 0; i < 20 && ends < 2; ++i) {
      auto r = refresher_.refresh_next();
      EXPECT_TRUE(r) << r.error().text();
      if (!r) break;
      if (*r) {
        ++handled;
      } else {
        ++ends;
      }
    }
    return handled;
  }
  FakeClock clock_;
  testing::TestStore store_;
  tenancy::TenancyService tenancy_;
  std::vector<std::string> fetched_;
  Result<ProviderMetadata> answer_ = metadata("https://idp.example/token2");
  MetadataRefresher refresher_;
  store::Environment env_;
  store::Organization org_;
};

TEST_F(MetadataRefreshTest, OnlyDueActiveDiscoveredOidcConnectionsOnePerStep) {
  auto a = make("a", "oidc", "active");
  auto b = make("b", "oidc", "active");
  make("draft", "oidc", "draft");
  make("disabled", "oidc", "disabled");
  make("explicit", "oidc", "active", /*discovery=*/false);
  make("test idp", "test", "active");
  // Fresh: nothing is fetched.
  EXPECT_EQ(sweep(), 0);
  EXPECT_TRUE(fetched_.empty());

  clock_.advance(std::chrono::milliseconds(kMetadataRefreshMs));
  // One fetch per step: the pace is bounded by the tick, not by the number of connections.
  auto first = refresher_.refresh_next();
  ASSERT_TRUE(first);
  EXPECT_TRUE(*first);
  EXPECT_EQ(fetched_.size(), 1u);
  EXPECT_EQ(sweep(), 1);
  EXPECT_EQ(fetched_, (std::vector<std::string>{kUrl, kUrl}));
  for (const auto& c : {a, b}) {
    auto now = reread(c);
    EXPECT_EQ(now.settings["metadata"]["token_endpoint"], "https://idp.example/token2");
    EXPECT_EQ(now.settings["metadata_fetched_at_ms"], clock_.now_ms());
    EXPECT_FALSE(now.settings.contains("metadata_refresh_error"));
    EXPECT_EQ(now.version, c.version + 1);
  }
  // Fresh again: the next sweeps fetch nothing.
  EXPECT_EQ(sweep(), 0);
  EXPECT_EQ(sweep(), 0);
  EXPECT_EQ(fetched_.size(), 2u);
}

TEST_F(MetadataRefreshTest, FailureKeepsTheLastGoodDocumentAndIsRecorded) {
  auto c = make("a", "oidc", "active");
  clock_.advance(std::chrono::milliseconds(kMetadataRefreshMs));
  answer_ = fail(Error(errc::OidcDiscoveryFailed, {}, "HTTP 503"));
  EXPECT_EQ(sweep(), 1);
  auto failed = reread(c);
  EXPECT_EQ(failed.settings["metadata"]["token_endpoint"], "https://idp.example/token");
  ASSERT_TRUE(failed.settings.contains("metadata_refresh_error"));
  EXPECT_EQ(failed.settings["metadata_refresh_error"]["code"], "oidc.discovery_failed");
  EXPECT_EQ(failed.settings["metadata_refresh_error"]["detail"], "HTTP 503");
  EXPECT_EQ(failed.settings["metadata_refresh_error"]["at_ms"], clock_.now_ms());
  // Not retried at every step: only after the retry window.
  EXPECT_EQ(sweep(), 0);
  clock_.advance(std::chrono::milliseconds(kMetadataRetryMs - 1));
  EXPECT_EQ(sweep(), 0);
  EXPECT_EQ(fetched_.size(), 1u);
  clock_.advance(std::chrono::milliseconds(1));
  answer_ = metadata("https://idp.example/token3");
  EXPECT_EQ(sweep(), 1);
  auto healed = reread(c);
  EXPECT_EQ(healed.settings["metadata"]["token_endpoint"], "https://idp.example/token3");
  EXPECT_FALSE(healed.settings.contains("metadata_refresh_error"));
}

TEST_F(MetadataRefreshTest, AnIssuerChangeIsNeverTakenSilently) {
  auto c = make("a", "oidc", "active");
  clock_.advance(std::chrono::milliseconds(kMetadataRefreshMs));
  answer_ = metadata("https://evil.example/token", "https://evil.example");
  EXPECT_EQ(sweep(), 1);
  auto after = reread(c);
  EXPECT_EQ(after.settings["metadata"]["issuer"], "https://idp.example");
  EXPECT_EQ(after.settings["metadata"]["token_endpoint"], "https://idp.example/token");
  EXPECT_EQ(after.settings["metadata_refresh_error"]["code"], "oidc.issuer_mismatch");
}

TEST_F(MetadataRefreshTest, AConnectionChangedMeanwhileIsLeftAlone) {
  auto c = make("a", "oidc", "active");
  clock_.advance(std::chrono::milliseconds(kMetadataRefreshMs));
  MetadataRefresher racing(*store_, tenancy_, clock_, [&](const std::string&) {
    // An admin saves the connection while the IdP is being asked.
    store::Connection change = reread(c);
    change.name = "renamed";
    EXPECT_TRUE(store_->transact<store::Connection>(
        [&](store::Repositories& r) { return r.connections().update(change, change.version); }));
    return Result<ProviderMetadata>(metadata("https://idp.example/token2"));
  });
  auto r = racing.refresh_next();
  ASSERT_TRUE(r) << r.error().text();
  auto after = reread(c);
  EXPECT_EQ(after.name, "renamed");
  EXPECT_EQ(after.version, c.version + 1);  // the admin's change only
  EXPECT_EQ(after.settings["metadata"]["token_endpoint"], "https://idp.example/token");
}

}  // namespace
}  // namespace gh::federation::oidc
