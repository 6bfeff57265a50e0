// Conformance of the SCIM directory repository on both backends: directories and their name
// rule, tokens (lookup, revocation), resources (userName uniqueness case-insensitively per
// directory, indexed lookups, scans and pages in id order, optimistic versions), memberships,
// the request log, and isolation: other organizations', environments' and directories' ids
// answer not-found (or nothing) everywhere.
#include <gtest/gtest.h>

#include <tuple>

#include "core/error.h"
#include "directory/error_codes.h"
#include "store/directories.h"
#include "store/store.h"
#include "test_store.h"

namespace gh::store {
namespace {

class DirectoryConformance : public ::testing::TestWithParam<Backend> {
 protected:
  DirectoryConformance() : store_(GetParam(), &clock_) {
    env_a_ = make_env("env-a");
    env_b_ = make_env("env-b");
    acme_ = make_org(env_a_, "acme");
    globex_ = make_org(env_a_, "globex");
    acme_b_ = make_org(env_b_, "acme");
  }
  Environment make_env(const std::string& name) {
    return *store_->transact<Environment>(
        [&](Repositories& r) { return r.environments().create({.name = name}); });
  }
  Organization make_org(const Environment& env, const std::string& slug) {
    return *store_->transact<Organization>([&](Repositories& r) {
      return r.organizations().create({.environment_id = env.id, .slug = slug, .name = slug});
    });
  }
  Result<Directory> make_dir(const Organization& org, const std::string& name) {
    return store_->transact<Directory>([&](Repositories& r) {
      Directory d;
      d.environment_id = org.environment_id;
      d.organization_id = org.id;
      d.name = name;
      return r.directories().create(d);
    });
  }
  Result<ScimResource> add_user(const Directory& d, const std::string& user_name,
                                const std::string& external_id = "",
                                std::vector<std::string> emails = {}) {
    return store_->transact<ScimResource>([&](Repositories& r) {
      ScimResource res;
      res.directory_id = d.id;
      res.environment_id = d.environment_id;
      res.organization_id = d.organization_id;
      res.type = "User";
      res.user_id = "user-" + user_name;
      res.user_name = user_name;
      res.external_id = external_id;
      res.display_name = "dn " + user_name;
      res.document = {{"userName", user_name}};
      res.emails = emails;
      return r.directories().create_resource(res);
    });
  }
  template <class T>
  Result<T> read(const std::function<Result<T>(DirectoryRepository&)>& fn) {
    return store_->read<T>([&](Repositories& r) { return fn(r.directories()); });
  }
  template <class T>
  Result<T> write(const std::function<Result<T>(DirectoryRepository&)>& fn) {
    return store_->transact<T>([&](Repositories& r) { return fn(r.directories()); });
  }
  FakeClock clock_;
  testing::TestStore store_;
  Environment env_a_, env_b_;
  Organization acme_, globex_, acme_b_;
};

TEST_P(DirectoryConformance, DirectoriesNamesStatusAndIsolation) {
  auto d = make_dir(acme_, "Entra");
  ASSERT_TRUE(d) << d.error().text();
  EXPECT_EQ(d->status, "active");
  auto dup = make_dir(acme_, "Entra");
  ASSERT_FALSE(dup);
  EXPECT_EQ(dup.error().code, errc::DirectoryNameTaken);
  ASSERT_TRUE(make_dir(globex_, "Entra"));  // names are per organization
  ASSERT_TRUE(make_dir(acme_b_, "Entra"));

  auto got = read<Directory>([&](auto& r) { return r.get(env_a_.id, acme_.id, d->id); });
  ASSERT_TRUE(got);
  EXPECT_EQ(got->name, "Entra");
  // Another organization's or environment's id: not found.
  for (auto [env, org] : {std::pair{env_a_.id, globex_.id}, std::pair{env_b_.id, acme_.id},
                          std::pair{env_b_.id, acme_b_.id}}) {
    auto probe = read<Directory>([&](auto& r) { return r.get(env, org, d->id); });
    ASSERT_FALSE(probe);
    EXPECT_EQ(probe.error().code, errc::DirectoryNotFound);
    auto status = write<Directory>(
        [&](auto& r) { return r.set_status(env, org, d->id, "paused", clock_.now_ms()); });
    EXPECT_FALSE(status);
    EXPECT_FALSE(write<Directory>([&](auto& r) { return r.remove(env, org, d->id); }));
  }
  auto list = read<std::vector<Directory>>([&](auto& r) { return r.list(env_a_.id, acme_.id); });
  ASSERT_TRUE(list);
  EXPECT_EQ(list->size(), 1u);
  auto paused = write<Directory>(
      [&](auto& r) { return r.set_status(env_a_.id, acme_.id, d->id, "paused", clock_.now_ms()); });
  ASSERT_TRUE(paused);
  EXPECT_EQ(paused->status, "paused");
  EXPECT_EQ(paused->version, 2);
}

TEST_P(DirectoryConformance, TokensLookupRevokeAndIsolation) {
  auto d = *make_dir(acme_, "Okta");
  auto other = *make_dir(globex_, "Okta");
  auto t = write<DirectoryToken>([&](auto& r) {
    return r.add_token({.directory_id = d.id,
                        .environment_id = env_a_.id,
                        .organization_id = acme_.id,
                        .name = "first",
                        .lookup = "lookup-1",
                        .secret_hash = "hash-1"});
  });
  ASSERT_TRUE(t) << t.error().text();
  // A token for a directory that is not the organization's is refused.
  auto wrong = write<DirectoryToken>([&](auto& r) {
    return r.add_token({.directory_id = other.id,
                        .environment_id = env_a_.id,
                        .organization_id = acme_.id,
                        .name = "x",
                        .lookup = "lookup-x",
                        .secret_hash = "h"});
  });
  EXPECT_FALSE(wrong);
  auto found =
      read<std::optional<DirectoryToken>>([&](auto& r) { return r.find_token("lookup-1"); });
  ASSERT_TRUE(found && *found);
  EXPECT_EQ((*found)->directory_id, d.id);
  EXPECT_EQ((*found)->secret_hash, "hash-1");
  EXPECT_FALSE(*read<std::optional<DirectoryToken>>([&](auto& r) { return r.find_token("nope"); }));
  // Revoking through another organization or directory: not found.
  auto probe = write<DirectoryToken>(
      [&](auto& r) { return r.revoke_token(env_a_.id, globex_.id, d.id, t->id, 5); });
  EXPECT_FALSE(probe);
  auto probe2 = write<DirectoryToken>(
      [&](auto& r) { return r.revoke_token(env_a_.id, globex_.id, other.id, t->id, 5); });
  ASSERT_FALSE(probe2);
  EXPECT_EQ(probe2.error().code, errc::DirectoryTokenNotFound);
  auto revoked = write<DirectoryToken>(
      [&](auto& r) { return r.revoke_token(env_a_.id, acme_.id, d.id, t->id, 5); });
  ASSERT_TRUE(revoked);
  EXPECT_EQ(revoked->revoked_at_ms, 5);
  auto tokens = read<std::vector<DirectoryToken>>(
      [&](auto& r) { return r.list_tokens(env_a_.id, acme_.id, d.id); });
  ASSERT_TRUE(tokens);
  ASSERT_EQ(tokens->size(), 1u);
  EXPECT_EQ((*tokens)[0].revoked_at_ms, 5);
  EXPECT_FALSE(read<std::vector<DirectoryToken>>(
      [&](auto& r) { return r.list_tokens(env_a_.id, globex_.id, d.id); }));
}

TEST_P(DirectoryConformance, ResourcesUniquenessIndexesPagingVersionsAndIsolation) {
  auto d = *make_dir(acme_, "Entra");
  auto d2 = *make_dir(acme_, "Okta");
  auto other = *make_dir(globex_, "Entra");
  auto alice = add_user(d, "alice@example.com", "ext-A");
  ASSERT_TRUE(alice) << alice.error().text();
  auto dup = add_user(d, "alice@example.com");
  ASSERT_FALSE(dup);
  EXPECT_EQ(dup.error().code, errc::ScimUniqueness);
  ASSERT_TRUE(add_user(d2, "alice@example.com"));     // another directory
  ASSERT_TRUE(add_user(other, "alice@example.com"));  // another organization
  for (int i = 0; i < 5; ++i) {
    clock_.advance(std::chrono::milliseconds(1));
    ASSERT_TRUE(add_user(d, "u" + std::to_string(i) + "@example.com"));
  }
  // A Group never collides with a User's name.
  auto group = write<ScimResource>([&](auto& r) {
    ScimResource g;
    g.directory_id = d.id;
    g.environment_id = env_a_.id;
    g.organization_id = acme_.id;
    g.type = "Group";
    g.display_name = "eng";
    g.document = {{"displayName", "Eng"}};
    return r.create_resource(g);
  });
  ASSERT_TRUE(group) << group.error().text();

  auto by_name = read<std::vector<ScimResource>>([&](auto& r) {
    return r.find_resources(env_a_.id, acme_.id, d.id, "User", ScimIndex::user_name,
                            "alice@example.com");
  });
  ASSERT_TRUE(by_name);
  ASSERT_EQ(by_name->size(), 1u);
  EXPECT_EQ((*by_name)[0].id, alice->id);
  EXPECT_EQ((*by_name)[0].document["userName"], "alice@example.com");
  auto by_ext = read<std::vector<ScimResource>>([&](auto& r) {
    return r.find_resources(env_a_.id, acme_.id, d.id, "User", ScimIndex::external_id, "ext-A");
  });
  ASSERT_EQ(by_ext->size(), 1u);
  // Cross-tenant probes: nothing.
  for (auto [env, org] : {std::pair{env_a_.id, globex_.id}, std::pair{env_b_.id, acme_.id}}) {
    EXPECT_TRUE(read<std::vector<ScimResource>>([&](auto& r) {
                  return r.find_resources(env, org, d.id, "User", ScimIndex::user_name,
                                          "alice@example.com");
                })->empty());
    auto probe = read<ScimResource>(
        [&](auto& r) { return r.get_resource(env, org, d.id, "User", alice->id); });
    ASSERT_FALSE(probe);
    EXPECT_EQ(probe.error().code, errc::ScimNotFound);
    EXPECT_EQ(*read<int64_t>([&](auto& r) { return r.count_resources(env, org, d.id, "User"); }),
              0);
    EXPECT_TRUE(read<std::vector<ScimResource>>([&](auto& r) {
                  return r.scan_resources(env, org, d.id, "User", "", 100);
                })->empty());
    EXPECT_FALSE(write<ScimResource>(
        [&](auto& r) { return r.delete_resource(env, org, d.id, "User", alice->id); }));
    ScimResource hijack = *alice;
    hijack.organization_id = org;
    hijack.environment_id = env;
    EXPECT_FALSE(write<ScimResource>([&](auto& r) { return r.update_resource(hijack, 1); }));
  }
  // Another directory of the same organization does not see it either.
  EXPECT_FALSE(read<ScimResource>(
      [&](auto& r) { return r.get_resource(env_a_.id, acme_.id, d2.id, "User", alice->id); }));

  EXPECT_EQ(
      *read<int64_t>([&](auto& r) { return r.count_resources(env_a_.id, acme_.id, d.id, "User"); }),
      6);
  auto all = *read<std::vector<ScimResource>>(
      [&](auto& r) { return r.scan_resources(env_a_.id, acme_.id, d.id, "User", "", 100); });
  ASSERT_EQ(all.size(), 6u);
  EXPECT_TRUE(std::is_sorted(all.begin(), all.end(),
                             [](const auto& a, const auto& b) { return a.id < b.id; }));
  auto after = *read<std::vector<ScimResource>>(
      [&](auto& r) { return r.scan_resources(env_a_.id, acme_.id, d.id, "User", all[2].id, 2); });
  ASSERT_EQ(after.size(), 2u);
  EXPECT_EQ(after[0].id, all[3].id);
  auto page = *read<std::vector<ScimResource>>(
      [&](auto& r) { return r.page_resources(env_a_.id, acme_.id, d.id, "User", 4, 10); });
  ASSERT_EQ(page.size(), 2u);
  EXPECT_EQ(page[0].id, all[4].id);

  // Versions: a stale update fails; renaming into a taken userName is refused.
  ScimResource changed = *alice;
  changed.document["displayName"] = "Alice";
  auto updated = write<ScimResource>([&](auto& r) { return r.update_resource(changed, 1); });
  ASSERT_TRUE(updated) << updated.error().text();
  EXPECT_EQ(updated->version, 2);
  EXPECT_EQ(updated->document["displayName"], "Alice");
  auto stale = write<ScimResource>([&](auto& r) { return r.update_resource(changed, 1); });
  ASSERT_FALSE(stale);
  EXPECT_EQ(stale.error().code, errc::RequestPreconditionFailed);
  changed.user_name = "u0@example.com";
  auto taken = write<ScimResource>([&](auto& r) { return r.update_resource(changed, 2); });
  ASSERT_FALSE(taken);
  EXPECT_EQ(taken.error().code, errc::ScimUniqueness);
}

TEST_P(DirectoryConformance, MembershipsLogAndCascade) {
  auto d = *make_dir(acme_, "Entra");
  auto other = *make_dir(globex_, "Entra");
  auto alice = *add_user(d, "alice@example.com");
  auto bob = *add_user(d, "bob@example.com");
  auto g = *write<ScimResource>([&](auto& r) {
    ScimResource res;
    res.directory_id = d.id;
    res.environment_id = env_a_.id;
    res.organization_id = acme_.id;
    res.type = "Group";
    res.document = {{"displayName", "Eng"}};
    return r.create_resource(res);
  });
  EXPECT_TRUE(*write<bool>(
      [&](auto& r) { return r.add_member(env_a_.id, acme_.id, d.id, g.id, alice.id); }));
  EXPECT_FALSE(*write<bool>(
      [&](auto& r) { return r.add_member(env_a_.id, acme_.id, d.id, g.id, alice.id); }));
  EXPECT_TRUE(
      *write<bool>([&](auto& r) { return r.add_member(env_a_.id, acme_.id, d.id, g.id, bob.id); }));
  auto members =
      *read<std::vector<std::string>>([&](auto& r) { return r.members(acme_.id, d.id, g.id); });
  EXPECT_EQ(members.size(), 2u);
  EXPECT_TRUE(read<std::vector<std::string>>([&](auto& r) {
                return r.members(globex_.id, d.id, g.id);
              })->empty());
  auto groups = *read<std::vector<std::pair<std::string, std::string>>>(
      [&](auto& r) { return r.groups_of(acme_.id, d.id, alice.id); });
  ASSERT_EQ(groups.size(), 1u);
  EXPECT_EQ(groups[0].first, g.id);
  EXPECT_EQ(groups[0].second, "Eng");
  EXPECT_FALSE(
      *write<bool>([&](auto& r) { return r.remove_member(globex_.id, d.id, g.id, bob.id); }));
  EXPECT_TRUE(*write<bool>([&](auto& r) { return r.remove_member(acme_.id, d.id, g.id, bob.id); }));
  // Deleting a user drops its memberships.
  ASSERT_TRUE(write<ScimResource>(
      [&](auto& r) { return r.delete_resource(env_a_.id, acme_.id, d.id, "User", alice.id); }));
  EXPECT_TRUE(read<std::vector<std::string>>([&](auto& r) {
                return r.members(acme_.id, d.id, g.id);
              })->empty());

  for (int i = 0; i < 3; ++i) {
    ASSERT_TRUE(write<int64_t>([&](auto& r) {
      return r.append_log({.environment_id = env_a_.id,
                           .organization_id = acme_.id,
                           .directory_id = d.id,
                           .at_ms = i,
                           .method = "GET",
                           .path = "/Users",
                           .status = 200 + i,
                           .body = "sealed"});
    }));
  }
  auto log = *read<std::vector<ScimRequestLogEntry>>(
      [&](auto& r) { return r.list_log(env_a_.id, acme_.id, d.id, 0, 2); });
  ASSERT_EQ(log.size(), 2u);
  EXPECT_EQ(log[0].status, 202);
  auto older = *read<std::vector<ScimRequestLogEntry>>(
      [&](auto& r) { return r.list_log(env_a_.id, acme_.id, d.id, log[1].seq, 10); });
  ASSERT_EQ(older.size(), 1u);
  EXPECT_EQ(older[0].status, 200);
  EXPECT_FALSE(read<std::vector<ScimRequestLogEntry>>(
      [&](auto& r) { return r.list_log(env_a_.id, globex_.id, d.id, 0, 10); }));
  EXPECT_FALSE(read<std::vector<ScimRequestLogEntry>>(
      [&](auto& r) { return r.list_log(env_a_.id, acme_.id, other.id, 0, 10); }));

  // Removing the directory takes everything of it, and nothing of another's.
  ASSERT_TRUE(add_user(other, "x@example.com"));
  ASSERT_TRUE(write<Directory>([&](auto& r) { return r.remove(env_a_.id, acme_.id, d.id); }));
  EXPECT_FALSE(read<Directory>([&](auto& r) { return r.get(env_a_.id, acme_.id, d.id); }));
  EXPECT_EQ(
      *read<int64_t>([&](auto& r) { return r.count_resources(env_a_.id, acme_.id, d.id, "User"); }),
      0);
  EXPECT_EQ(*read<int64_t>([&](auto& r) {
    return r.count_resources(env_a_.id, globex_.id, other.id, "User");
  }),
            1);
}

TEST_P(DirectoryConformance, EveryEmailIsIndexedRewrittenAndTenantScoped) {
  auto d = *make_dir(acme_, "Entra");
  auto other = *make_dir(globex_, "Entra");
  auto alice = *add_user(d, "alice", "",
                         {"alice@acme.example", "a.home@mail.example", "alice@acme.example"});
  ASSERT_TRUE(add_user(d, "bob", "", {"bob@acme.example"}));
  ASSERT_TRUE(add_user(other, "alice", "", {"alice@acme.example"}));
  auto by_email = [&](const std::string& env, const std::string& org, const std::string& dir,
                      const std::string& v) {
    return *read<std::vector<ScimResource>>(
        [&](auto& r) { return r.find_resources(env, org, dir, "User", ScimIndex::email, v); });
  };
  // Any email, not only the primary one.
  ASSERT_EQ(by_email(env_a_.id, acme_.id, d.id, "a.home@mail.example").size(), 1u);
  EXPECT_EQ(by_email(env_a_.id, acme_.id, d.id, "a.home@mail.example")[0].id, alice.id);
  EXPECT_EQ(by_email(env_a_.id, acme_.id, d.id, "alice@acme.example").size(), 1u);
  EXPECT_TRUE(by_email(env_a_.id, acme_.id, d.id, "nobody@acme.example").empty());
  // Groups have no emails.
  EXPECT_TRUE(read<std::vector<ScimResource>>([&](auto& r) {
                return r.find_resources(env_a_.id, acme_.id, d.id, "Group", ScimIndex::email,
                                        "alice@acme.example");
              })->empty());
  // Another organization, environment or directory: nothing.
  EXPECT_TRUE(by_email(env_a_.id, globex_.id, d.id, "alice@acme.example").empty());
  EXPECT_TRUE(by_email(env_b_.id, acme_.id, d.id, "alice@acme.example").empty());
  ASSERT_EQ(by_email(env_a_.id, globex_.id, other.id, "alice@acme.example").size(), 1u);
  EXPECT_NE(by_email(env_a_.id, globex_.id, other.id, "alice@acme.example")[0].id, alice.id);

  // An update rewrites the emails; a delete drops them.
  ScimResource changed = alice;
  changed.emails = {"alice.new@acme.example"};
  changed.document["displayName"] = "x";
  ASSERT_TRUE(write<ScimResource>([&](auto& r) { return r.update_resource(changed, 1); }));
  EXPECT_TRUE(by_email(env_a_.id, acme_.id, d.id, "a.home@mail.example").empty());
  EXPECT_EQ(by_email(env_a_.id, acme_.id, d.id, "alice.new@acme.example").size(), 1u);
  ASSERT_TRUE(write<ScimResource>(
      [&](auto& r) { return r.delete_resource(env_a_.id, acme_.id, d.id, "User", alice.id); }));
  EXPECT_TRUE(by_email(env_a_.id, acme_.id, d.id, "alice.new@acme.example").empty());
  EXPECT_EQ(by_email(env_a_.id, globex_.id, other.id, "alice@acme.example").size(), 1u);
}

// What IdPs filter on (userName, externalId, displayName, emails.value) is answered through its
// own index on both backends: the plan names it (SQLite: EXPLAIN QUERY PLAN; PostgreSQL:
// EXPLAIN with sequential scans disabled, so that these tiny tables still show whether an
// index serves the query) and never walks the directory.
TEST_P(DirectoryConformance, FilterIndexesAreUsedByThePlanner) {
  auto d = *make_dir(acme_, "Entra");
  // Enough rows that selectivity, not a tiny table's flat costs, decides.
  for (int i = 0; i < 200; ++i) {
    ASSERT_TRUE(add_user(d, "u" + std::to_string(i), "ext" + std::to_string(i),
                         {"u" + std::to_string(i) + "@acme.example"}));
    ASSERT_TRUE(write<ScimResource>([&](auto& r) {
      ScimResource g;
      g.directory_id = d.id;
      g.environment_id = env_a_.id;
      g.organization_id = acme_.id;
      g.type = "Group";
      g.display_name = "group " + std::to_string(i);
      g.document = {{"displayName", g.display_name}};
      return r.create_resource(g);
    }));
  }
  const std::vector<std::tuple<ScimIndex, std::string, std::string>> cases = {
      {ScimIndex::user_name, "User", "scim_resources_user_name"},
      {ScimIndex::external_id, "User", "scim_resources_external_id"},
      {ScimIndex::display_name, "Group", "scim_resources_display_name"},
      {ScimIndex::email, "User", "scim_emails_value"},
  };
  for (const auto& [index, type, name] : cases) {
    auto plan = write<std::string>([&](auto& r) {
      return r.query_plan(env_a_.id, acme_.id, d.id, type, index,
                          type == "Group" ? "group 7" : "u7@acme.example");
    });
    ASSERT_TRUE(plan) << plan.error().text();
    SCOPED_TRACE(*plan);
    EXPECT_NE(plan->find(name), std::string::npos) << name;
    if (GetParam() == Backend::sqlite) {
      EXPECT_EQ(plan->find("SCAN "), std::string::npos);
      EXPECT_EQ(plan->find("TEMP B-TREE"), std::string::npos);
    } else {
      EXPECT_EQ(plan->find("Seq Scan"), std::string::npos);
    }
  }
  // The email plan's index condition is on the value itself.
  auto plan = *write<std::string>([&](auto& r) {
    return r.query_plan(env_a_.id, acme_.id, d.id, "User", ScimIndex::email, "u7@acme.example");
  });
  EXPECT_NE(plan.find(GetParam() == Backend::sqlite ? "value=?" : "value = "), std::string::npos)
      << plan;
}

TEST_P(DirectoryConformance, ReconciliationReadsDeactivationsAndLinkRulesAreTenantScoped) {
  auto d = *make_dir(acme_, "Entra");
  auto other = *make_dir(globex_, "Entra");
  auto old_user = *add_user(d, "old", "", {"old@acme.example"});
  clock_.advance(std::chrono::hours(24 * 40));
  auto fresh = *add_user(d, "fresh");
  ASSERT_TRUE(add_user(other, "elsewhere"));
  auto g = *write<ScimResource>([&](auto& r) {
    ScimResource res;
    res.directory_id = d.id;
    res.environment_id = env_a_.id;
    res.organization_id = acme_.id;
    res.type = "Group";
    res.document = {{"displayName", "Eng"}};
    return r.create_resource(res);
  });
  ASSERT_TRUE(*write<bool>(
      [&](auto& r) { return r.add_member(env_a_.id, acme_.id, d.id, g.id, fresh.id); }));
  const int64_t now = clock_.now_ms();
  for (int status : {200, 409, 400, 201}) {
    ASSERT_TRUE(write<int64_t>([&](auto& r) {
      return r.append_log({.environment_id = env_a_.id,
                           .organization_id = acme_.id,
                           .directory_id = d.id,
                           .at_ms = now,
                           .method = "POST",
                           .path = "/Users",
                           .status = status,
                           .error_type = status >= 400 ? "x" : ""});
    }));
  }
  const int64_t cutoff = now - 24LL * 3600 * 1000 * 30;
  auto c = read<DirectoryCounts>(
      [&](auto& r) { return r.counts(env_a_.id, acme_.id, d.id, cutoff, cutoff); });
  ASSERT_TRUE(c) << c.error().text();
  EXPECT_EQ(c->users, 2);
  EXPECT_EQ(c->groups, 1);
  EXPECT_EQ(c->memberships, 1);
  EXPECT_EQ(c->untouched_users, 1);
  EXPECT_EQ(c->failed_requests, 2);
  auto untouched = *read<std::vector<ScimResource>>(
      [&](auto& r) { return r.untouched_users(env_a_.id, acme_.id, d.id, cutoff, 10); });
  ASSERT_EQ(untouched.size(), 1u);
  EXPECT_EQ(untouched[0].id, old_user.id);
  auto failures = *read<std::vector<ScimRequestLogEntry>>(
      [&](auto& r) { return r.list_failures(env_a_.id, acme_.id, d.id, 0, 10); });
  ASSERT_EQ(failures.size(), 2u);
  EXPECT_EQ(failures[0].status, 400);
  EXPECT_EQ(failures[1].status, 409);

  ScimDeactivation x{.environment_id = env_a_.id,
                     .organization_id = acme_.id,
                     .directory_id = d.id,
                     .scim_id = fresh.id,
                     .user_id = fresh.user_id,
                     .cause = "deactivated",
                     .requested_at_ms = now,
                     .sessions_revoked_at_ms = now + 7,
                     .sessions_revoked = 2};
  ASSERT_TRUE(write<int64_t>([&](auto& r) { return r.record_deactivation(x); }));
  auto xs = *read<std::vector<ScimDeactivation>>(
      [&](auto& r) { return r.list_deactivations(env_a_.id, acme_.id, d.id, 10); });
  ASSERT_EQ(xs.size(), 1u);
  EXPECT_EQ(xs[0].sessions_revoked_at_ms - xs[0].requested_at_ms, 7);
  EXPECT_EQ(xs[0].sessions_revoked, 2);
  EXPECT_EQ(xs[0].user_id, fresh.user_id);

  // These test users' identity users do not exist: every User drifted, with no state.
  auto drift = *read<std::vector<ScimUserDrift>>(
      [&](auto& r) { return r.drifted_users(env_a_.id, acme_.id, d.id, 10); });
  ASSERT_EQ(drift.size(), 2u);
  EXPECT_EQ(drift[0].scim_id, old_user.id);
  EXPECT_TRUE(drift[0].scim_active);
  EXPECT_EQ(drift[0].user_state, "");
  // A real identity user, suspended while the directory says active: drifted; active: not.
  auto real = *store_->transact<User>([&](Repositories& r) -> Result<User> {
    User u;
    u.environment_id = env_a_.id;
    u.organization_id = acme_.id;
    return r.users().create(u);
  });
  ScimResource bound = fresh;
  bound.user_id = real.id;
  bound.document = {{"userName", "fresh"}, {"active", true}};
  ASSERT_TRUE(write<ScimResource>([&](auto& r) { return r.update_resource(bound, 1); }));
  drift = *read<std::vector<ScimUserDrift>>(
      [&](auto& r) { return r.drifted_users(env_a_.id, acme_.id, d.id, 10); });
  ASSERT_EQ(drift.size(), 1u);
  ASSERT_TRUE(store_->transact<User>([&](Repositories& r) {
    return r.users().set_state(env_a_.id, acme_.id, real.id, "suspended");
  }));
  drift = *read<std::vector<ScimUserDrift>>(
      [&](auto& r) { return r.drifted_users(env_a_.id, acme_.id, d.id, 10); });
  ASSERT_EQ(drift.size(), 2u);
  EXPECT_EQ(drift[1].scim_id, fresh.id);
  EXPECT_EQ(drift[1].user_state, "suspended");
  EXPECT_TRUE(drift[1].scim_active);
  bound.document["active"] = false;
  ASSERT_TRUE(write<ScimResource>([&](auto& r) { return r.update_resource(bound, 2); }));
  EXPECT_EQ(read<std::vector<ScimUserDrift>>([&](auto& r) {
              return r.drifted_users(env_a_.id, acme_.id, d.id, 10);
            })->size(),
            1u);
  EXPECT_FALSE(read<std::vector<ScimUserDrift>>(
      [&](auto& r) { return r.drifted_users(env_a_.id, globex_.id, d.id, 10); }));

  auto mine = *read<std::vector<ScimResource>>(
      [&](auto& r) { return r.resources_of_user(env_a_.id, acme_.id, real.id); });
  ASSERT_EQ(mine.size(), 1u);
  EXPECT_EQ(mine[0].id, fresh.id);

  ASSERT_TRUE(write<bool>(
      [&](auto& r) { return r.set_link_rule(env_a_.id, acme_.id, "conn-1", "external_id", now); }));
  EXPECT_EQ(*read<std::string>([&](auto& r) { return r.link_rule(env_a_.id, acme_.id, "conn-1"); }),
            "external_id");
  ASSERT_TRUE(write<bool>(
      [&](auto& r) { return r.set_link_rule(env_a_.id, acme_.id, "conn-1", "email", now); }));
  EXPECT_EQ(*read<std::string>([&](auto& r) { return r.link_rule(env_a_.id, acme_.id, "conn-1"); }),
            "email");

  // Another organization's or environment's ids: not found, or nothing.
  for (auto [env, org] : {std::pair{env_a_.id, globex_.id}, std::pair{env_b_.id, acme_.id}}) {
    auto probe =
        read<DirectoryCounts>([&](auto& r) { return r.counts(env, org, d.id, cutoff, cutoff); });
    ASSERT_FALSE(probe);
    EXPECT_EQ(probe.error().code, errc::DirectoryNotFound);
    EXPECT_FALSE(read<std::vector<ScimResource>>(
        [&](auto& r) { return r.untouched_users(env, org, d.id, cutoff, 10); }));
    EXPECT_FALSE(read<std::vector<ScimRequestLogEntry>>(
        [&](auto& r) { return r.list_failures(env, org, d.id, 0, 10); }));
    EXPECT_FALSE(read<std::vector<ScimDeactivation>>(
        [&](auto& r) { return r.list_deactivations(env, org, d.id, 10); }));
    ScimDeactivation y = x;
    y.environment_id = env;
    y.organization_id = org;
    EXPECT_FALSE(write<int64_t>([&](auto& r) { return r.record_deactivation(y); }));
    EXPECT_TRUE(read<std::vector<ScimResource>>([&](auto& r) {
                  return r.resources_of_user(env, org, real.id);
                })->empty());
    EXPECT_EQ(*read<std::string>([&](auto& r) { return r.link_rule(env, org, "conn-1"); }), "");
  }
  // Clearing the rule.
  ASSERT_TRUE(write<bool>(
      [&](auto& r) { return r.set_link_rule(env_a_.id, acme_.id, "conn-1", "", now); }));
  EXPECT_EQ(*read<std::string>([&](auto& r) { return r.link_rule(env_a_.id, acme_.id, "conn-1"); }),
            "");
}

INSTANTIATE_TEST_SUITE_P(Sqlite, DirectoryConformance, ::testing::Values(Backend::sqlite));
INSTANTIATE_TEST_SUITE_P(Postgres, DirectoryConformance, ::testing::Values(Backend::postgres));

}  // namespace
}  // namespace gh::store
