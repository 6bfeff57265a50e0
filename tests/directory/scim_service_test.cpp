// ScimService on both backends (the integration tests run the binary on SQLite only): Bulk with
// bulkId references, emails.value filters through the index, the roles-from-groups seam
// (GroupMembershipObserver) called for every membership change inside the request's
// transaction, and deactivations recorded with the time the fan-out revoked the sessions.
#include "directory/scim_service.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <map>

#include "core/random.h"
#include "sessions/session_service.h"
#include "store/directories.h"
#include "test_store.h"

namespace gh::directory {
namespace {

using nlohmann::json;
using store::Backend;

const std::string kPatch = "urn:ietf:params:scim:api:messages:2.0:PatchOp";

class RecordingObserver final : public GroupMembershipObserver {
 public:
  Result<bool> memberships_changed(store::Repositories& repos,
                                   const GroupMembershipChange& change) override {
    // The observer runs inside the request's transaction: it sees the change.
    auto members =
        repos.directories().members(change.organization_id, change.directory_id, change.group_id);
    if (!members) return fail(members.error());
    changes.push_back(change);
    members_seen.push_back(*members);
    if (refuse) return fail(errc::ServerInternal, "observer refused");
    return true;
  }
  std::vector<GroupMembershipChange> changes;
  std::vector<std::vector<std::string>> members_seen;
  bool refuse = false;
};

class ScimServiceTest : public ::testing::TestWithParam<Backend> {
 protected:
  ScimServiceTest()
      : store_(GetParam(), &clock_),
        tenancy_(*store_, tenancy::SecretHasher(std::string(32, 'p')), clock_),
        identity_(std::make_shared<identity::IdentityService>(*store_, tenancy_, clock_)),
        sessions_(*store_, tenancy::SecretHasher(std::string(32, 'p')), clock_, random_),
        scim_(*store_, tenancy_, identity_, nullptr, clock_) {
    env_ = *store_->transact<store::Environment>(
        [&](store::Repositories& r) { return r.environments().create({.name = "sandbox"}); });
    auto org = *store_->transact<store::Organization>([&](store::Repositories& r) {
      return r.organizations().create({.environment_id = env_.id, .slug = "acme", .name = "Acme"});
    });
    org_id_ = org.id;
    (void)store_->transact<store::PolicyDocument>([&](store::Repositories& r) {
      return r.policies().put({env_.id, org_id_, {{"guest_domains", {"acme.example"}}}, 0, 0}, 0);
    });
    auto dir = *store_->transact<store::Directory>([&](store::Repositories& r) {
      store::Directory d;
      d.environment_id = env_.id;
      d.organization_id = org_id_;
      d.name = "Entra";
      return r.directories().create(d);
    });
    caller_ = ScimCaller{env_, dir, {}, clock_.now_ms()};
    observer_ = std::make_shared<RecordingObserver>();
    scim_.set_membership_observer(observer_);
  }
  std::string user(const std::string& name) {
    auto r = scim_.create(caller_, base_, "User", {{"userName", name + "@acme.example"}}, actor_);
    EXPECT_TRUE(r) << r.error().detail;
    return r ? r->body["id"].get<std::string>() : "";
  }
  std::vector<std::string> members(const std::string& group) {
    auto g = scim_.get(caller_, base_, "Group", group);
    EXPECT_TRUE(g);
    std::vector<std::string> out;
    for (const auto& m : g->body["members"]) out.push_back(m["value"]);
    std::sort(out.begin(), out.end());
    return out;
  }
  static std::vector<std::string> sorted(std::vector<std::string> v) {
    std::sort(v.begin(), v.end());
    return v;
  }

  FakeClock clock_;
  SeededRandom random_{7};
  testing::TestStore store_;
  tenancy::TenancyService tenancy_;
  std::shared_ptr<identity::IdentityService> identity_;
  sessions::SessionService sessions_;
  ScimService scim_;
  store::Environment env_;
  std::string org_id_;
  ScimCaller caller_;
  std::shared_ptr<RecordingObserver> observer_;
  const std::string base_ = "https://gh.example/scim/v2/dir";
  const tenancy::Actor actor_{"scim_directory", "token-1", "req-1", "127.0.0.1"};
};

// What IdPs filter on is answered from an index, in every shape they send it.
TEST(ScimFilterIndex, IdpFiltersUseTheirIndex) {
  auto index = [](const std::string& text, const std::string& type = "User") {
    auto f = parse_filter(text);
    EXPECT_TRUE(f.filter) << text;
    return filter_index(*f.filter, type);
  };
  using store::ScimIndex;
  using Hit = std::optional<std::pair<ScimIndex, std::string>>;
  EXPECT_EQ(index(R"(userName eq "Alice@X.com")"), (Hit{{ScimIndex::user_name, "alice@x.com"}}));
  EXPECT_EQ(index("externalId eq Abc"), (Hit{{ScimIndex::external_id, "Abc"}}));
  EXPECT_EQ(index(R"(displayName eq "Eng")", "Group"), (Hit{{ScimIndex::display_name, "eng"}}));
  EXPECT_EQ(index(R"(emails.value eq "A@x.com")"), (Hit{{ScimIndex::email, "a@x.com"}}));
  EXPECT_EQ(index(R"(emails eq "a@x.com")"), (Hit{{ScimIndex::email, "a@x.com"}}));
  EXPECT_EQ(index(R"(emails[type eq "work"].value eq "A@x.com")"),
            (Hit{{ScimIndex::email, "a@x.com"}}));
  EXPECT_EQ(index(R"(emails[type eq "work" and value eq "a@x.com"])"),
            (Hit{{ScimIndex::email, "a@x.com"}}));
  EXPECT_EQ(index(R"(active eq true and emails.value eq "a@x.com")"),
            (Hit{{ScimIndex::email, "a@x.com"}}));
  // Not an equality the index can answer: evaluated over the directory.
  EXPECT_EQ(index(R"(emails.value co "x.com")"), Hit{});
  EXPECT_EQ(index(R"(emails[type eq "work"])"), Hit{});
  EXPECT_EQ(index(R"(emails.type eq "work")"), Hit{});
  EXPECT_EQ(index(R"(emails.value eq "a@x.com" or userName eq "b")"), Hit{});
  EXPECT_EQ(index(R"(not (emails.value eq "a@x.com"))"), Hit{});
  EXPECT_EQ(index(R"(emails.value eq "a@x.com")", "Group"), Hit{});
}

TEST_P(ScimServiceTest, TheRolesSeamSeesEveryMembershipChangeInsideTheTransaction) {
  const std::string a = user("a"), b = user("b");
  auto g = scim_.create(caller_, base_, "Group",
                        {{"displayName", "Eng"}, {"members", {{{"value", a}}}}}, actor_);
  ASSERT_TRUE(g) << g.error().detail;
  const std::string gid = g->body["id"];
  ASSERT_EQ(observer_->changes.size(), 1u);
  EXPECT_EQ(observer_->changes[0].group_id, gid);
  EXPECT_EQ(observer_->changes[0].group_display_name, "Eng");
  EXPECT_EQ(observer_->changes[0].added, std::vector<std::string>{a});
  EXPECT_EQ(observer_->members_seen[0], std::vector<std::string>{a});

  json patch = {{"schemas", {kPatch}},
                {"Operations",
                 {{{"op", "remove"}, {"path", "members[value eq \"" + a + "\"]"}},
                  {{"op", "add"}, {"path", "members"}, {"value", {{{"value", b}}}}}}}};
  ASSERT_TRUE(scim_.patch(caller_, base_, "Group", gid, patch, std::nullopt, actor_));
  ASSERT_EQ(observer_->changes.size(), 2u);
  EXPECT_EQ(observer_->changes[1].added, std::vector<std::string>{b});
  EXPECT_EQ(observer_->changes[1].removed, std::vector<std::string>{a});
  EXPECT_EQ(observer_->members_seen[1], std::vector<std::string>{b});

  // A rename alone does not call it.
  json rename = {{"schemas", {kPatch}},
                 {"Operations", {{{"op", "replace"}, {"path", "displayName"}, {"value", "E"}}}}};
  ASSERT_TRUE(scim_.patch(caller_, base_, "Group", gid, rename, std::nullopt, actor_));
  EXPECT_EQ(observer_->changes.size(), 2u);

  // An observer error rolls the whole request back: the membership did not change.
  observer_->refuse = true;
  json add_a = {
      {"schemas", {kPatch}},
      {"Operations", {{{"op", "add"}, {"path", "members"}, {"value", {{{"value", a}}}}}}}};
  auto refused = scim_.patch(caller_, base_, "Group", gid, add_a, std::nullopt, actor_);
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().status, 500);
  EXPECT_EQ(members(gid), std::vector<std::string>{b});
  observer_->refuse = false;

  // Deleting a member user removes it from its groups, through the seam too.
  ASSERT_TRUE(scim_.remove(caller_, "User", b, std::nullopt, actor_));
  const auto& removed = observer_->changes.back();
  EXPECT_EQ(removed.group_id, gid);
  EXPECT_EQ(removed.removed, std::vector<std::string>{b});
  EXPECT_FALSE(removed.group_deleted);
  EXPECT_TRUE(members(gid).empty());

  // Deleting the group.
  ASSERT_TRUE(scim_.patch(caller_, base_, "Group", gid, add_a, std::nullopt, actor_));
  ASSERT_TRUE(scim_.remove(caller_, "Group", gid, std::nullopt, actor_));
  EXPECT_TRUE(observer_->changes.back().group_deleted);
  EXPECT_EQ(observer_->changes.back().removed, std::vector<std::string>{a});
}

TEST_P(ScimServiceTest, BulkCreatesAGroupWithUsersReferencedByBulkId) {
  json body = json::parse(R"({"schemas":["urn:ietf:params:scim:api:messages:2.0:BulkRequest"],
    "Operations":[
      {"method":"POST","path":"/Groups","bulkId":"g","data":{"displayName":"Team",
        "members":[{"value":"bulkId:u1"},{"value":"bulkId:u2"}]}},
      {"method":"POST","path":"/Users","bulkId":"u1","data":{"userName":"u1@acme.example",
        "emails":[{"value":"u1.home@acme.example"}]}},
      {"method":"POST","path":"/Users","bulkId":"u2","data":{"userName":"u2@acme.example"}},
      {"method":"POST","path":"/Users","bulkId":"bad","data":{"userName":"x@elsewhere.example"}}
    ]})");
  auto r = scim_.bulk(caller_, base_, body, actor_);
  ASSERT_TRUE(r) << r.error().detail;
  ASSERT_EQ(r->body["Operations"].size(), 4u);
  std::map<std::string, json> ops;
  for (const auto& o : r->body["Operations"]) ops[o["bulkId"].get<std::string>()] = o;
  EXPECT_EQ(ops["u1"]["status"], "201");
  EXPECT_EQ(ops["g"]["status"], "201");
  EXPECT_EQ(ops["bad"]["status"], "400");
  EXPECT_EQ(ops["bad"]["response"]["scimType"], "invalidValue");
  auto id_of = [](const json& o) {
    const std::string loc = o["location"];
    return loc.substr(loc.rfind('/') + 1);
  };
  EXPECT_EQ(members(id_of(ops["g"])), sorted({id_of(ops["u1"]), id_of(ops["u2"])}));
  // emails.value through the index finds the secondary email.
  ScimQuery q;
  q.filter = "emails.value eq \"U1.HOME@acme.example\"";
  auto found = scim_.list(caller_, base_, "User", q);
  ASSERT_TRUE(found) << found.error().detail;
  EXPECT_EQ(found->body["totalResults"], 1);
  EXPECT_EQ(found->body["Resources"][0]["id"], id_of(ops["u1"]));
}

TEST_P(ScimServiceTest, DeactivationRecordsWhenTheFanOutRevokedTheSessions) {
  const std::string a = user("alice");
  auto linked = *store_->read<store::ScimResource>([&](store::Repositories& r) {
    return r.directories().get_resource(env_.id, org_id_, caller_.directory.id, "User", a);
  });
  auto s =
      sessions_.start({env_.id, org_id_, linked.user_id, "conn-1", clock_.now_ms(), "", {"pwd"}});
  ASSERT_TRUE(s) << s.error().text();
  clock_.advance(std::chrono::milliseconds(250));
  ScimCaller c = caller_;
  c.received_at_ms = clock_.now_ms();
  clock_.advance(std::chrono::milliseconds(40));  // the request's work before the fan-out
  json off = {{"schemas", {kPatch}},
              {"Operations", {{{"op", "Replace"}, {"path", "active"}, {"value", "False"}}}}};
  ASSERT_TRUE(scim_.patch(c, base_, "User", a, off, std::nullopt, actor_));
  auto xs = *store_->read<std::vector<store::ScimDeactivation>>([&](store::Repositories& r) {
    return r.directories().list_deactivations(env_.id, org_id_, caller_.directory.id, 10);
  });
  ASSERT_EQ(xs.size(), 1u);
  EXPECT_EQ(xs[0].cause, "deactivated");
  EXPECT_EQ(xs[0].user_id, linked.user_id);
  EXPECT_EQ(xs[0].sessions_revoked, 1);
  EXPECT_EQ(xs[0].requested_at_ms, c.received_at_ms);
  EXPECT_EQ(xs[0].sessions_revoked_at_ms - xs[0].requested_at_ms, 40);
  auto rows = *store_->read<std::vector<store::Session>>([&](store::Repositories& r) {
    return r.sessions().list_for_user(env_.id, org_id_, linked.user_id, 0);
  });
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(rows[0].revoked_at_ms, xs[0].sessions_revoked_at_ms);
}

INSTANTIATE_TEST_SUITE_P(Sqlite, ScimServiceTest, ::testing::Values(Backend::sqlite));
INSTANTIATE_TEST_SUITE_P(Postgres, ScimServiceTest, ::testing::Values(Backend::postgres));

}  // namespace
}  // namespace gh::directory
