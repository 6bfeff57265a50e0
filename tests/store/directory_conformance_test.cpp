// Conformance of the SCIM directory repository on both backends: directories and their name
// rule, tokens (lookup, revocation), resources (userName uniqueness case-insensitively per
// directory, indexed lookups, scans and pages in id order, optimistic versions), memberships,
// the request log, and isolation: other organizations', environments' and directories' ids
// answer not-found (or nothing) everywhere.
#include <gtest/gtest.h>

#include "core/error.h"
#include "directory/error_codes.h"
#include "store/directories.h"
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
      return directories(r).create(d);
    });
  }
  Result<ScimResource> add_user(const Directory& d, const std::string& user_name,
                                const std::string& external_id = "") {
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
      return directories(r).create_resource(res);
    });
  }
  template <class T>
  Result<T> read(const std::function<Result<T>(DirectoryRepository&)>& fn) {
    return store_->read<T>([&](Repositories& r) { return fn(directories(r)); });
  }
  template <class T>
  Result<T> write(const std::function<Result<T>(DirectoryRepository&)>& fn) {
    return store_->transact<T>([&](Repositories& r) { return fn(directories(r)); });
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

INSTANTIATE_TEST_SUITE_P(Sqlite, DirectoryConformance, ::testing::Values(Backend::sqlite));
INSTANTIATE_TEST_SUITE_P(Postgres, DirectoryConformance, ::testing::Values(Backend::postgres));

}  // namespace
}  // namespace gh::store
