// IdentityService on both backends: just-in-time provisioning, binding reuse, directory-only
// refusal, email linking only when policy, verified domain and connection all allow it, no
// inheritance by a second connection, inactive users refused, dry runs that write nothing,
// claims and the admin operations with their audit records and events, and isolation.
#include "identity/error_codes.h"
#include "identity_fixture.h"
#include "store/directories.h"
#include "tenancy/error_codes.h"

namespace gh::identity {
namespace {

using store::Backend;

class IdentityServiceTest : public testing::IdentityFixture {};

TEST_P(IdentityServiceTest, FirstLoginCreatesTheUserAndItsBindingWithAuditAndEvent) {
  auto r = identity_.resolve(login(acme_, "conn-1", "sub-1", "Alice@Acme.Example"), false);
  ASSERT_TRUE(r) << r.error().text();
  EXPECT_TRUE(r->created);
  EXPECT_FALSE(r->linked);
  auto u = user(acme_, r->user_id);
  EXPECT_EQ(u.email, "alice@acme.example");
  EXPECT_TRUE(u.email_verified);
  EXPECT_EQ(u.given_name, "Alice");
  EXPECT_EQ(u.attributes["department"], "R&D");
  EXPECT_EQ(u.last_login_at_ms, clock_.now_ms());
  auto bindings = identity_.bindings(sandbox_, acme_.id, r->user_id);
  ASSERT_TRUE(bindings);
  ASSERT_EQ(bindings->size(), 1u);
  EXPECT_EQ((*bindings)[0].connection_id, "conn-1");
  EXPECT_EQ((*bindings)[0].issuer, "https://idp.example/conn-1");
  EXPECT_EQ((*bindings)[0].subject, "sub-1");
  ASSERT_EQ(audit(acme_, "user.created").size(), 1u);
  EXPECT_EQ(audit(acme_, "user.created")[0].target_id, r->user_id);
  auto ev = events(acme_, "user.created");
  ASSERT_EQ(ev.size(), 1u);
  EXPECT_EQ(ev[0].payload["user"]["id"], r->user_id);
  EXPECT_EQ(ev[0].payload["environment"], "sandbox");
}

TEST_P(IdentityServiceTest, TheBoundSubjectFindsTheSameUserAndRefreshesTheProfile) {
  auto first = *identity_.resolve(login(acme_, "conn-1", "sub-1", "alice@acme.example"), false);
  clock_.advance(std::chrono::minutes(5));
  auto again = login(acme_, "conn-1", "sub-1", "alice@acme.example");
  again.name = "Alice Renamed";
  auto second = identity_.resolve(again, false);
  ASSERT_TRUE(second) << second.error().text();
  EXPECT_EQ(second->user_id, first.user_id);
  EXPECT_FALSE(second->created);
  EXPECT_FALSE(second->linked);
  EXPECT_EQ(counts(acme_).users, 1u);
  EXPECT_EQ(counts(acme_).bindings, 1u);
  auto u = user(acme_, first.user_id);
  EXPECT_EQ(u.name, "Alice Renamed");
  EXPECT_EQ(u.last_login_at_ms, clock_.now_ms());
  EXPECT_EQ(identity_.bindings(sandbox_, acme_.id, u.id)->at(0).last_login_at_ms, clock_.now_ms());
  EXPECT_EQ(audit(acme_, "user.login").size(), 1u);
  EXPECT_EQ(events(acme_, "user.login").size(), 1u);

  // Another issuer with the same subject string is another identity (and here the email is
  // taken, so it is refused rather than matched).
  auto other_issuer = login(acme_, "conn-1", "sub-1", "alice@acme.example");
  other_issuer.issuer = "https://other.example";
  auto refused = identity_.resolve(other_issuer, false);
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().code, errc::IdentityEmailInUse);
}

TEST_P(IdentityServiceTest, DirectoryOnlyOrganizationsDoNotCreateUsersAtSignIn) {
  set_policy(acme_, {{"provisioning_mode", "directory_only"}});
  const auto before = counts(acme_);
  auto r = identity_.resolve(login(acme_, "conn-1", "sub-1", "alice@acme.example"), false);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, errc::IdentityProvisioningRefused);
  EXPECT_EQ(counts(acme_), before);
  // The same login in an organization with the default (jit) is created.
  EXPECT_TRUE(identity_.resolve(login(globex_, "conn-1", "sub-1", "alice@acme.example"), false));
}

class EmailLinking : public IdentityServiceTest {
 protected:
  // An existing user (e.g. from the directory) with alice@acme.example, bound to conn-1.
  std::string existing() {
    return identity_.resolve(login(acme_, "conn-1", "sub-1", "alice@acme.example"), false)->user_id;
  }
  LoginIdentity second(bool may_link) {
    auto id = login(acme_, "conn-2", "other-sub", "ALICE@acme.example");
    id.connection_may_link_by_email = may_link;
    return id;
  }
  void expect_refused(const LoginIdentity& id, const std::string& reason) {
    const auto before = counts(acme_);
    auto r = identity_.resolve(id, false);
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().code, errc::IdentityEmailInUse);
    EXPECT_EQ(r.error().extra["reason"], reason);
    EXPECT_EQ(counts(acme_), before);
  }
};

TEST_P(EmailLinking, LinksWhenPolicyVerifiedDomainAndConnectionAllAllowIt) {
  const auto uid = existing();
  set_policy(acme_, {{"email_linking", "verified_domains"}});
  add_domain(acme_, "acme.example", true);
  clock_.advance(std::chrono::milliseconds(1));  // bindings list in creation (id) order
  auto r = identity_.resolve(second(true), false);
  ASSERT_TRUE(r) << r.error().text();
  EXPECT_EQ(r->user_id, uid);
  EXPECT_TRUE(r->linked);
  EXPECT_FALSE(r->created);
  EXPECT_EQ(counts(acme_).users, 1u);
  auto bindings = *identity_.bindings(sandbox_, acme_.id, uid);
  ASSERT_EQ(bindings.size(), 2u);
  EXPECT_EQ(bindings[1].connection_id, "conn-2");
  EXPECT_EQ(bindings[1].subject, "other-sub");
  EXPECT_EQ(audit(acme_, "user.linked").size(), 1u);
  ASSERT_EQ(events(acme_, "user.linked").size(), 1u);
  EXPECT_EQ(events(acme_, "user.linked")[0].payload["binding"]["connection_id"], "conn-2");
  // From now on the binding finds the user, without any email.
  auto again = second(false);
  again.email = "";
  auto bound = identity_.resolve(again, false);
  ASSERT_TRUE(bound);
  EXPECT_EQ(bound->user_id, uid);
  EXPECT_FALSE(bound->linked);
}

TEST_P(EmailLinking, RefusedWhenThePolicySaysNever) {
  existing();
  add_domain(acme_, "acme.example", true);
  expect_refused(second(true), "policy_never");
}

TEST_P(EmailLinking, RefusedWhenTheDomainIsNotVerifiedByThisOrganization) {
  existing();
  set_policy(acme_, {{"email_linking", "verified_domains"}});
  add_domain(acme_, "acme.example", false);  // claimed, still pending
  expect_refused(second(true), "domain_not_verified");
  // Verified by another organization of the environment: not this one's either.
  add_domain(globex_, "acme.example", true);
  expect_refused(second(true), "domain_not_verified");
}

TEST_P(EmailLinking, RefusedForGuestDomains) {
  existing();
  set_policy(acme_, {{"email_linking", "verified_domains"}, {"guest_domains", {"acme.example"}}});
  add_domain(acme_, "acme.example", true);
  expect_refused(second(true), "domain_not_verified");
}

TEST_P(EmailLinking, RefusedWhenTheConnectionIsNotAllowedToLink) {
  existing();
  set_policy(acme_, {{"email_linking", "verified_domains"}});
  add_domain(acme_, "acme.example", true);
  expect_refused(second(false), "connection_not_allowed");
}

TEST_P(EmailLinking, ASecondConnectionWithTheSameEmailDoesNotInheritTheUser) {
  const auto uid = existing();
  // Defaults everywhere: a connection added later, same email, new subject.
  auto r = identity_.resolve(login(acme_, "conn-later", "sub-1", "alice@acme.example"), false);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, errc::IdentityEmailInUse);
  EXPECT_EQ(identity_.bindings(sandbox_, acme_.id, uid)->size(), 1u);
  EXPECT_EQ(counts(acme_).users, 1u);
  // Not even with the policy on and the domain verified, until an admin allows the connection.
  set_policy(acme_, {{"email_linking", "verified_domains"}});
  add_domain(acme_, "acme.example", true);
  r = identity_.resolve(login(acme_, "conn-later", "sub-1", "alice@acme.example"), false);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, errc::IdentityEmailInUse);
  EXPECT_EQ(identity_.bindings(sandbox_, acme_.id, uid)->size(), 1u);
}

TEST_P(EmailLinking, AnInactiveUserIsNotLinked) {
  const auto uid = existing();
  set_policy(acme_, {{"email_linking", "verified_domains"}});
  add_domain(acme_, "acme.example", true);
  ASSERT_TRUE(identity_.set_state(sandbox_, acme_.id, uid, "suspended", 0, {}));
  auto r = identity_.resolve(second(true), false);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, errc::IdentityUserInactive);
  EXPECT_EQ(identity_.bindings(sandbox_, acme_.id, uid)->size(), 1u);
}

TEST_P(IdentityServiceTest, SuspendedAndDeprovisionedUsersAreRefused) {
  const auto id = login(acme_, "conn-1", "sub-1", "alice@acme.example");
  const auto uid = identity_.resolve(id, false)->user_id;
  auto suspended = identity_.set_state(sandbox_, acme_.id, uid, "suspended", 0, {});
  ASSERT_TRUE(suspended);
  auto r = identity_.resolve(id, false);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, errc::IdentityUserInactive);
  ASSERT_TRUE(store_->transact<store::User>([&](store::Repositories& repos) {
    return repos.users().set_state(sandbox_.id, acme_.id, uid, "deprovisioned");
  }));
  r = identity_.resolve(id, false);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, errc::IdentityUserInactive);
  ASSERT_TRUE(identity_.set_state(sandbox_, acme_.id, uid, "active", 0, {}));
  EXPECT_TRUE(identity_.resolve(id, false));
}

TEST_P(IdentityServiceTest, DryRunWritesNothing) {
  // Creation.
  auto before = counts(acme_);
  auto r = identity_.resolve(login(acme_, "conn-1", "sub-1", "alice@acme.example"), true);
  ASSERT_TRUE(r) << r.error().text();
  EXPECT_TRUE(r->created);
  EXPECT_TRUE(r->user_id.empty());
  EXPECT_EQ(counts(acme_), before);
  EXPECT_EQ(before.users, 0u);

  // Login of a bound user.
  const auto uid =
      identity_.resolve(login(acme_, "conn-1", "sub-1", "alice@acme.example"), false)->user_id;
  clock_.advance(std::chrono::minutes(1));
  before = counts(acme_);
  const auto u_before = user(acme_, uid);
  auto renamed = login(acme_, "conn-1", "sub-1", "alice@acme.example");
  renamed.name = "Changed";
  r = identity_.resolve(renamed, true);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->user_id, uid);
  EXPECT_EQ(counts(acme_), before);
  const auto u_after = user(acme_, uid);
  EXPECT_EQ(u_after.name, u_before.name);
  EXPECT_EQ(u_after.last_login_at_ms, u_before.last_login_at_ms);
  EXPECT_EQ(u_after.version, u_before.version);

  // Linking.
  set_policy(acme_, {{"email_linking", "verified_domains"}});
  add_domain(acme_, "acme.example", true);
  before = counts(acme_);
  auto link = login(acme_, "conn-2", "sub-2", "alice@acme.example");
  link.connection_may_link_by_email = true;
  r = identity_.resolve(link, true);
  ASSERT_TRUE(r);
  EXPECT_TRUE(r->linked);
  EXPECT_EQ(counts(acme_), before);

  // Refusals are the same as for real.
  set_policy(acme_, {{"provisioning_mode", "directory_only"}});
  before = counts(acme_);
  r = identity_.resolve(login(acme_, "conn-3", "sub-3", "bob@acme.example"), true);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, errc::IdentityProvisioningRefused);
  EXPECT_EQ(counts(acme_), before);
}

TEST_P(IdentityServiceTest, IncompleteLoginsAndUnknownOrganizationsAreRefused) {
  auto id = login(acme_, "conn-1", "sub-1", "alice@acme.example");
  id.subject = "";
  auto r = identity_.resolve(id, false);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, errc::IdentityInvalidLogin);
  id = login(acme_, "conn-1", "sub-1", "alice@acme.example");
  id.environment_id = production_.id;  // acme's id under another environment
  r = identity_.resolve(id, false);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, errc::TenantNotFound);
  EXPECT_EQ(counts(acme_).users, 0u);
}

TEST_P(IdentityServiceTest, ClaimsAreTheOrganizationsOwn) {
  const auto uid =
      identity_.resolve(login(acme_, "conn-1", "sub-1", "alice@acme.example"), false)->user_id;
  auto c = identity_.claims(sandbox_.id, acme_.id, uid);
  ASSERT_TRUE(c) << c.error().text();
  EXPECT_EQ(c->user_id, uid);
  EXPECT_EQ(c->email, "alice@acme.example");
  EXPECT_TRUE(c->email_verified);
  EXPECT_EQ(c->state, "active");
  EXPECT_EQ(c->family_name, "Example");
  EXPECT_EQ(c->attributes["department"], "R&D");
  for (auto [env, org] : {std::pair{sandbox_.id, globex_.id}, std::pair{production_.id, acme_.id},
                          std::pair{production_.id, acme_prod_.id}}) {
    auto other = identity_.claims(env, org, uid);
    ASSERT_FALSE(other);
    EXPECT_EQ(other.error().code, errc::IdentityUserNotFound);
  }
}

TEST_P(IdentityServiceTest, ExplicitRebindingIsAudited) {
  const auto alice =
      identity_.resolve(login(acme_, "conn-1", "sub-1", "alice@acme.example"), false)->user_id;
  const auto bob =
      identity_.resolve(login(acme_, "conn-1", "sub-2", "bob@acme.example"), false)->user_id;
  tenancy::Actor admin{"api_key", "key-1", "req-1", "10.0.0.1"};
  // Bound to alice: bob cannot take it until it is removed.
  auto taken = identity_.add_binding(sandbox_, acme_.id, bob,
                                     {"conn-1", "https://idp.example/conn-1", "sub-1"}, admin);
  ASSERT_FALSE(taken);
  EXPECT_EQ(taken.error().code, errc::IdentityBindingExists);
  const auto b = identity_.bindings(sandbox_, acme_.id, alice)->at(0);
  // Through another organization or environment: not found, nothing removed.
  for (auto [env, org] : {std::pair{&sandbox_, globex_.id}, std::pair{&production_, acme_.id}}) {
    auto rm = identity_.remove_binding(*env, org, alice, b.id, admin);
    ASSERT_FALSE(rm);
    EXPECT_EQ(rm.error().code, errc::IdentityUserNotFound);
    auto add = identity_.add_binding(*env, org, bob, {"c", "i", "s"}, admin);
    ASSERT_FALSE(add);
    EXPECT_EQ(add.error().code, errc::IdentityUserNotFound);
  }
  auto removed = identity_.remove_binding(sandbox_, acme_.id, alice, b.id, admin);
  ASSERT_TRUE(removed) << removed.error().text();
  auto added = identity_.add_binding(sandbox_, acme_.id, bob,
                                     {"conn-1", "https://idp.example/conn-1", "sub-1"}, admin);
  ASSERT_TRUE(added) << added.error().text();
  // The subject now signs in as bob.
  auto r = identity_.resolve(login(acme_, "conn-1", "sub-1", "alice@acme.example"), false);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->user_id, bob);
  auto removed_audit = audit(acme_, "user.binding_removed");
  ASSERT_EQ(removed_audit.size(), 1u);
  EXPECT_EQ(removed_audit[0].actor_id, "key-1");
  EXPECT_EQ(removed_audit[0].request_id, "req-1");
  EXPECT_EQ(audit(acme_, "user.binding_added").size(), 1u);
  EXPECT_EQ(events(acme_, "user.binding_added").size(), 1u);
  EXPECT_EQ(events(acme_, "user.binding_removed").size(), 1u);

  auto bad = identity_.add_binding(sandbox_, acme_.id, bob, {"", "i", "s"}, admin);
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().code, errc::RequestInvalidField);
  EXPECT_EQ(bad.error().extra["field"], "connection_id");
}

TEST_P(IdentityServiceTest, SuspendingRevokesTheUsersSessions) {
  const auto uid =
      identity_.resolve(login(acme_, "conn-1", "sub-1", "alice@acme.example"), false)->user_id;
  auto s1 = sessions_.start({sandbox_.id, acme_.id, uid, "conn-1", clock_.now_ms(), "", {"pwd"}});
  auto s2 = sessions_.start({sandbox_.id, acme_.id, uid, "conn-1", clock_.now_ms(), "", {"pwd"}});
  ASSERT_TRUE(s1 && s2);
  auto stale = identity_.set_state(sandbox_, acme_.id, uid, "suspended", 99, {});
  ASSERT_FALSE(stale);
  EXPECT_EQ(stale.error().code, errc::RequestPreconditionFailed);
  auto bad = identity_.set_state(sandbox_, acme_.id, uid, "deprovisioned", 0, {});
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().code, errc::IdentityInvalidState);

  auto u = identity_.set_state(sandbox_, acme_.id, uid, "suspended", user(acme_, uid).version,
                               {"cli", "ops", "", "local"});
  ASSERT_TRUE(u) << u.error().text();
  EXPECT_EQ(u->state, "suspended");
  EXPECT_FALSE(*sessions_.from_cookie(sandbox_.id, s1->cookie_value));
  EXPECT_FALSE(*sessions_.from_cookie(sandbox_.id, s2->cookie_value));
  auto revoked = events(acme_, "session.revoked");
  ASSERT_EQ(revoked.size(), 2u);
  EXPECT_EQ(revoked[0].payload["session"]["reason"], "user_suspended");
  auto rec = audit(acme_, "user.suspended");
  ASSERT_EQ(rec.size(), 1u);
  EXPECT_EQ(rec[0].summary["sessions_revoked"].size(), 2u);
  EXPECT_EQ(events(acme_, "user.suspended").size(), 1u);
  // Reactivation does not bring sessions back.
  ASSERT_TRUE(identity_.set_state(sandbox_, acme_.id, uid, "active", 0, {}));
  EXPECT_FALSE(*sessions_.from_cookie(sandbox_.id, s1->cookie_value));
  EXPECT_EQ(audit(acme_, "user.activated").size(), 1u);
}

TEST_P(IdentityServiceTest, AdminReadsAreScopedToTheOrganization) {
  const auto uid =
      identity_.resolve(login(acme_, "conn-1", "sub-1", "alice@acme.example"), false)->user_id;
  auto page = identity_.list_users(sandbox_, acme_.id, {"", 10});
  ASSERT_TRUE(page);
  ASSERT_EQ(page->items.size(), 1u);
  EXPECT_EQ(page->items[0].id, uid);
  EXPECT_TRUE(identity_.list_users(sandbox_, globex_.id, {"", 10})->items.empty());
  auto foreign = identity_.list_users(production_, acme_.id, {"", 10});
  ASSERT_FALSE(foreign);
  EXPECT_EQ(foreign.error().code, errc::TenantNotFound);
  auto g = identity_.get_user(sandbox_, globex_.id, uid);
  ASSERT_FALSE(g);
  EXPECT_EQ(g.error().code, errc::IdentityUserNotFound);
  auto st = identity_.set_state(sandbox_, globex_.id, uid, "suspended", 0, {});
  ASSERT_FALSE(st);
  EXPECT_EQ(st.error().code, errc::IdentityUserNotFound);
  EXPECT_EQ(user(acme_, uid).state, "active");
}

// The connection's directory link rule (docs/scim.md): a SCIM-provisioned user and an SSO
// identity are one person only under the rule; ambiguity is an error; directory_only refuses
// users no directory provisions.
class DirectoryLinking : public IdentityServiceTest {
 protected:
  store::Directory directory(const store::Organization& org, const std::string& name) {
    return *store_->transact<store::Directory>([&](store::Repositories& r) {
      store::Directory d;
      d.environment_id = org.environment_id;
      d.organization_id = org.id;
      d.name = name;
      return r.directories().create(d);
    });
  }
  // A directory user: the identity user and its SCIM resource, as ScimService writes them.
  std::string provision(const store::Directory& d, const std::string& user_name,
                        const std::string& external_id, std::vector<std::string> emails) {
    auto id = store_->transact<std::string>([&](store::Repositories& r) -> Result<std::string> {
      store::User u;
      u.environment_id = d.environment_id;
      u.organization_id = d.organization_id;
      u.email = emails.empty() ? "" : emails.front();
      auto user = r.users().create(u);
      if (!user) return fail(user.error());
      store::ScimResource res;
      res.directory_id = d.id;
      res.environment_id = d.environment_id;
      res.organization_id = d.organization_id;
      res.type = "User";
      res.user_id = user->id;
      res.user_name = store::normalize_email(user_name);
      res.external_id = external_id;
      res.emails = emails;
      res.document = {{"userName", user_name}, {"externalId", external_id}};
      auto created = r.directories().create_resource(res);
      if (!created) return fail(created.error());
      return user->id;
    });
    EXPECT_TRUE(id) << id.error().text();
    return id ? *id : "";
  }
  void rule(const store::Organization& org, const std::string& connection, const std::string& r) {
    ASSERT_TRUE(store_->transact<bool>([&](store::Repositories& repos) {
      return repos.directories().set_link_rule(org.environment_id, org.id, connection, r, 1);
    }));
  }
};

TEST_P(DirectoryLinking, ExternalIdRuleBindsTheLoginToTheDirectoryUser) {
  auto d = directory(acme_, "Entra");
  const std::string uid = provision(d, "alice@acme.example", "sub-9", {"alice@acme.example"});
  set_policy(acme_, {{"provisioning_mode", "directory_only"}});
  // Without a rule the same email is not enough (never linked by email unless policy says so).
  auto refused = identity_.resolve(login(acme_, "conn-1", "sub-9", "alice@acme.example"), false);
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().code, errc::IdentityEmailInUse);
  rule(acme_, "conn-1", "external_id");
  // The subject is what counts: another subject with the same email is not her.
  auto other = identity_.resolve(login(acme_, "conn-1", "sub-other", "alice@acme.example"), false);
  ASSERT_FALSE(other);
  auto r = identity_.resolve(login(acme_, "conn-1", "sub-9", "alice@acme.example"), false);
  ASSERT_TRUE(r) << r.error().text();
  EXPECT_EQ(r->user_id, uid);
  EXPECT_TRUE(r->linked);
  EXPECT_FALSE(r->created);
  auto linked = audit(acme_, "user.linked");
  ASSERT_EQ(linked.size(), 1u);
  EXPECT_EQ(linked[0].summary["rule"], "external_id");
  EXPECT_EQ(linked[0].summary["by"], "directory");
  // The next login is found by its binding; directory_only lets it in (a directory provisions
  // this user).
  auto again = identity_.resolve(login(acme_, "conn-1", "sub-9", "alice@acme.example"), false);
  ASSERT_TRUE(again) << again.error().text();
  EXPECT_EQ(again->user_id, uid);
  EXPECT_FALSE(again->linked);
  // The rule is per connection: conn-2 has none.
  EXPECT_FALSE(identity_.resolve(login(acme_, "conn-2", "sub-9", "alice@acme.example"), false));
}

TEST_P(DirectoryLinking, UserNameAndEmailRules) {
  auto d = directory(acme_, "Okta");
  const std::string bob = provision(d, "Bob@Acme.Example", "00u1", {"bob@acme.example"});
  const std::string carol =
      provision(d, "carol", "00u2", {"carol@acme.example", "c.alias@acme.example"});
  set_policy(acme_, {{"provisioning_mode", "directory_only"}});
  rule(acme_, "conn-1", "user_name");
  // userName matched case-insensitively against the email (the subject is opaque here).
  auto r = identity_.resolve(login(acme_, "conn-1", "opaque-1", "bob@acme.example"), false);
  ASSERT_TRUE(r) << r.error().text();
  EXPECT_EQ(r->user_id, bob);
  // ... or against the subject.
  r = identity_.resolve(login(acme_, "conn-1", "CAROL", "unrelated@acme.example"), false);
  ASSERT_TRUE(r) << r.error().text();
  EXPECT_EQ(r->user_id, carol);

  // email: only for a domain this organization verified, any of the user's emails.
  rule(acme_, "conn-2", "email");
  auto unverified = identity_.resolve(login(acme_, "conn-2", "s-2", "c.alias@acme.example"), false);
  ASSERT_FALSE(unverified);
  EXPECT_EQ(unverified.error().code, errc::IdentityProvisioningRefused);
  add_domain(acme_, "acme.example", true);
  r = identity_.resolve(login(acme_, "conn-2", "s-2", "c.alias@acme.example"), false);
  ASSERT_TRUE(r) << r.error().text();
  EXPECT_EQ(r->user_id, carol);
  // A dry run links nothing.
  const auto before = counts(acme_);
  r = identity_.resolve(login(acme_, "conn-2", "s-3", "bob@acme.example"), true);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->user_id, bob);
  EXPECT_EQ(counts(acme_), before);
}

TEST_P(DirectoryLinking, AmbiguityIsAnErrorAndWritesNothing) {
  auto d1 = directory(acme_, "Entra");
  auto d2 = directory(acme_, "Okta");
  provision(d1, "a1", "dup", {});
  provision(d2, "a2", "dup", {});
  rule(acme_, "conn-1", "external_id");
  const auto before = counts(acme_);
  auto r = identity_.resolve(login(acme_, "conn-1", "dup", "someone@acme.example"), false);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, errc::IdentityLinkAmbiguous);
  EXPECT_EQ(r.error().extra["matches"], 2);
  EXPECT_EQ(counts(acme_), before);
  // Another organization's directory users never count.
  auto g = directory(globex_, "Entra");
  provision(g, "g1", "solo", {});
  rule(acme_, "conn-1", "external_id");
  set_policy(acme_, {{"provisioning_mode", "directory_only"}});
  auto foreign = identity_.resolve(login(acme_, "conn-1", "solo", "solo@acme.example"), false);
  ASSERT_FALSE(foreign);
  EXPECT_EQ(foreign.error().code, errc::IdentityProvisioningRefused);
}

TEST_P(DirectoryLinking, DirectoryOnlyRefusesBoundUsersNoDirectoryProvisions) {
  auto jit = identity_.resolve(login(acme_, "conn-1", "sub-1", "jit@acme.example"), false);
  ASSERT_TRUE(jit);
  ASSERT_TRUE(jit->created);
  set_policy(acme_, {{"provisioning_mode", "directory_only"}});
  auto r = identity_.resolve(login(acme_, "conn-1", "sub-1", "jit@acme.example"), false);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, errc::IdentityProvisioningRefused);
  // Back under jit the same binding works again.
  set_policy(acme_, {{"provisioning_mode", "jit"}});
  EXPECT_TRUE(identity_.resolve(login(acme_, "conn-1", "sub-1", "jit@acme.example"), false));
}

TEST_P(DirectoryLinking, UnseenJustInTimeUsersAreSuspendedByPolicy) {
  // Day 0: a JIT user with a live session, a directory user who also signed in (linked), and a
  // JIT user of an organization without the policy.
  auto stale = *identity_.resolve(login(acme_, "conn-1", "sub-stale", "stale@acme.example"), false);
  auto d = directory(acme_, "Entra");
  const std::string dir_user = provision(d, "dir@acme.example", "ext-dir", {"dir@acme.example"});
  rule(acme_, "conn-1", "external_id");
  ASSERT_TRUE(identity_.resolve(login(acme_, "conn-1", "ext-dir", "dir@acme.example"), false));
  auto other_org = *identity_.resolve(login(globex_, "conn-1", "sub-g", "g@globex.example"), false);
  set_policy(acme_, {{"suspend_unseen_jit_users_after_days", 30}});
  // Day 20: another JIT user appears; day 31: the first is 31 days unseen, the second 11.
  clock_.advance(std::chrono::hours(24 * 20));
  auto recent = *identity_.resolve(login(acme_, "conn-1", "sub-new", "new@acme.example"), false);
  clock_.advance(std::chrono::hours(24 * 11));
  // A live session of the stale user (started without a login, as a tool could): it ends.
  auto session = sessions_.start(
      {sandbox_.id, acme_.id, stale.user_id, "conn-1", clock_.now_ms(), "", {"pwd"}});
  ASSERT_TRUE(session) << session.error().text();
  auto n = identity_.suspend_unseen_jit_users(100);
  ASSERT_TRUE(n) << n.error().text();
  EXPECT_EQ(*n, 1);
  EXPECT_EQ(user(acme_, stale.user_id).state, "suspended");
  EXPECT_EQ(user(acme_, recent.user_id).state, "active");
  EXPECT_EQ(user(acme_, dir_user).state, "active");  // the directory decides for its users
  EXPECT_EQ(user(globex_, other_org.user_id).state, "active");
  // Through the fan-out: the session is revoked, audited as the system.
  auto sessions = *store_->read<std::vector<store::Session>>([&](store::Repositories& r) {
    return r.sessions().list_for_user(sandbox_.id, acme_.id, stale.user_id, 0);
  });
  ASSERT_EQ(sessions.size(), 1u);
  EXPECT_NE(sessions[0].revoked_at_ms, 0);
  auto suspended = audit(acme_, "user.suspended");
  ASSERT_EQ(suspended.size(), 1u);
  EXPECT_EQ(suspended[0].actor_type, "system");
  EXPECT_EQ(suspended[0].actor_id, "jit-inactivity");
  // Nothing more to do; the budget bounds a run.
  EXPECT_EQ(*identity_.suspend_unseen_jit_users(100), 0);
  clock_.advance(std::chrono::hours(24 * 30));
  EXPECT_EQ(*identity_.suspend_unseen_jit_users(0), 0);
  EXPECT_EQ(*identity_.suspend_unseen_jit_users(100), 1);
  EXPECT_EQ(user(acme_, recent.user_id).state, "suspended");
}

INSTANTIATE_TEST_SUITE_P(Sqlite, DirectoryLinking, ::testing::Values(Backend::sqlite));
INSTANTIATE_TEST_SUITE_P(Postgres, DirectoryLinking, ::testing::Values(Backend::postgres));
INSTANTIATE_TEST_SUITE_P(Sqlite, IdentityServiceTest, ::testing::Values(Backend::sqlite));
INSTANTIATE_TEST_SUITE_P(Postgres, IdentityServiceTest, ::testing::Values(Backend::postgres));
INSTANTIATE_TEST_SUITE_P(Sqlite, EmailLinking, ::testing::Values(Backend::sqlite));
INSTANTIATE_TEST_SUITE_P(Postgres, EmailLinking, ::testing::Values(Backend::postgres));

}  // namespace
}  // namespace gh::identity
