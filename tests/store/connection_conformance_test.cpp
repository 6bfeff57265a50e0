// Conformance of the connection, login transaction and login trace repositories on both
// backends: CRUD with versions, unique names per organization, single-use transactions with
// expiry, trace upsert and retention, and isolation (other organizations' and environments'
// ids answer not-found).
#include <gtest/gtest.h>

#include <algorithm>

#include "federation/error_codes.h"
#include "test_store.h"

namespace gh::store {
namespace {

class ConnectionConformance : public ::testing::TestWithParam<Backend> {
 protected:
  ConnectionConformance() : store_(GetParam(), &clock_) {
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
  Result<Connection> create(const Organization& org, const std::string& name,
                            const std::string& type = "test", const std::string& status = "draft") {
    clock_.advance(std::chrono::milliseconds(1));  // list order is creation order
    return store_->transact<Connection>([&](Repositories& r) {
      Connection c;
      c.environment_id = org.environment_id;
      c.organization_id = org.id;
      c.type = type;
      c.status = status;
      c.name = name;
      c.domains = {"acme.test"};
      c.settings = {{"levels", {"pwd", "mfa"}}};
      c.attribute_mapping = {{"required", {"email"}}};
      c.acr_mapping = {{"mfa", "urn:gatehouse:acr:mfa"}};
      c.allow_email_linking = true;
      return r.connections().create(c);
    });
  }
  Result<Connection> get(const Organization& org, const std::string& id) {
    return store_->read<Connection>(
        [&](Repositories& r) { return r.connections().get(org.environment_id, org.id, id); });
  }
  Result<LoginTransaction> start(const Organization& org, const std::string& id,
                                 const std::string& conn, int64_t ttl_ms) {
    return store_->transact<LoginTransaction>([&](Repositories& r) {
      LoginTransaction t;
      t.id = id;
      t.environment_id = org.environment_id;
      t.organization_id = org.id;
      t.connection_id = conn;
      t.login_request_id = "req-1";
      t.state = "st";
      t.nonce = "nn";
      t.test_mode = true;
      t.expires_at_ms = clock_.now_ms() + ttl_ms;
      return r.connections().create_transaction(t);
    });
  }
  Result<LoginTransaction> finish(const Organization& org, const std::string& id) {
    return store_->transact<LoginTransaction>([&](Repositories& r) {
      return r.connections().finish_transaction(org.environment_id, org.id, id, clock_.now_ms());
    });
  }
  Result<LoginTrace> trace(const Organization& org, const std::string& req) {
    return store_->read<LoginTrace>([&](Repositories& r) {
      return r.login_traces().get(org.environment_id, org.id, req, clock_.now_ms());
    });
  }
  Result<LoginTrace> put_trace(const Organization& org, const std::string& req,
                               const std::string& body, int64_t ttl_ms) {
    return store_->transact<LoginTrace>([&](Repositories& r) {
      LoginTrace t;
      t.request_id = req;
      t.environment_id = org.environment_id;
      t.organization_id = org.id;
      t.connection_id = "c1";
      t.body_sealed = body;
      t.expires_at_ms = clock_.now_ms() + ttl_ms;
      return r.login_traces().put(t);
    });
  }
  FakeClock clock_;
  testing::TestStore store_;
  Environment env_a_, env_b_;
  Organization acme_, globex_, acme_b_;
};

TEST_P(ConnectionConformance, CreateReadListAndIsolation) {
  auto c = create(acme_, "Acme test");
  ASSERT_TRUE(c) << c.error().text();
  EXPECT_FALSE(c->id.empty());
  EXPECT_EQ(c->status, "draft");
  EXPECT_EQ(c->version, 1);
  auto read = get(acme_, c->id);
  ASSERT_TRUE(read) << read.error().text();
  EXPECT_EQ(read->name, "Acme test");
  EXPECT_EQ(read->type, "test");
  EXPECT_EQ(read->domains, nlohmann::json({"acme.test"}));
  EXPECT_EQ(read->settings["levels"][1], "mfa");
  EXPECT_EQ(read->attribute_mapping["required"][0], "email");
  EXPECT_EQ(read->acr_mapping["mfa"], "urn:gatehouse:acr:mfa");
  EXPECT_TRUE(read->allow_email_linking);
  EXPECT_EQ(read->created_at_ms, clock_.now_ms());

  // Another organization of the environment, and the same slug in another environment, see
  // nothing.
  auto other = get(globex_, c->id);
  ASSERT_FALSE(other);
  EXPECT_EQ(other.error().code, errc::ConnectionNotFound);
  auto other_env = get(acme_b_, c->id);
  ASSERT_FALSE(other_env);
  EXPECT_EQ(other_env.error().code, errc::ConnectionNotFound);
  // Wrong environment id with the right organization id.
  auto cross = store_->read<Connection>(
      [&](Repositories& r) { return r.connections().get(env_b_.id, acme_.id, c->id); });
  ASSERT_FALSE(cross);
  EXPECT_EQ(cross.error().code, errc::ConnectionNotFound);

  ASSERT_TRUE(create(acme_, "Second"));
  ASSERT_TRUE(create(globex_, "Acme test"));  // names are unique per organization only
  auto dup = create(acme_, "Acme test");
  ASSERT_FALSE(dup);
  EXPECT_EQ(dup.error().code, errc::ConnectionNameTaken);

  auto list = store_->read<std::vector<Connection>>(
      [&](Repositories& r) { return r.connections().list(env_a_.id, acme_.id); });
  ASSERT_TRUE(list);
  ASSERT_EQ(list->size(), 2u);
  EXPECT_EQ((*list)[0].name, "Acme test");
  EXPECT_EQ((*list)[1].name, "Second");
  auto none = store_->read<std::vector<Connection>>(
      [&](Repositories& r) { return r.connections().list(env_b_.id, acme_.id); });
  ASSERT_TRUE(none);
  EXPECT_TRUE(none->empty());
}

// The scheduler's walk (SAML metadata refresh): one type across environments and
// organizations, by id, in pages.
TEST_P(ConnectionConformance, ListOfTypeWalksEveryTenantInPages) {
  std::vector<std::string> ids;
  for (const auto* org : {&acme_, &globex_, &acme_b_}) {
    auto c = create(*org, "walk");
    ASSERT_TRUE(c) << c.error().text();
    ids.push_back(c->id);
  }
  auto saml = store_->transact<Connection>([&](Repositories& r) {
    Connection c;
    c.environment_id = acme_.environment_id;
    c.organization_id = acme_.id;
    c.type = "saml";
    c.name = "saml one";
    return r.connections().create(c);
  });
  ASSERT_TRUE(saml) << saml.error().text();
  std::sort(ids.begin(), ids.end());
  auto page = [&](const std::string& type, const std::string& after, int64_t limit) {
    return *store_->read<std::vector<Connection>>([&](Repositories& r) {
      return r.connections().list_of_type(type, "", after, static_cast<int>(limit));
    });
  };
  auto first = page("test", "", 2);
  ASSERT_EQ(first.size(), 2u);
  EXPECT_EQ(first[0].id, ids[0]);
  EXPECT_EQ(first[1].id, ids[1]);
  auto rest = page("test", first[1].id, 2);
  ASSERT_EQ(rest.size(), 1u);
  EXPECT_EQ(rest[0].id, ids[2]);
  EXPECT_EQ(rest[0].type, "test");
  EXPECT_TRUE(page("test", ids[2], 2).empty());
  auto only_saml = page("saml", "", 10);
  ASSERT_EQ(only_saml.size(), 1u);
  EXPECT_EQ(only_saml[0].id, saml->id);
  EXPECT_EQ(only_saml[0].organization_id, acme_.id);
  EXPECT_TRUE(page("oidc", "", 10).empty());
}

TEST_P(ConnectionConformance, UpdateWithVersionsAndRemove) {
  auto c = create(acme_, "Acme test");
  ASSERT_TRUE(c);
  ASSERT_TRUE(create(acme_, "Other"));
  clock_.advance(std::chrono::milliseconds(10));
  Connection next = *c;
  next.status = "active";
  next.domains = {"acme.test", "acme.example"};
  auto updated = store_->transact<Connection>(
      [&](Repositories& r) { return r.connections().update(next, 1); });
  ASSERT_TRUE(updated) << updated.error().text();
  EXPECT_EQ(updated->version, 2);
  EXPECT_EQ(updated->status, "active");
  EXPECT_EQ(updated->domains.size(), 2u);
  EXPECT_EQ(updated->updated_at_ms, clock_.now_ms());

  auto stale = store_->transact<Connection>(
      [&](Repositories& r) { return r.connections().update(next, 1); });
  ASSERT_FALSE(stale);
  EXPECT_EQ(stale.error().code, errc::RequestPreconditionFailed);

  next.name = "Other";
  auto renamed = store_->transact<Connection>(
      [&](Repositories& r) { return r.connections().update(next, 2); });
  ASSERT_FALSE(renamed);
  EXPECT_EQ(renamed.error().code, errc::ConnectionNameTaken);

  // Another organization cannot update or delete it, even naming its id.
  Connection foreign = *updated;
  foreign.organization_id = globex_.id;
  auto cross = store_->transact<Connection>(
      [&](Repositories& r) { return r.connections().update(foreign, 2); });
  ASSERT_FALSE(cross);
  EXPECT_EQ(cross.error().code, errc::ConnectionNotFound);
  auto cross_rm = store_->transact<Connection>(
      [&](Repositories& r) { return r.connections().remove(env_a_.id, globex_.id, c->id); });
  ASSERT_FALSE(cross_rm);
  EXPECT_EQ(cross_rm.error().code, errc::ConnectionNotFound);
  ASSERT_TRUE(get(acme_, c->id));

  ASSERT_TRUE(start(acme_, "tx-1", c->id, 60'000));
  auto removed = store_->transact<Connection>(
      [&](Repositories& r) { return r.connections().remove(env_a_.id, acme_.id, c->id); });
  ASSERT_TRUE(removed);
  EXPECT_FALSE(get(acme_, c->id));
  // Its open transactions went with it.
  auto gone = finish(acme_, "tx-1");
  ASSERT_FALSE(gone);
  EXPECT_EQ(gone.error().code, errc::LoginTransactionNotFound);
}

// The maintenance sweep (issue 9, migration v17): connections of one type and status across
// every tenant, by id, in pages.
TEST_P(ConnectionConformance, ListOfTypeSweepsEveryTenantByIdInPages) {
  std::vector<std::string> oidc_active;
  for (const auto* org : {&acme_, &globex_, &acme_b_}) {
    for (int i = 0; i < 2; ++i) {
      auto c = create(*org, "oidc " + std::to_string(i), "oidc", i == 0 ? "active" : "disabled");
      ASSERT_TRUE(c) << c.error().text();
      if (i == 0) oidc_active.push_back(c->id);
    }
  }
  ASSERT_TRUE(create(acme_, "a test one"));  // another type
  std::sort(oidc_active.begin(), oidc_active.end());
  auto page = [&](const std::string& after, int limit) {
    return *store_->read<std::vector<Connection>>([&](Repositories& r) {
      return r.connections().list_of_type("oidc", "active", after, limit);
    });
  };
  auto first = page("", 2);
  ASSERT_EQ(first.size(), 2u);
  EXPECT_EQ(first[0].id, oidc_active[0]);
  EXPECT_EQ(first[1].id, oidc_active[1]);
  EXPECT_EQ(first[0].type, "oidc");
  EXPECT_EQ(first[0].status, "active");
  auto rest = page(first[1].id, 2);
  ASSERT_EQ(rest.size(), 1u);
  EXPECT_EQ(rest[0].id, oidc_active[2]);
  EXPECT_TRUE(page(rest[0].id, 2).empty());
  EXPECT_EQ(page("", 10).size(), 3u);  // both environments, every organization
  auto disabled = store_->read<std::vector<Connection>>(
      [&](Repositories& r) { return r.connections().list_of_type("oidc", "disabled", "", 10); });
  ASSERT_TRUE(disabled);
  EXPECT_EQ(disabled->size(), 3u);
  auto none = store_->read<std::vector<Connection>>(
      [&](Repositories& r) { return r.connections().list_of_type("saml", "active", "", 10); });
  ASSERT_TRUE(none);
  EXPECT_TRUE(none->empty());
}

TEST_P(ConnectionConformance, TransactionsFinishOnceAndExpire) {
  auto t = start(acme_, "tx-1", "conn-1", 60'000);
  ASSERT_TRUE(t) << t.error().text();
  auto read = store_->read<LoginTransaction>([&](Repositories& r) {
    return r.connections().get_transaction(env_a_.id, acme_.id, "tx-1", clock_.now_ms());
  });
  ASSERT_TRUE(read);
  EXPECT_EQ(read->login_request_id, "req-1");
  EXPECT_EQ(read->state, "st");
  EXPECT_EQ(read->nonce, "nn");
  EXPECT_TRUE(read->test_mode);
  EXPECT_EQ(read->finished_at_ms, 0);

  // Other tenants cannot see or finish it.
  auto cross = finish(globex_, "tx-1");
  ASSERT_FALSE(cross);
  EXPECT_EQ(cross.error().code, errc::LoginTransactionNotFound);
  auto cross_env = store_->transact<LoginTransaction>([&](Repositories& r) {
    return r.connections().finish_transaction(env_b_.id, acme_.id, "tx-1", clock_.now_ms());
  });
  ASSERT_FALSE(cross_env);
  EXPECT_EQ(cross_env.error().code, errc::LoginTransactionNotFound);

  auto done = finish(acme_, "tx-1");
  ASSERT_TRUE(done) << done.error().text();
  EXPECT_EQ(done->finished_at_ms, clock_.now_ms());
  auto replay = finish(acme_, "tx-1");
  ASSERT_FALSE(replay);
  EXPECT_EQ(replay.error().code, errc::LoginTransactionUsed);

  ASSERT_TRUE(start(acme_, "tx-2", "conn-1", 1000));
  clock_.advance(std::chrono::milliseconds(1000));  // expires_at is exclusive
  auto expired = finish(acme_, "tx-2");
  ASSERT_FALSE(expired);
  EXPECT_EQ(expired.error().code, errc::LoginTransactionNotFound);
  auto purged = store_->transact<int64_t>(
      [&](Repositories& r) { return r.connections().purge_transactions(clock_.now_ms() + 1); });
  ASSERT_TRUE(purged);
  EXPECT_EQ(*purged, 1);  // tx-2 only: tx-1 is finished but not yet expired
}

TEST_P(ConnectionConformance, TracesUpsertIsolateAndExpire) {
  ASSERT_TRUE(put_trace(acme_, "req-1", "sealed-1", 10'000));
  clock_.advance(std::chrono::milliseconds(5));
  ASSERT_TRUE(put_trace(acme_, "req-1", "sealed-2", 10'000));
  auto t = trace(acme_, "req-1");
  ASSERT_TRUE(t) << t.error().text();
  EXPECT_EQ(t->body_sealed, "sealed-2");
  EXPECT_EQ(t->connection_id, "c1");
  EXPECT_EQ(t->updated_at_ms, clock_.now_ms());
  EXPECT_LT(t->created_at_ms, t->updated_at_ms);

  auto cross = trace(globex_, "req-1");
  ASSERT_FALSE(cross);
  EXPECT_EQ(cross.error().code, errc::LoginTraceNotFound);
  auto cross_env = trace(acme_b_, "req-1");
  ASSERT_FALSE(cross_env);
  auto wrong_env = store_->read<LoginTrace>([&](Repositories& r) {
    return r.login_traces().get(env_b_.id, acme_.id, "req-1", clock_.now_ms());
  });
  ASSERT_FALSE(wrong_env);
  EXPECT_EQ(wrong_env.error().code, errc::LoginTraceNotFound);

  // The same request id in another organization is another trace.
  ASSERT_TRUE(put_trace(globex_, "req-1", "globex", 20'000));
  EXPECT_EQ(trace(globex_, "req-1")->body_sealed, "globex");
  EXPECT_EQ(trace(acme_, "req-1")->body_sealed, "sealed-2");

  clock_.advance(std::chrono::milliseconds(10'000));
  EXPECT_FALSE(trace(acme_, "req-1"));  // past retention
  auto purged = store_->transact<int64_t>(
      [&](Repositories& r) { return r.login_traces().purge_expired(clock_.now_ms()); });
  ASSERT_TRUE(purged);
  EXPECT_EQ(*purged, 1);
  EXPECT_TRUE(trace(globex_, "req-1"));
}

INSTANTIATE_TEST_SUITE_P(Sqlite, ConnectionConformance, ::testing::Values(Backend::sqlite));
INSTANTIATE_TEST_SUITE_P(Postgres, ConnectionConformance, ::testing::Values(Backend::postgres));

}  // namespace
}  // namespace gh::store
