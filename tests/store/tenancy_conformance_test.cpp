// Conformance of the tenancy repositories on both backends. Every tenant-scoped call is also
// made with another environment's or organization's ids and must answer not-found.
#include <gtest/gtest.h>

#include "tenancy/error_codes.h"
#include "test_store.h"

namespace gh::store {
namespace {

class TenancyConformance : public ::testing::TestWithParam<Backend> {
 protected:
  TenancyConformance() : store_(GetParam(), &clock_) {
    env_a_ = make_env("env-a");
    env_b_ = make_env("env-b");
  }
  Environment make_env(const std::string& name) {
    return *store_->transact<Environment>(
        [&](Repositories& r) { return r.environments().create({.name = name}); });
  }
  Result<Organization> create_org(const Environment& env, const std::string& slug) {
    return store_->transact<Organization>([&](Repositories& r) {
      return r.organizations().create(
          {.environment_id = env.id, .slug = slug, .name = "Org " + slug});
    });
  }
  template <class T>
  Result<T> tx(const std::function<Result<T>(Repositories&)>& fn) {
    return store_->transact<T>(fn);
  }
  FakeClock clock_;
  testing::TestStore store_;
  Environment env_a_, env_b_;
};

TEST_P(TenancyConformance, OrganizationCrudAndIsolation) {
  auto acme = create_org(env_a_, "acme");
  ASSERT_TRUE(acme) << acme.error().text();
  EXPECT_EQ(acme->version, 1);
  EXPECT_EQ(acme->status, "active");

  auto got =
      tx<Organization>([&](Repositories& r) { return r.organizations().get(env_a_.id, acme->id); });
  ASSERT_TRUE(got);
  EXPECT_EQ(got->slug, "acme");
  // Another environment's id space: not found.
  auto other =
      tx<Organization>([&](Repositories& r) { return r.organizations().get(env_b_.id, acme->id); });
  ASSERT_FALSE(other);
  EXPECT_EQ(other.error().code, errc::TenantNotFound);
  EXPECT_FALSE(tx<Organization>(
      [&](Repositories& r) { return r.organizations().get_by_slug(env_b_.id, "acme"); }));

  // Same slug in another environment is fine; twice in one is not.
  EXPECT_TRUE(create_org(env_b_, "acme"));
  auto dup = create_org(env_a_, "acme");
  ASSERT_FALSE(dup);
  EXPECT_EQ(dup.error().code, errc::TenantSlugTaken);
  auto bad = create_org(env_a_, "Not A Slug");
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().code, errc::TenantInvalidSlug);

  // Update with the version read; a stale one loses; the other environment cannot update it.
  Organization next = *acme;
  next.name = "Acme Inc";
  next.metadata = {{"tier", "enterprise"}};
  auto updated =
      tx<Organization>([&](Repositories& r) { return r.organizations().update(next, 1); });
  ASSERT_TRUE(updated) << updated.error().text();
  EXPECT_EQ(updated->version, 2);
  EXPECT_EQ(updated->metadata["tier"], "enterprise");
  auto stale = tx<Organization>([&](Repositories& r) { return r.organizations().update(next, 1); });
  ASSERT_FALSE(stale);
  EXPECT_EQ(stale.error().code, errc::RequestPreconditionFailed);
  Organization foreign = next;
  foreign.environment_id = env_b_.id;
  auto cross =
      tx<Organization>([&](Repositories& r) { return r.organizations().update(foreign, 2); });
  ASSERT_FALSE(cross);
  EXPECT_EQ(cross.error().code, errc::TenantNotFound);
}

TEST_P(TenancyConformance, OrganizationListPagesInStableOrder) {
  for (int i = 0; i < 25; ++i) {
    clock_.advance(std::chrono::milliseconds(1));
    ASSERT_TRUE(create_org(env_a_, "org-" + std::to_string(100 + i)));
  }
  ASSERT_TRUE(create_org(env_b_, "elsewhere"));
  std::vector<std::string> seen;
  Page page{"", 10};
  for (int guard = 0; guard < 10; ++guard) {
    auto p = tx<PageOf<Organization>>(
        [&](Repositories& r) { return r.organizations().list(env_a_.id, page); });
    ASSERT_TRUE(p);
    for (auto& o : p->items) seen.push_back(o.slug);
    if (p->next.empty()) break;
    page.after = p->next;
  }
  ASSERT_EQ(seen.size(), 25u);
  EXPECT_EQ(seen.front(), "org-100");
  EXPECT_EQ(seen.back(), "org-124");
}

TEST_P(TenancyConformance, SoftDeleteAndRestoreWithinThirtyDays) {
  auto org = create_org(env_a_, "leaving");
  ASSERT_TRUE(org);
  auto deleted = tx<Organization>([&](Repositories& r) {
    return r.organizations().soft_delete(env_a_.id, org->id, clock_.now_ms());
  });
  ASSERT_TRUE(deleted);
  EXPECT_NE(deleted->deleted_at_ms, 0);
  EXPECT_FALSE(
      tx<Organization>([&](Repositories& r) { return r.organizations().get(env_a_.id, org->id); }));
  EXPECT_TRUE(tx<Organization>(
      [&](Repositories& r) { return r.organizations().get(env_a_.id, org->id, true); }));
  auto listed = tx<PageOf<Organization>>(
      [&](Repositories& r) { return r.organizations().list(env_a_.id, {}); });
  EXPECT_TRUE(listed->items.empty());
  // Not from another environment, and not twice.
  EXPECT_FALSE(tx<Organization>([&](Repositories& r) {
    return r.organizations().restore(env_b_.id, org->id, clock_.now_ms());
  }));
  EXPECT_FALSE(tx<Organization>([&](Repositories& r) {
    return r.organizations().soft_delete(env_a_.id, org->id, clock_.now_ms());
  }));
  clock_.advance(std::chrono::hours(24 * 29));
  auto restored = tx<Organization>([&](Repositories& r) {
    return r.organizations().restore(env_a_.id, org->id, clock_.now_ms());
  });
  ASSERT_TRUE(restored) << restored.error().text();
  EXPECT_EQ(restored->deleted_at_ms, 0);
  // Past the window it stays deleted.
  ASSERT_TRUE(tx<Organization>([&](Repositories& r) {
    return r.organizations().soft_delete(env_a_.id, org->id, clock_.now_ms());
  }));
  clock_.advance(std::chrono::hours(24 * 31));
  auto late = tx<Organization>([&](Repositories& r) {
    return r.organizations().restore(env_a_.id, org->id, clock_.now_ms());
  });
  ASSERT_FALSE(late);
  EXPECT_EQ(late.error().code, errc::TenantNotFound);
}

TEST_P(TenancyConformance, ApiKeysAreScopedAndRevocable) {
  auto org = create_org(env_a_, "acme");
  auto other_org = create_org(env_a_, "globex");
  ASSERT_TRUE(org && other_org);
  ApiKey env_key{.environment_id = env_a_.id,
                 .name = "ci",
                 .role = "admin",
                 .lookup = "aaaa",
                 .secret_hash = "h1"};
  ApiKey org_key{.environment_id = env_a_.id,
                 .organization_id = org->id,
                 .name = "acme tooling",
                 .role = "organization",
                 .lookup = "bbbb",
                 .secret_hash = "h2"};
  auto k1 = tx<ApiKey>([&](Repositories& r) { return r.api_keys().create(env_key); });
  auto k2 = tx<ApiKey>([&](Repositories& r) { return r.api_keys().create(org_key); });
  ASSERT_TRUE(k1 && k2);

  auto found = tx<std::optional<ApiKey>>(
      [&](Repositories& r) { return r.api_keys().find_by_lookup("bbbb"); });
  ASSERT_TRUE(found && *found);
  EXPECT_EQ((*found)->organization_id, org->id);
  auto missing = tx<std::optional<ApiKey>>(
      [&](Repositories& r) { return r.api_keys().find_by_lookup("zzzz"); });
  ASSERT_TRUE(missing);
  EXPECT_FALSE(*missing);

  auto all =
      tx<std::vector<ApiKey>>([&](Repositories& r) { return r.api_keys().list(env_a_.id, ""); });
  EXPECT_EQ(all->size(), 2u);
  auto only_org = tx<std::vector<ApiKey>>(
      [&](Repositories& r) { return r.api_keys().list(env_a_.id, org->id); });
  ASSERT_EQ(only_org->size(), 1u);
  EXPECT_EQ((*only_org)[0].id, k2->id);
  EXPECT_TRUE(tx<std::vector<ApiKey>>([&](Repositories& r) {
                return r.api_keys().list(env_b_.id, "");
              })->empty());

  // Another organization's or environment's view cannot reach the key.
  for (auto [env, orgid] : std::vector<std::pair<std::string, std::string>>{
           {env_a_.id, other_org->id}, {env_b_.id, ""}}) {
    auto g = tx<ApiKey>([&](Repositories& r) { return r.api_keys().get(env, orgid, k2->id); });
    ASSERT_FALSE(g);
    EXPECT_EQ(g.error().code, errc::ApiKeyNotFound);
    auto rv = tx<ApiKey>(
        [&](Repositories& r) { return r.api_keys().revoke(env, orgid, k2->id, clock_.now_ms()); });
    ASSERT_FALSE(rv);
  }
  auto revoked = tx<ApiKey>([&](Repositories& r) {
    return r.api_keys().revoke(env_a_.id, org->id, k2->id, clock_.now_ms());
  });
  ASSERT_TRUE(revoked);
  EXPECT_EQ(revoked->revoked_at_ms, clock_.now_ms());
  EXPECT_NE((*tx<std::optional<ApiKey>>([&](Repositories& r) {
              return r.api_keys().find_by_lookup("bbbb");
            }))->revoked_at_ms,
            0);
}

TEST_P(TenancyConformance, AuditRecordsAppendInOrderAndFilterByTenant) {
  auto org = create_org(env_a_, "acme");
  auto other = create_org(env_a_, "globex");
  ASSERT_TRUE(org && other);
  std::vector<int64_t> seqs;
  for (int i = 0; i < 5; ++i) {
    AuditRecord rec{.environment_id = env_a_.id,
                    .organization_id = i % 2 ? org->id : other->id,
                    .actor_type = "api_key",
                    .actor_id = "k",
                    .action = "organization.updated",
                    .target_type = "organization",
                    .target_id = org->id,
                    .request_id = "r" + std::to_string(i),
                    .source_ip = "127.0.0.1",
                    .summary = {{"i", i}}};
    auto seq = tx<int64_t>([&](Repositories& r) { return r.audit().append(rec); });
    ASSERT_TRUE(seq);
    seqs.push_back(*seq);
  }
  EXPECT_TRUE(std::is_sorted(seqs.begin(), seqs.end()));
  auto all = tx<std::vector<AuditRecord>>(
      [&](Repositories& r) { return r.audit().list(env_a_.id, "", 0, 100); });
  ASSERT_EQ(all->size(), 5u);
  EXPECT_EQ((*all)[3].summary["i"], 3);
  auto for_org = tx<std::vector<AuditRecord>>(
      [&](Repositories& r) { return r.audit().list(env_a_.id, org->id, 0, 100); });
  EXPECT_EQ(for_org->size(), 2u);
  auto after = tx<std::vector<AuditRecord>>(
      [&](Repositories& r) { return r.audit().list(env_a_.id, "", seqs[2], 100); });
  EXPECT_EQ(after->size(), 2u);
  EXPECT_TRUE(tx<std::vector<AuditRecord>>([&](Repositories& r) {
                return r.audit().list(env_b_.id, "", 0, 100);
              })->empty());
  // A rolled-back change leaves no audit record.
  (void)tx<bool>([&](Repositories& r) -> Result<bool> {
    (void)r.audit().append({.environment_id = env_a_.id, .action = "ghost"});
    return fail(errc::RequestInvalidField);
  });
  EXPECT_EQ(tx<std::vector<AuditRecord>>([&](Repositories& r) {
              return r.audit().list(env_a_.id, "", 0, 100);
            })->size(),
            5u);
}

TEST_P(TenancyConformance, PoliciesAreVersionedPerTenant) {
  auto org = create_org(env_a_, "acme");
  ASSERT_TRUE(org);
  auto none = tx<std::optional<PolicyDocument>>(
      [&](Repositories& r) { return r.policies().get(env_a_.id, org->id); });
  ASSERT_TRUE(none);
  EXPECT_FALSE(*none);
  PolicyDocument doc{env_a_.id, org->id, {{"provisioning_mode", "directory_only"}}, 0, 0};
  auto v1 = tx<PolicyDocument>([&](Repositories& r) { return r.policies().put(doc, 0); });
  ASSERT_TRUE(v1);
  EXPECT_EQ(v1->version, 1);
  auto again = tx<PolicyDocument>([&](Repositories& r) { return r.policies().put(doc, 0); });
  ASSERT_FALSE(again);
  EXPECT_EQ(again.error().code, errc::RequestPreconditionFailed);
  doc.document["email_linking"] = "verified_domains";
  auto v2 = tx<PolicyDocument>([&](Repositories& r) { return r.policies().put(doc, 1); });
  ASSERT_TRUE(v2);
  EXPECT_EQ(v2->version, 2);
  auto got = tx<std::optional<PolicyDocument>>(
      [&](Repositories& r) { return r.policies().get(env_a_.id, org->id); });
  EXPECT_EQ((*got)->document["email_linking"], "verified_domains");
  EXPECT_FALSE(*tx<std::optional<PolicyDocument>>(
      [&](Repositories& r) { return r.policies().get(env_b_.id, org->id); }));
}

TEST_P(TenancyConformance, OutboxReadsInCommitOrderPerTenant) {
  auto org = create_org(env_a_, "acme");
  ASSERT_TRUE(org);
  for (int i = 0; i < 6; ++i) {
    ASSERT_TRUE(tx<OutboxEvent>([&](Repositories& r) {
      return r.outbox().enqueue({.environment_id = i == 5 ? env_b_.id : env_a_.id,
                                 .organization_id = i % 2 ? org->id : "",
                                 .type = "test.event",
                                 .payload = {{"i", i}}});
    }));
  }
  ASSERT_TRUE(store_.wait_until_outbox_readable());
  auto all = tx<std::vector<OutboxEvent>>(
      [&](Repositories& r) { return r.outbox().read(env_a_.id, "", {}, 100); });
  ASSERT_TRUE(all);
  ASSERT_EQ(all->size(), 5u);
  for (int i = 0; i < 5; ++i) EXPECT_EQ((*all)[i].payload["i"], i);
  OutboxCursor c{(*all)[2].tx, (*all)[2].seq};
  auto decoded = OutboxCursor::decode(c.encode());
  ASSERT_TRUE(decoded);
  auto rest = tx<std::vector<OutboxEvent>>(
      [&](Repositories& r) { return r.outbox().read(env_a_.id, "", *decoded, 100); });
  ASSERT_EQ(rest->size(), 2u);
  EXPECT_EQ((*rest)[0].payload["i"], 3);
  auto org_only = tx<std::vector<OutboxEvent>>(
      [&](Repositories& r) { return r.outbox().read(env_a_.id, org->id, {}, 100); });
  EXPECT_EQ(org_only->size(), 2u);
  EXPECT_FALSE(OutboxCursor::decode("!!"));
  EXPECT_FALSE(OutboxCursor::decode("YWJj"));
}

INSTANTIATE_TEST_SUITE_P(Sqlite, TenancyConformance, ::testing::Values(Backend::sqlite));
INSTANTIATE_TEST_SUITE_P(Postgres, TenancyConformance, ::testing::Values(Backend::postgres));

}  // namespace
}  // namespace gh::store
