// Conformance of the application repository (applications, client secrets, resources, grants)
// and the OAuth grant repository (pending requests, codes, refresh families, the jti deny-list)
// on both backends, with isolation probes: other organizations' and environments' ids answer
// not-found and change nothing; redemption and rotation are single-winner.
#include <gtest/gtest.h>

#include <atomic>
#include <mutex>
#include <thread>

#include "oauth/error_codes.h"
#include "test_store.h"

namespace gh::store {
namespace {

class ApplicationConformance : public ::testing::TestWithParam<Backend> {
 protected:
  ApplicationConformance() : store_(GetParam(), &clock_) {
    env_a_ = make_env("env-a");
    env_b_ = make_env("env-b");
    acme_ = make_org(env_a_, "acme");
    globex_ = make_org(env_a_, "globex");
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
  Result<Application> create_app(const std::string& env, const std::string& org,
                                 const std::string& client_id) {
    Application a;
    a.environment_id = env;
    a.organization_id = org;
    a.client_id = client_id;
    a.name = "App " + client_id;
    a.redirect_uris = {"https://app.example/cb", "http://127.0.0.1:3000/callback"};
    return store_->transact<Application>(
        [&](Repositories& r) { return r.applications().create(a); });
  }
  Result<Resource> create_resource(const std::string& env, const std::string& identifier) {
    Resource res;
    res.environment_id = env;
    res.identifier = identifier;
    res.name = "API";
    res.permissions = {{"invoices:read", "Read invoices"}, {"invoices:write", "Write invoices"}};
    return store_->transact<Resource>(
        [&](Repositories& r) { return r.applications().create_resource(res); });
  }
  template <class T>
  Result<T> tx(const std::function<Result<T>(Repositories&)>& fn) {
    return store_->transact<T>(fn);
  }
  FakeClock clock_;
  testing::TestStore store_;
  Environment env_a_, env_b_;
  Organization acme_, globex_;
};

TEST_P(ApplicationConformance, CreateReadListUpdateRemove) {
  auto app = create_app(env_a_.id, "", "gh_app_one");
  ASSERT_TRUE(app) << app.error().text();
  EXPECT_FALSE(app->id.empty());
  EXPECT_EQ(app->version, 1);
  EXPECT_EQ(app->created_at_ms, clock_.now_ms());

  auto got = tx<Application>(
      [&](Repositories& r) { return r.applications().get(env_a_.id, "", app->id); });
  ASSERT_TRUE(got) << got.error().text();
  EXPECT_EQ(got->client_id, "gh_app_one");
  EXPECT_EQ(got->redirect_uris, app->redirect_uris);
  EXPECT_EQ(got->grant_types, (std::vector<std::string>{"authorization_code", "refresh_token"}));
  EXPECT_TRUE(got->pkce_required);
  EXPECT_EQ(got->access_token_ttl_s, 300);
  EXPECT_EQ(got->refresh_idle_ttl_s, 604800);

  auto by_client = tx<Application>(
      [&](Repositories& r) { return r.applications().find_by_client_id(env_a_.id, "gh_app_one"); });
  ASSERT_TRUE(by_client);
  EXPECT_EQ(by_client->id, app->id);

  // client_id is unique per environment, not across environments.
  auto dup = create_app(env_a_.id, acme_.id, "gh_app_one");
  ASSERT_FALSE(dup);
  EXPECT_EQ(dup.error().code, errc::ApplicationAlreadyExists);
  ASSERT_TRUE(create_app(env_b_.id, "", "gh_app_one"));

  // Pagination, per organization.
  ASSERT_TRUE(create_app(env_a_.id, "", "gh_app_two"));
  ASSERT_TRUE(create_app(env_a_.id, "", "gh_app_three"));
  ASSERT_TRUE(create_app(env_a_.id, acme_.id, "gh_app_machine"));
  auto p1 = tx<PageOf<Application>>(
      [&](Repositories& r) { return r.applications().list(env_a_.id, "", {.limit = 2}); });
  ASSERT_TRUE(p1);
  ASSERT_EQ(p1->items.size(), 2u);
  ASSERT_FALSE(p1->next.empty());
  auto p2 = tx<PageOf<Application>>([&](Repositories& r) {
    return r.applications().list(env_a_.id, "", {.after = p1->next, .limit = 2});
  });
  ASSERT_TRUE(p2);
  ASSERT_EQ(p2->items.size(), 1u);
  EXPECT_TRUE(p2->next.empty());
  auto machine = tx<PageOf<Application>>(
      [&](Repositories& r) { return r.applications().list(env_a_.id, acme_.id, {}); });
  ASSERT_TRUE(machine);
  ASSERT_EQ(machine->items.size(), 1u);
  EXPECT_EQ(machine->items[0].client_id, "gh_app_machine");

  // Optimistic concurrency.
  Application change = *got;
  change.name = "Renamed";
  change.redirect_uris = {"https://app.example/other"};
  change.pkce_required = false;
  change.access_token_ttl_s = 600;
  clock_.advance(std::chrono::milliseconds(7));
  auto updated = tx<Application>([&](Repositories& r) { return r.applications().update(change); });
  ASSERT_TRUE(updated) << updated.error().text();
  EXPECT_EQ(updated->version, 2);
  EXPECT_EQ(updated->updated_at_ms, clock_.now_ms());
  auto stale = tx<Application>([&](Repositories& r) { return r.applications().update(change); });
  ASSERT_FALSE(stale);
  EXPECT_EQ(stale.error().code, errc::RequestPreconditionFailed);
  auto reread = tx<Application>(
      [&](Repositories& r) { return r.applications().get(env_a_.id, "", app->id); });
  ASSERT_TRUE(reread);
  EXPECT_EQ(reread->name, "Renamed");
  EXPECT_FALSE(reread->pkce_required);
  EXPECT_EQ(reread->access_token_ttl_s, 600);
  EXPECT_EQ(reread->redirect_uris, std::vector<std::string>{"https://app.example/other"});

  auto removed = tx<Application>(
      [&](Repositories& r) { return r.applications().remove(env_a_.id, "", app->id); });
  ASSERT_TRUE(removed);
  auto gone = tx<Application>(
      [&](Repositories& r) { return r.applications().find_by_client_id(env_a_.id, "gh_app_one"); });
  ASSERT_FALSE(gone);
  EXPECT_EQ(gone.error().code, errc::ApplicationNotFound);
}

// Migration v17: a client's jwks_uri and its back-channel logout sid requirement survive
// create, read, lookup by client_id and update, and stay with their own application.
TEST_P(ApplicationConformance, JwksUriAndLogoutSessionRequired) {
  Application a;
  a.environment_id = env_a_.id;
  a.client_id = "gh_app_keys_at_url";
  a.name = "keys";
  a.token_endpoint_auth_method = "private_key_jwt";
  a.jwks_uri = "https://client.example/jwks.json";
  a.backchannel_logout_uri = "https://client.example/bcl";
  a.backchannel_logout_session_required = true;
  auto created = tx<Application>([&](Repositories& r) { return r.applications().create(a); });
  ASSERT_TRUE(created) << created.error().text();
  ASSERT_TRUE(create_app(env_a_.id, "", "gh_app_plain"));
  auto got = tx<Application>(
      [&](Repositories& r) { return r.applications().get(env_a_.id, "", created->id); });
  ASSERT_TRUE(got);
  EXPECT_EQ(got->jwks_uri, "https://client.example/jwks.json");
  EXPECT_TRUE(got->backchannel_logout_session_required);
  auto plain = tx<Application>([&](Repositories& r) {
    return r.applications().find_by_client_id(env_a_.id, "gh_app_plain");
  });
  ASSERT_TRUE(plain);
  EXPECT_EQ(plain->jwks_uri, "");
  EXPECT_FALSE(plain->backchannel_logout_session_required);

  Application change = *got;
  change.jwks_uri = "https://client.example/rotated.json";
  change.backchannel_logout_session_required = false;
  ASSERT_TRUE(tx<Application>([&](Repositories& r) { return r.applications().update(change); }));
  auto by_client = tx<Application>([&](Repositories& r) {
    return r.applications().find_by_client_id(env_a_.id, "gh_app_keys_at_url");
  });
  ASSERT_TRUE(by_client);
  EXPECT_EQ(by_client->jwks_uri, "https://client.example/rotated.json");
  EXPECT_FALSE(by_client->backchannel_logout_session_required);
  // Another environment's update of the same id changes nothing.
  Application foreign = *by_client;
  foreign.environment_id = env_b_.id;
  foreign.jwks_uri = "https://evil.example/jwks.json";
  auto up = tx<Application>([&](Repositories& r) { return r.applications().update(foreign); });
  ASSERT_FALSE(up);
  EXPECT_EQ(up.error().code, errc::ApplicationNotFound);
  auto still = tx<Application>(
      [&](Repositories& r) { return r.applications().get(env_a_.id, "", created->id); });
  ASSERT_TRUE(still);
  EXPECT_EQ(still->jwks_uri, "https://client.example/rotated.json");
}

TEST_P(ApplicationConformance, ApplicationIsolation) {
  auto machine = create_app(env_a_.id, acme_.id, "gh_app_acme");
  ASSERT_TRUE(machine);
  // Another organization, the environment level, another environment: not found.
  for (auto [env, org] : {std::pair{env_a_.id, globex_.id}, std::pair{env_a_.id, std::string()},
                          std::pair{env_b_.id, acme_.id}}) {
    auto other = tx<Application>(
        [&](Repositories& r) { return r.applications().get(env, org, machine->id); });
    ASSERT_FALSE(other);
    EXPECT_EQ(other.error().code, errc::ApplicationNotFound);
    auto list = tx<PageOf<Application>>(
        [&](Repositories& r) { return r.applications().list(env, org, {}); });
    ASSERT_TRUE(list);
    EXPECT_TRUE(list->items.empty());
    Application change = *machine;
    change.environment_id = env;
    change.organization_id = org;
    change.name = "hijacked";
    auto up = tx<Application>([&](Repositories& r) { return r.applications().update(change); });
    ASSERT_FALSE(up);
    EXPECT_EQ(up.error().code, errc::ApplicationNotFound);
    auto rm = tx<Application>(
        [&](Repositories& r) { return r.applications().remove(env, org, machine->id); });
    ASSERT_FALSE(rm);
    EXPECT_EQ(rm.error().code, errc::ApplicationNotFound);
    auto secret = tx<ClientSecret>([&](Repositories& r) {
      return r.applications().add_secret({.environment_id = env,
                                          .organization_id = org,
                                          .application_id = machine->id,
                                          .lookup = "l",
                                          .hash = "h"});
    });
    ASSERT_FALSE(secret);
    EXPECT_EQ(secret.error().code, errc::ApplicationNotFound);
  }
  auto other_env = tx<Application>([&](Repositories& r) {
    return r.applications().find_by_client_id(env_b_.id, "gh_app_acme");
  });
  ASSERT_FALSE(other_env);
  EXPECT_EQ(other_env.error().code, errc::ApplicationNotFound);
  auto still = tx<Application>(
      [&](Repositories& r) { return r.applications().get(env_a_.id, acme_.id, machine->id); });
  ASSERT_TRUE(still);
  EXPECT_EQ(still->name, "App gh_app_acme");
}

TEST_P(ApplicationConformance, ClientSecrets) {
  auto app = create_app(env_a_.id, acme_.id, "gh_app_s");
  ASSERT_TRUE(app);
  auto add = [&](const std::string& lookup, int64_t expires) {
    return tx<ClientSecret>([&](Repositories& r) {
      return r.applications().add_secret({.environment_id = env_a_.id,
                                          .organization_id = acme_.id,
                                          .application_id = app->id,
                                          .lookup = lookup,
                                          .hash = "hash-" + lookup,
                                          .expires_at_ms = expires});
    });
  };
  auto s1 = add("lk1", 0);
  ASSERT_TRUE(s1) << s1.error().text();
  clock_.advance(std::chrono::milliseconds(1));
  auto s2 = add("lk2", clock_.now_ms() + 1000);
  ASSERT_TRUE(s2);
  auto list = tx<std::vector<ClientSecret>>(
      [&](Repositories& r) { return r.applications().list_secrets(env_a_.id, acme_.id, app->id); });
  ASSERT_TRUE(list);
  ASSERT_EQ(list->size(), 2u);
  EXPECT_EQ((*list)[0].lookup, "lk1");
  EXPECT_EQ((*list)[0].hash, "hash-lk1");
  EXPECT_EQ((*list)[1].expires_at_ms, s2->expires_at_ms);
  EXPECT_EQ((*list)[1].revoked_at_ms, 0);

  // Revocation: other tenancy's ids do nothing.
  auto wrong = tx<ClientSecret>([&](Repositories& r) {
    return r.applications().revoke_secret(env_a_.id, globex_.id, app->id, s1->id, 99);
  });
  ASSERT_FALSE(wrong);
  EXPECT_EQ(wrong.error().code, errc::ClientSecretNotFound);
  auto wrong_env = tx<std::vector<ClientSecret>>(
      [&](Repositories& r) { return r.applications().list_secrets(env_b_.id, acme_.id, app->id); });
  ASSERT_TRUE(wrong_env);
  EXPECT_TRUE(wrong_env->empty());
  auto revoked = tx<ClientSecret>([&](Repositories& r) {
    return r.applications().revoke_secret(env_a_.id, acme_.id, app->id, s1->id, 1234);
  });
  ASSERT_TRUE(revoked);
  EXPECT_EQ(revoked->revoked_at_ms, 1234);
  auto again = tx<ClientSecret>([&](Repositories& r) {
    return r.applications().revoke_secret(env_a_.id, acme_.id, app->id, s1->id, 5678);
  });
  ASSERT_TRUE(again);
  EXPECT_EQ(again->revoked_at_ms, 1234);  // the first revocation time stays
  auto unknown = tx<ClientSecret>([&](Repositories& r) {
    return r.applications().revoke_secret(env_a_.id, acme_.id, app->id, "nope", 1);
  });
  ASSERT_FALSE(unknown);
  EXPECT_EQ(unknown.error().code, errc::ClientSecretNotFound);

  // Removing the application removes its secrets.
  ASSERT_TRUE(tx<Application>(
      [&](Repositories& r) { return r.applications().remove(env_a_.id, acme_.id, app->id); }));
  auto after = tx<std::vector<ClientSecret>>(
      [&](Repositories& r) { return r.applications().list_secrets(env_a_.id, acme_.id, app->id); });
  ASSERT_TRUE(after);
  EXPECT_TRUE(after->empty());
}

TEST_P(ApplicationConformance, ResourcesAndGrants) {
  auto res = create_resource(env_a_.id, "https://api.example.test");
  ASSERT_TRUE(res) << res.error().text();
  EXPECT_EQ(res->version, 1);
  auto dup = create_resource(env_a_.id, "https://api.example.test");
  ASSERT_FALSE(dup);
  EXPECT_EQ(dup.error().code, errc::ResourceAlreadyExists);
  ASSERT_TRUE(create_resource(env_b_.id, "https://api.example.test"));

  auto found = tx<Resource>([&](Repositories& r) {
    return r.applications().find_resource(env_a_.id, "https://api.example.test");
  });
  ASSERT_TRUE(found);
  EXPECT_EQ(found->id, res->id);
  ASSERT_EQ(found->permissions.size(), 2u);
  EXPECT_EQ(found->permissions[0].name, "invoices:read");
  EXPECT_EQ(found->permissions[0].description, "Read invoices");
  auto other_env = tx<Resource>(
      [&](Repositories& r) { return r.applications().get_resource(env_b_.id, res->id); });
  ASSERT_FALSE(other_env);
  EXPECT_EQ(other_env.error().code, errc::ResourceNotFound);

  ASSERT_TRUE(create_resource(env_a_.id, "https://api2.example.test"));
  auto page = tx<PageOf<Resource>>(
      [&](Repositories& r) { return r.applications().list_resources(env_a_.id, {.limit = 1}); });
  ASSERT_TRUE(page);
  ASSERT_EQ(page->items.size(), 1u);
  EXPECT_FALSE(page->next.empty());
  auto page_b = tx<PageOf<Resource>>(
      [&](Repositories& r) { return r.applications().list_resources(env_b_.id, {}); });
  ASSERT_TRUE(page_b);
  EXPECT_EQ(page_b->items.size(), 1u);

  // Grants: only defined permissions; per application and organization.
  auto app = create_app(env_a_.id, acme_.id, "gh_app_m2m");
  ASSERT_TRUE(app);
  auto bad = tx<ResourceGrant>([&](Repositories& r) {
    return r.applications().set_grant({env_a_.id, acme_.id, app->id, res->id, {"admin"}});
  });
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().code, errc::GrantInvalid);
  auto g = tx<ResourceGrant>([&](Repositories& r) {
    return r.applications().set_grant(
        {env_a_.id, acme_.id, app->id, res->id, {"invoices:write", "invoices:read"}});
  });
  ASSERT_TRUE(g) << g.error().text();
  auto cross = tx<ResourceGrant>([&](Repositories& r) {
    return r.applications().set_grant({env_a_.id, globex_.id, app->id, res->id, {"invoices:read"}});
  });
  ASSERT_FALSE(cross);
  EXPECT_EQ(cross.error().code, errc::ApplicationNotFound);
  auto cross_env = tx<ResourceGrant>([&](Repositories& r) {
    return r.applications().set_grant({env_b_.id, acme_.id, app->id, res->id, {"invoices:read"}});
  });
  ASSERT_FALSE(cross_env);
  EXPECT_EQ(cross_env.error().code, errc::ApplicationNotFound);
  auto grants = tx<std::vector<ResourceGrant>>(
      [&](Repositories& r) { return r.applications().list_grants(env_a_.id, acme_.id, app->id); });
  ASSERT_TRUE(grants);
  ASSERT_EQ(grants->size(), 1u);
  EXPECT_EQ((*grants)[0].permissions,
            (std::vector<std::string>{"invoices:read", "invoices:write"}));
  auto none = tx<std::vector<ResourceGrant>>([&](Repositories& r) {
    return r.applications().list_grants(env_a_.id, globex_.id, app->id);
  });
  ASSERT_TRUE(none);
  EXPECT_TRUE(none->empty());

  // Dropping a permission from the resource narrows the grants that named it.
  Resource change = *found;
  change.permissions = {{"invoices:read", "Read"}};
  change.name = "Invoices";
  auto updated =
      tx<Resource>([&](Repositories& r) { return r.applications().update_resource(change); });
  ASSERT_TRUE(updated) << updated.error().text();
  EXPECT_EQ(updated->version, 2);
  auto stale =
      tx<Resource>([&](Repositories& r) { return r.applications().update_resource(change); });
  ASSERT_FALSE(stale);
  EXPECT_EQ(stale.error().code, errc::RequestPreconditionFailed);
  grants = tx<std::vector<ResourceGrant>>(
      [&](Repositories& r) { return r.applications().list_grants(env_a_.id, acme_.id, app->id); });
  ASSERT_TRUE(grants);
  ASSERT_EQ(grants->size(), 1u);
  EXPECT_EQ((*grants)[0].permissions, std::vector<std::string>{"invoices:read"});

  // Empty permissions remove the grant.
  ASSERT_TRUE(tx<ResourceGrant>([&](Repositories& r) {
    return r.applications().set_grant({env_a_.id, acme_.id, app->id, res->id, {}});
  }));
  grants = tx<std::vector<ResourceGrant>>(
      [&](Repositories& r) { return r.applications().list_grants(env_a_.id, acme_.id, app->id); });
  ASSERT_TRUE(grants);
  EXPECT_TRUE(grants->empty());

  // Removing a resource removes its grants; another environment cannot remove it.
  ASSERT_TRUE(tx<ResourceGrant>([&](Repositories& r) {
    return r.applications().set_grant({env_a_.id, acme_.id, app->id, res->id, {"invoices:read"}});
  }));
  auto rm_other = tx<Resource>(
      [&](Repositories& r) { return r.applications().remove_resource(env_b_.id, res->id); });
  ASSERT_FALSE(rm_other);
  EXPECT_EQ(rm_other.error().code, errc::ResourceNotFound);
  ASSERT_TRUE(tx<Resource>(
      [&](Repositories& r) { return r.applications().remove_resource(env_a_.id, res->id); }));
  grants = tx<std::vector<ResourceGrant>>(
      [&](Repositories& r) { return r.applications().list_grants(env_a_.id, acme_.id, app->id); });
  ASSERT_TRUE(grants);
  EXPECT_TRUE(grants->empty());
}

TEST_P(ApplicationConformance, PendingAuthorizations) {
  PendingAuthorization p{"req-1",
                         env_a_.id,
                         "app-1",
                         "gh_app_x",
                         R"({"scope":"openid"})",
                         clock_.now_ms(),
                         clock_.now_ms() + 600000};
  ASSERT_TRUE(
      tx<PendingAuthorization>([&](Repositories& r) { return r.oauth_grants().put_pending(p); }));
  auto got = tx<PendingAuthorization>([&](Repositories& r) {
    return r.oauth_grants().get_pending(env_a_.id, "req-1", clock_.now_ms());
  });
  ASSERT_TRUE(got);
  EXPECT_EQ(got->params, p.params);
  EXPECT_EQ(got->client_id, "gh_app_x");
  auto other = tx<PendingAuthorization>([&](Repositories& r) {
    return r.oauth_grants().get_pending(env_b_.id, "req-1", clock_.now_ms());
  });
  ASSERT_FALSE(other);
  EXPECT_EQ(other.error().code, errc::OAuthRequestNotFound);
  auto expired = tx<PendingAuthorization>([&](Repositories& r) {
    return r.oauth_grants().get_pending(env_a_.id, "req-1", p.expires_at_ms);
  });
  ASSERT_FALSE(expired);
  EXPECT_EQ(expired.error().code, errc::OAuthRequestNotFound);
  EXPECT_FALSE(*tx<bool>(
      [&](Repositories& r) { return r.oauth_grants().delete_pending(env_b_.id, "req-1"); }));
  EXPECT_TRUE(*tx<bool>(
      [&](Repositories& r) { return r.oauth_grants().delete_pending(env_a_.id, "req-1"); }));
  EXPECT_FALSE(tx<PendingAuthorization>([&](Repositories& r) {
    return r.oauth_grants().get_pending(env_a_.id, "req-1", clock_.now_ms());
  }));
}

TEST_P(ApplicationConformance, CodesAreRedeemedOnce) {
  AuthorizationCode c;
  c.code_hash = "abc123";
  c.environment_id = env_a_.id;
  c.organization_id = acme_.id;
  c.application_id = "app-1";
  c.client_id = "gh_app_x";
  c.user_id = "user-1";
  c.sid = "sid-1";
  c.redirect_uri = "https://app.example/cb";
  c.params = R"({"scope":"openid"})";
  c.expires_at_ms = clock_.now_ms() + 60000;
  ASSERT_TRUE(tx<AuthorizationCode>([&](Repositories& r) { return r.oauth_grants().put_code(c); }));
  auto found = tx<std::optional<AuthorizationCode>>(
      [&](Repositories& r) { return r.oauth_grants().find_code(env_a_.id, "abc123"); });
  ASSERT_TRUE(found);
  ASSERT_TRUE(found->has_value());
  EXPECT_EQ((*found)->organization_id, acme_.id);
  EXPECT_EQ((*found)->redirect_uri, c.redirect_uri);
  EXPECT_EQ((*found)->redeemed_at_ms, 0);
  EXPECT_EQ((*found)->created_at_ms, clock_.now_ms());
  auto other_env = tx<std::optional<AuthorizationCode>>(
      [&](Repositories& r) { return r.oauth_grants().find_code(env_b_.id, "abc123"); });
  ASSERT_TRUE(other_env);
  EXPECT_FALSE(other_env->has_value());

  // Another organization cannot redeem it.
  EXPECT_FALSE(*tx<bool>([&](Repositories& r) {
    return r.oauth_grants().redeem_code(env_a_.id, globex_.id, "abc123", 5, "fam", {"j"});
  }));
  EXPECT_TRUE(*tx<bool>([&](Repositories& r) {
    return r.oauth_grants().redeem_code(env_a_.id, acme_.id, "abc123", 10, "fam-1",
                                        {"jti-1", "jti-2"});
  }));
  // The second redemption loses and does not overwrite what the first recorded.
  EXPECT_FALSE(*tx<bool>([&](Repositories& r) {
    return r.oauth_grants().redeem_code(env_a_.id, acme_.id, "abc123", 20, "fam-2", {"jti-3"});
  }));
  found = tx<std::optional<AuthorizationCode>>(
      [&](Repositories& r) { return r.oauth_grants().find_code(env_a_.id, "abc123"); });
  ASSERT_TRUE(found && found->has_value());
  EXPECT_EQ((*found)->redeemed_at_ms, 10);
  EXPECT_EQ((*found)->family_id, "fam-1");
  EXPECT_EQ((*found)->access_token_jtis, (std::vector<std::string>{"jti-1", "jti-2"}));
}

TEST_P(ApplicationConformance, ConcurrentRedemptionHasOneWinner) {
  AuthorizationCode c;
  c.code_hash = "race";
  c.environment_id = env_a_.id;
  c.organization_id = "";
  c.expires_at_ms = clock_.now_ms() + 60000;
  ASSERT_TRUE(tx<AuthorizationCode>([&](Repositories& r) { return r.oauth_grants().put_code(c); }));
  auto second = store_.open_another();
  int wins = 0;
  std::vector<std::thread> threads;
  std::mutex mu;
  for (int i = 0; i < 4; ++i) {
    threads.emplace_back([&, i] {
      Store& s = (i % 2 == 0) ? *store_ : *second;
      auto won = s.transact<bool>([&](Repositories& r) {
        return r.oauth_grants().redeem_code(env_a_.id, "", "race", 100 + i, "f", {});
      });
      std::lock_guard lock(mu);
      if (won && *won) ++wins;
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(wins, 1);
}

TEST_P(ApplicationConformance, RefreshRotationAndFamilies) {
  auto put = [&](const std::string& hash, const std::string& family, const std::string& org) {
    RefreshToken t;
    t.token_hash = hash;
    t.family_id = family;
    t.environment_id = env_a_.id;
    t.organization_id = org;
    t.application_id = "app-1";
    t.client_id = "gh_app_x";
    t.user_id = "user-1";
    t.params = R"({"scope":"openid offline_access"})";
    t.expires_at_ms = clock_.now_ms() + 1000;
    t.family_expires_at_ms = clock_.now_ms() + 5000;
    return tx<RefreshToken>([&](Repositories& r) { return r.oauth_grants().put_refresh(t); });
  };
  ASSERT_TRUE(put("rt-1", "fam-1", acme_.id));
  ASSERT_TRUE(put("rt-other", "fam-2", acme_.id));
  auto found = tx<std::optional<RefreshToken>>(
      [&](Repositories& r) { return r.oauth_grants().find_refresh(env_a_.id, "rt-1"); });
  ASSERT_TRUE(found && found->has_value());
  EXPECT_EQ((*found)->family_id, "fam-1");
  EXPECT_EQ((*found)->family_expires_at_ms, clock_.now_ms() + 5000);
  EXPECT_FALSE(tx<std::optional<RefreshToken>>([&](Repositories& r) {
                 return r.oauth_grants().find_refresh(env_b_.id, "rt-1");
               })->has_value());

  EXPECT_FALSE(*tx<bool>([&](Repositories& r) {
    return r.oauth_grants().rotate_refresh(env_a_.id, globex_.id, "rt-1", 1);
  }));
  EXPECT_TRUE(*tx<bool>([&](Repositories& r) {
    return r.oauth_grants().rotate_refresh(env_a_.id, acme_.id, "rt-1", 50);
  }));
  EXPECT_FALSE(*tx<bool>([&](Repositories& r) {
    return r.oauth_grants().rotate_refresh(env_a_.id, acme_.id, "rt-1", 60);
  }));
  ASSERT_TRUE(put("rt-2", "fam-1", acme_.id));

  // Another organization or environment cannot revoke the family.
  EXPECT_EQ(*tx<int>([&](Repositories& r) {
    return r.oauth_grants().revoke_family(env_a_.id, globex_.id, "fam-1", 70);
  }),
            0);
  EXPECT_EQ(*tx<int>([&](Repositories& r) {
    return r.oauth_grants().revoke_family(env_b_.id, acme_.id, "fam-1", 70);
  }),
            0);
  EXPECT_EQ(*tx<int>([&](Repositories& r) {
    return r.oauth_grants().revoke_family(env_a_.id, acme_.id, "fam-1", 80);
  }),
            2);
  auto rt2 = tx<std::optional<RefreshToken>>(
      [&](Repositories& r) { return r.oauth_grants().find_refresh(env_a_.id, "rt-2"); });
  ASSERT_TRUE(rt2 && rt2->has_value());
  EXPECT_EQ((*rt2)->revoked_at_ms, 80);
  // A revoked token cannot rotate; the other family is untouched.
  EXPECT_FALSE(*tx<bool>([&](Repositories& r) {
    return r.oauth_grants().rotate_refresh(env_a_.id, acme_.id, "rt-2", 90);
  }));
  auto other = tx<std::optional<RefreshToken>>(
      [&](Repositories& r) { return r.oauth_grants().find_refresh(env_a_.id, "rt-other"); });
  ASSERT_TRUE(other && other->has_value());
  EXPECT_EQ((*other)->revoked_at_ms, 0);
}

TEST_P(ApplicationConformance, ConcurrentRotationHasOneWinner) {
  RefreshToken t;
  t.token_hash = "rt-race";
  t.family_id = "fam";
  t.environment_id = env_a_.id;
  t.expires_at_ms = t.family_expires_at_ms = clock_.now_ms() + 1000;
  ASSERT_TRUE(tx<RefreshToken>([&](Repositories& r) { return r.oauth_grants().put_refresh(t); }));
  auto second = store_.open_another();
  std::atomic<int> wins{0};
  std::vector<std::thread> threads;
  for (int i = 0; i < 4; ++i) {
    threads.emplace_back([&, i] {
      Store& s = (i % 2 == 0) ? *store_ : *second;
      auto won = s.transact<bool>([&](Repositories& r) {
        return r.oauth_grants().rotate_refresh(env_a_.id, "", "rt-race", 10 + i);
      });
      if (won && *won) ++wins;
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(wins.load(), 1);
}

TEST_P(ApplicationConformance, DenyListAndPurge) {
  RevokedToken t{env_a_.id, acme_.id, "jti-1", "revoked", clock_.now_ms() + 1000, 0};
  EXPECT_TRUE(*tx<bool>([&](Repositories& r) { return r.oauth_grants().revoke_jti(t); }));
  EXPECT_FALSE(*tx<bool>([&](Repositories& r) { return r.oauth_grants().revoke_jti(t); }));
  EXPECT_TRUE(*tx<bool>([&](Repositories& r) {
    return r.oauth_grants().is_jti_revoked(env_a_.id, acme_.id, "jti-1");
  }));
  EXPECT_FALSE(*tx<bool>([&](Repositories& r) {
    return r.oauth_grants().is_jti_revoked(env_a_.id, globex_.id, "jti-1");
  }));
  EXPECT_FALSE(*tx<bool>([&](Repositories& r) {
    return r.oauth_grants().is_jti_revoked(env_b_.id, acme_.id, "jti-1");
  }));

  const int64_t now = clock_.now_ms();
  ASSERT_TRUE(tx<PendingAuthorization>([&](Repositories& r) {
    return r.oauth_grants().put_pending({"p", env_a_.id, "a", "c", "{}", now, now + 500});
  }));
  AuthorizationCode c;
  c.code_hash = "code";
  c.environment_id = env_a_.id;
  c.expires_at_ms = now + 500;
  ASSERT_TRUE(tx<AuthorizationCode>([&](Repositories& r) { return r.oauth_grants().put_code(c); }));
  RefreshToken rt;
  rt.token_hash = "rt";
  rt.environment_id = env_a_.id;
  rt.expires_at_ms = now + 500;
  rt.family_expires_at_ms = now + 2000;
  ASSERT_TRUE(tx<RefreshToken>([&](Repositories& r) { return r.oauth_grants().put_refresh(rt); }));

  // Nothing is due yet.
  EXPECT_EQ(*tx<int>([&](Repositories& r) { return r.oauth_grants().purge_expired(now + 100); }),
            0);
  // At +1000: the pending request and the deny-list row; the code stays for replay detection,
  // the (idle-expired) refresh token until its family ends.
  EXPECT_EQ(*tx<int>([&](Repositories& r) { return r.oauth_grants().purge_expired(now + 1000); }),
            2);
  EXPECT_FALSE(*tx<bool>([&](Repositories& r) {
    return r.oauth_grants().is_jti_revoked(env_a_.id, acme_.id, "jti-1");
  }));
  EXPECT_TRUE(tx<std::optional<AuthorizationCode>>([&](Repositories& r) {
                return r.oauth_grants().find_code(env_a_.id, "code");
              })->has_value());
  EXPECT_EQ(*tx<int>([&](Repositories& r) {
    return r.oauth_grants().purge_expired(now + 3600 * 1000 + 500);
  }),
            2);
  EXPECT_FALSE(tx<std::optional<AuthorizationCode>>([&](Repositories& r) {
                 return r.oauth_grants().find_code(env_a_.id, "code");
               })->has_value());
  EXPECT_FALSE(tx<std::optional<RefreshToken>>([&](Repositories& r) {
                 return r.oauth_grants().find_refresh(env_a_.id, "rt");
               })->has_value());
}

INSTANTIATE_TEST_SUITE_P(Sqlite, ApplicationConformance, ::testing::Values(Backend::sqlite));
INSTANTIATE_TEST_SUITE_P(Postgres, ApplicationConformance, ::testing::Values(Backend::postgres));

}  // namespace
}  // namespace gh::store
