// The catalog over a real store (SQLite and PostgreSQL): the default catalog as version 1,
// every change a new version with its diff, audit record and outbox event in one transaction;
// stale versions and bad input change nothing; organizations' custom attributes live under
// their own namespace, invisible to other organizations, without touching the environment's.
#include <gtest/gtest.h>

#include "catalog/default_catalog.h"
#include "catalog/error_codes.h"
#include "catalog/service.h"
#include "tenancy/error_codes.h"
#include "test_store.h"

namespace gh::catalog {
namespace {

using nlohmann::json;
using store::Backend;

class CatalogServiceTest : public ::testing::TestWithParam<Backend> {
 protected:
  CatalogServiceTest()
      : store_(GetParam(), &clock_),
        tenancy_(*store_, tenancy::SecretHasher(std::string(32, 'p')), clock_),
        catalog_(*store_, tenancy_, clock_) {
    env_ = make_env("env-a");
    other_env_ = make_env("env-b");
    acme_ = make_org(env_, "acme");
    globex_ = make_org(env_, "globex");
    elsewhere_ = make_org(other_env_, "initech");
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
  std::vector<store::AuditRecord> audit(const std::string& org = "") {
    return *store_->read<std::vector<store::AuditRecord>>(
        [&](store::Repositories& r) { return r.audit().list(env_.id, org, 0, 1000); });
  }
  std::vector<store::OutboxEvent> events() {
    EXPECT_TRUE(store_.wait_until_outbox_readable());
    return *store_->read<std::vector<store::OutboxEvent>>(
        [&](store::Repositories& r) { return r.outbox().read(env_.id, "", {}, 1000); });
  }
  int64_t version(const std::string& org = "") { return catalog_.get(env_, org)->version; }

  FakeClock clock_;
  testing::TestStore store_;
  tenancy::TenancyService tenancy_;
  CatalogService catalog_;
  store::Environment env_, other_env_;
  store::Organization acme_, globex_, elsewhere_;
  tenancy::Actor actor_{"cli", "tester", "req-1", "127.0.0.1"};
};

TEST_P(CatalogServiceTest, DefaultCatalogIsVersionOne) {
  auto c = catalog_.get(env_, "");
  ASSERT_TRUE(c) << c.error().text();
  EXPECT_EQ(c->version, 1);
  EXPECT_EQ(c->catalog.attributes, default_catalog().attributes);
  auto versions = catalog_.versions(env_, "", 0, 10);
  ASSERT_TRUE(versions);
  ASSERT_EQ(versions->size(), 1u);
  EXPECT_EQ((*versions)[0].action, "catalog.created");
  EXPECT_EQ(json::parse((*versions)[0].diff).size(), default_catalog().attributes.size());
  // Reading again does not write again.
  EXPECT_EQ(version(), 1);
  EXPECT_EQ(audit().size(), 1u);
}

TEST_P(CatalogServiceTest, EveryChangeIsAVersionWithDiffAuditAndEvent) {
  auto added = catalog_.add_attribute(
      env_, "", {{"name", "office"}, {"allowed_values", {"Paris", "Berlin"}}}, -1, actor_);
  ASSERT_TRUE(added) << added.error().text();
  EXPECT_EQ(added->version, 2);  // version 1 is the default catalog, written first

  auto updated =
      catalog_.update_attribute(env_, "", "office", {{"description", "Main office"}}, 2, actor_);
  ASSERT_TRUE(updated) << updated.error().text();
  EXPECT_EQ(updated->version, 3);
  EXPECT_EQ(updated->catalog.find("office")->description, "Main office");

  auto deprecated =
      catalog_.deprecate_attribute(env_, "", "formatted_name", "display_name", 3, actor_);
  ASSERT_TRUE(deprecated) << deprecated.error().text();
  EXPECT_EQ(deprecated->version, 4);
  EXPECT_TRUE(deprecated->catalog.find("formatted_name")->deprecated);
  EXPECT_EQ(deprecated->catalog.find("formatted_name")->replaced_by, "display_name");

  auto versions = catalog_.versions(env_, "", 0, 10);
  ASSERT_TRUE(versions);
  ASSERT_EQ(versions->size(), 4u);
  EXPECT_EQ((*versions)[0].action, "catalog.attribute_deprecated");
  EXPECT_EQ((*versions)[1].action, "catalog.attribute_updated");
  EXPECT_EQ((*versions)[2].action, "catalog.attribute_added");
  EXPECT_EQ((*versions)[2].actor_id, "tester");
  const json d3 = json::parse((*versions)[1].diff);
  ASSERT_EQ(d3.size(), 1u);
  EXPECT_EQ(d3[0]["op"], "changed");
  EXPECT_EQ(d3[0]["changes"]["description"]["to"], "Main office");

  auto diff = catalog_.diff(env_, "", 1, 4);
  ASSERT_TRUE(diff);
  ASSERT_EQ((*diff)["changes"].size(), 2u) << diff->dump(2);
  std::set<std::string> ops;
  for (const auto& c : (*diff)["changes"])
    ops.insert(c["op"].get<std::string>() + ":" + c["attribute"].get<std::string>());
  EXPECT_EQ(ops, (std::set<std::string>{"added:office", "deprecated:formatted_name"}));

  auto v2 = catalog_.version(env_, "", 2);
  ASSERT_TRUE(v2);
  EXPECT_NE(v2->document.find("\"office\""), std::string::npos);
  EXPECT_EQ(catalog_.version(env_, "", 9).error().code, errc::CatalogVersionNotFound);

  // One audit record and one outbox event per version, same actor and version.
  auto records = audit();
  ASSERT_EQ(records.size(), 4u);
  EXPECT_EQ(records[1].action, "catalog.attribute_added");
  EXPECT_EQ(records[1].target_id, "office");
  EXPECT_EQ(records[1].request_id, "req-1");
  EXPECT_EQ(records[1].summary["version"], 2);
  auto evs = events();
  ASSERT_EQ(evs.size(), 4u);
  EXPECT_EQ(evs[3].type, "catalog.attribute_deprecated");
  EXPECT_EQ(evs[3].payload["version"], 4);
  EXPECT_EQ(evs[3].payload["changes"][0]["attribute"], "formatted_name");
}

TEST_P(CatalogServiceTest, BadInputAndStaleVersionsChangeNothing) {
  ASSERT_EQ(version(), 1);
  const size_t before = audit().size();
  struct Case {
    Result<VersionedCatalog> r;
    ErrorCode code;
  };
  std::vector<Case> cases;
  cases.push_back({catalog_.add_attribute(env_, "", {{"name", "Bad Name"}}, -1, actor_),
                   errc::CatalogInvalidAttribute});
  cases.push_back(
      {catalog_.add_attribute(env_, "", {{"name", "x"}, {"pattern", "(?<=a)b"}}, -1, actor_),
       errc::CatalogInvalidPattern});
  cases.push_back({catalog_.add_attribute(env_, "", {{"name", "email"}}, -1, actor_),
                   errc::CatalogAttributeExists});
  cases.push_back({catalog_.add_attribute(env_, "", {{"name", "x"}}, 7, actor_),
                   errc::RequestPreconditionFailed});
  cases.push_back({catalog_.update_attribute(env_, "", "email", {{"name", "mail"}}, 1, actor_),
                   errc::CatalogInvalidAttribute});
  cases.push_back({catalog_.update_attribute(env_, "", "email", {{"type", "integer"}}, 1, actor_),
                   errc::CatalogInvalidAttribute});
  cases.push_back({catalog_.update_attribute(env_, "", "nope", {{"description", "x"}}, 1, actor_),
                   errc::CatalogAttributeNotFound});
  cases.push_back({catalog_.deprecate_attribute(env_, "", "formatted_name", "nope", -1, actor_),
                   errc::CatalogAttributeNotFound});
  for (auto& c : cases) {
    ASSERT_FALSE(c.r);
    EXPECT_EQ(c.r.error().code, c.code) << c.r.error().text();
  }
  EXPECT_EQ(version(), 1);
  EXPECT_EQ(audit().size(), before);
  EXPECT_EQ(catalog_.get(env_, "")->catalog.attributes, default_catalog().attributes);
}

TEST_P(CatalogServiceTest, CustomAttributesAreTheOrganizationsOwn) {
  const int64_t env_version = version();
  auto added = catalog_.add_attribute(
      env_, acme_.id, {{"name", "badge_id"}, {"pattern", "B-[0-9]{4}"}}, -1, actor_);
  ASSERT_TRUE(added) << added.error().text();
  EXPECT_EQ(added->version, 1);
  EXPECT_EQ(added->catalog.name_space, "acme");

  auto seen = catalog_.effective(env_, acme_.id);
  ASSERT_TRUE(seen);
  const auto* badge = seen->find("org.acme.badge_id");
  ASSERT_NE(badge, nullptr);
  EXPECT_TRUE(badge->custom);
  EXPECT_EQ(badge->sources.scim.front(),
            "urn:gatehouse:scim:schemas:extension:acme:2.0:User:badge_id");
  EXPECT_NE(seen->find("email"), nullptr);

  // The environment's catalog did not change, and other organizations do not see it.
  EXPECT_EQ(version(), env_version);
  EXPECT_EQ(catalog_.get(env_, "")->catalog.find("badge_id"), nullptr);
  auto other = catalog_.effective(env_, globex_.id);
  ASSERT_TRUE(other);
  EXPECT_EQ(other->find("org.acme.badge_id"), nullptr);
  EXPECT_EQ(catalog_.get(env_, globex_.id)->version, 0);
  auto probe = catalog_.update_attribute(env_, globex_.id, "org.acme.badge_id",
                                         {{"description", "x"}}, -1, actor_);
  ASSERT_FALSE(probe);
  EXPECT_EQ(probe.error().code, errc::CatalogAttributeNotFound);
  auto probe_version = catalog_.version(env_, globex_.id, 1);
  ASSERT_FALSE(probe_version);
  EXPECT_EQ(probe_version.error().code, errc::CatalogVersionNotFound);
  // An organization of another environment is unknown here.
  auto foreign = catalog_.get(env_, elsewhere_.id);
  ASSERT_FALSE(foreign);
  EXPECT_EQ(foreign.error().code, errc::TenantNotFound);

  // Updates by either name; deprecation may point to an environment attribute.
  ASSERT_TRUE(catalog_.update_attribute(env_, acme_.id, "org.acme.badge_id",
                                        {{"description", "Door badge"}}, 1, actor_));
  ASSERT_TRUE(catalog_.add_attribute(env_, acme_.id, {{"name", "badge"}}, 2, actor_));
  auto dep = catalog_.deprecate_attribute(env_, acme_.id, "badge_id", "org.acme.badge", 3, actor_);
  ASSERT_TRUE(dep) << dep.error().text();
  auto diff = catalog_.diff(env_, acme_.id, 0, 4);
  ASSERT_TRUE(diff);
  EXPECT_EQ((*diff)["changes"].size(), 2u);
  EXPECT_EQ((*diff)["changes"][0]["attribute"], "org.acme.badge_id");

  // Custom attributes stay out of the environment's SCIM schemas.
  auto core = catalog_.add_attribute(
      env_, acme_.id, {{"name", "x"}, {"sources", {{"scim", {"nickName"}}}}}, -1, actor_);
  ASSERT_FALSE(core);
  EXPECT_EQ(core.error().code, errc::CatalogInvalidAttribute);
  EXPECT_EQ(core.error().extra["field"], "sources.scim");

  // Audited under the organization.
  auto records = audit(acme_.id);
  ASSERT_EQ(records.size(), 4u);
  EXPECT_EQ(records[0].organization_id, acme_.id);
  EXPECT_EQ(records[0].target_id, "org.acme.badge_id");
}

INSTANTIATE_TEST_SUITE_P(Sqlite, CatalogServiceTest, ::testing::Values(Backend::sqlite));
INSTANTIATE_TEST_SUITE_P(Postgres, CatalogServiceTest, ::testing::Values(Backend::postgres));

}  // namespace
}  // namespace gh::catalog
