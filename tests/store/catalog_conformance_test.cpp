// Conformance of the catalog version repository on both backends: append-only versions in
// order, the newest as current, optimistic concurrency (a stale or skipped version is refused),
// listing newest first without documents, and isolation (other organizations' and
// environments' catalogs answer not-found and list nothing).
#include <gtest/gtest.h>

#include "catalog/error_codes.h"
#include "test_store.h"

namespace gh::store {
namespace {

class CatalogConformance : public ::testing::TestWithParam<Backend> {
 protected:
  CatalogConformance() : store_(GetParam(), &clock_) {
    env_a_ = *store_->transact<Environment>(
        [&](Repositories& r) { return r.environments().create({.name = "env-a"}); });
    env_b_ = *store_->transact<Environment>(
        [&](Repositories& r) { return r.environments().create({.name = "env-b"}); });
  }
  Result<CatalogVersionRow> append(const std::string& env, const std::string& org, int64_t v,
                                   const std::string& doc = "{\"attributes\":[]}") {
    return store_->transact<CatalogVersionRow>([&](Repositories& r) {
      CatalogVersionRow row;
      row.environment_id = env;
      row.organization_id = org;
      row.version = v;
      row.document = doc;
      row.diff = "[]";
      row.action = "catalog.attribute_added";
      row.actor_type = "cli";
      row.actor_id = "tester";
      return r.catalog().append(row);
    });
  }
  Result<std::optional<CatalogVersionRow>> current(const std::string& env, const std::string& org) {
    return store_->read<std::optional<CatalogVersionRow>>(
        [&](Repositories& r) { return r.catalog().current(env, org); });
  }
  FakeClock clock_;
  testing::TestStore store_;
  Environment env_a_, env_b_;
};

TEST_P(CatalogConformance, VersionsAppendInOrder) {
  auto none = current(env_a_.id, "");
  ASSERT_TRUE(none);
  EXPECT_FALSE(*none);

  auto v1 = append(env_a_.id, "", 1, "{\"v\":1}");
  ASSERT_TRUE(v1) << v1.error().text();
  EXPECT_EQ(v1->created_at_ms, clock_.now_ms());
  clock_.advance(std::chrono::seconds(1));
  ASSERT_TRUE(append(env_a_.id, "", 2, "{\"v\":2}"));
  ASSERT_TRUE(append(env_a_.id, "", 3, "{\"v\":3}"));

  auto cur = current(env_a_.id, "");
  ASSERT_TRUE(cur && *cur);
  EXPECT_EQ((*cur)->version, 3);
  EXPECT_EQ((*cur)->document, "{\"v\":3}");
  EXPECT_EQ((*cur)->actor_id, "tester");

  auto v2 = store_->read<CatalogVersionRow>(
      [&](Repositories& r) { return r.catalog().get(env_a_.id, "", 2); });
  ASSERT_TRUE(v2);
  EXPECT_EQ(v2->document, "{\"v\":2}");
  EXPECT_EQ(v2->created_at_ms, clock_.now_ms());

  // Stale, repeated or skipped versions are refused and change nothing.
  for (int64_t v : {1, 3, 5}) {
    auto bad = append(env_a_.id, "", v);
    ASSERT_FALSE(bad) << v;
    EXPECT_EQ(bad.error().code, errc::RequestPreconditionFailed);
  }
  EXPECT_EQ((*current(env_a_.id, ""))->version, 3);

  auto list = store_->read<std::vector<CatalogVersionRow>>(
      [&](Repositories& r) { return r.catalog().list(env_a_.id, "", 0, 2); });
  ASSERT_TRUE(list);
  ASSERT_EQ(list->size(), 2u);
  EXPECT_EQ((*list)[0].version, 3);
  EXPECT_EQ((*list)[1].version, 2);
  EXPECT_TRUE((*list)[0].document.empty());
  EXPECT_EQ((*list)[0].diff, "[]");
  auto rest = store_->read<std::vector<CatalogVersionRow>>(
      [&](Repositories& r) { return r.catalog().list(env_a_.id, "", 2, 10); });
  ASSERT_TRUE(rest);
  ASSERT_EQ(rest->size(), 1u);
  EXPECT_EQ((*rest)[0].version, 1);

  auto missing = store_->read<CatalogVersionRow>(
      [&](Repositories& r) { return r.catalog().get(env_a_.id, "", 4); });
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().code, errc::CatalogVersionNotFound);
}

TEST_P(CatalogConformance, OrganizationsAndEnvironmentsAreIsolated) {
  ASSERT_TRUE(append(env_a_.id, "", 1));
  ASSERT_TRUE(append(env_a_.id, "org-acme", 1, "{\"acme\":1}"));
  ASSERT_TRUE(append(env_a_.id, "org-acme", 2, "{\"acme\":2}"));
  // Each catalog numbers its own versions.
  ASSERT_TRUE(append(env_a_.id, "org-globex", 1));
  ASSERT_TRUE(append(env_b_.id, "org-acme", 1));

  // Probing acme's versions as another organization, or from another environment.
  for (auto [env, org] :
       {std::pair{env_a_.id, std::string("org-globex")},
        std::pair{env_b_.id, std::string("org-acme")}, std::pair{env_a_.id, std::string("")}}) {
    auto v2 = store_->read<CatalogVersionRow>(
        [&](Repositories& r) { return r.catalog().get(env, org, 2); });
    ASSERT_FALSE(v2) << env << "/" << org;
    EXPECT_EQ(v2.error().code, errc::CatalogVersionNotFound);
    auto list = store_->read<std::vector<CatalogVersionRow>>(
        [&](Repositories& r) { return r.catalog().list(env, org, 0, 10); });
    ASSERT_TRUE(list);
    EXPECT_EQ(list->size(), 1u);
    for (const auto& row : *list) {
      EXPECT_EQ(row.environment_id, env);
      EXPECT_EQ(row.organization_id, org);
    }
  }
  auto unknown = current(env_b_.id, "org-globex");
  ASSERT_TRUE(unknown);
  EXPECT_FALSE(*unknown);
  EXPECT_EQ((*current(env_a_.id, "org-acme"))->document, "{\"acme\":2}");
}

INSTANTIATE_TEST_SUITE_P(Sqlite, CatalogConformance, ::testing::Values(Backend::sqlite));
INSTANTIATE_TEST_SUITE_P(Postgres, CatalogConformance, ::testing::Values(Backend::postgres));

}  // namespace
}  // namespace gh::store
