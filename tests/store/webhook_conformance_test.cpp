// Conformance of the webhook repository on both backends: endpoints with isolation between
// environments and organizations, optimistic updates, deliveries leased to one claimer at a
// time (two nodes claiming at once never share a row), lost leases, redelivery.
#include <gtest/gtest.h>

#include <mutex>
#include <set>
#include <thread>

#include "events/error_codes.h"
#include "test_store.h"

namespace gh::store {
namespace {

class WebhookConformance : public ::testing::TestWithParam<Backend> {
 protected:
  WebhookConformance() : store_(GetParam(), &clock_) {
    env_a_ = make_env("env-a");
    env_b_ = make_env("env-b");
  }
  Environment make_env(const std::string& name) {
    return *store_->transact<Environment>(
        [&](Repositories& r) { return r.environments().create({.name = name}); });
  }
  template <class T>
  Result<T> tx(const std::function<Result<T>(Repositories&)>& fn) {
    return store_->transact<T>(fn);
  }
  WebhookEndpoint endpoint(const Environment& env, const std::string& org) {
    WebhookEndpoint e;
    e.environment_id = env.id;
    e.organization_id = org;
    e.url = "https://example.com/hook";
    e.event_types = {"organization.created"};
    e.secrets = {{"s1", "whsec_one", clock_.now_ms(), 0}};
    return *tx<WebhookEndpoint>([&](Repositories& r) { return r.webhooks().create_endpoint(e); });
  }
  void add_deliveries(const WebhookEndpoint& e, int n) {
    ASSERT_TRUE(tx<bool>([&](Repositories& r) -> Result<bool> {
      for (int i = 0; i < n; ++i) {
        WebhookDelivery d;
        d.endpoint_id = e.id;
        d.environment_id = e.environment_id;
        d.organization_id = e.organization_id;
        d.event_id = "ev-" + std::to_string(i);
        d.event_type = "organization.created";
        d.body = "{}";
        d.next_attempt_at_ms = clock_.now_ms();
        if (auto ok = r.webhooks().add_delivery(d); !ok) return ok;
      }
      return true;
    }));
  }
  FakeClock clock_;
  testing::TestStore store_;
  Environment env_a_, env_b_;
};

TEST_P(WebhookConformance, EndpointsCrudAndIsolation) {
  auto env_wide = endpoint(env_a_, "");
  auto org_one = endpoint(env_a_, "org-1");
  EXPECT_EQ(env_wide.version, 1);
  auto got = tx<WebhookEndpoint>(
      [&](Repositories& r) { return r.webhooks().get_endpoint(env_a_.id, "", org_one.id); });
  ASSERT_TRUE(got);
  EXPECT_EQ(got->secrets.size(), 1u);
  EXPECT_EQ(got->secrets[0].secret, "whsec_one");
  EXPECT_EQ(got->event_types, std::vector<std::string>{"organization.created"});
  // Another environment, another organization: not found.
  struct Probe {
    std::string env, org, id;
  };
  for (const Probe& p : {Probe{env_b_.id, "", org_one.id}, Probe{env_a_.id, "org-2", org_one.id},
                         Probe{env_a_.id, "org-1", env_wide.id}}) {
    auto r = tx<WebhookEndpoint>(
        [&](Repositories& repos) { return repos.webhooks().get_endpoint(p.env, p.org, p.id); });
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().code, errc::WebhookNotFound);
  }
  auto all = tx<std::vector<WebhookEndpoint>>(
      [&](Repositories& r) { return r.webhooks().list_endpoints(env_a_.id, ""); });
  EXPECT_EQ(all->size(), 2u);
  auto mine = tx<std::vector<WebhookEndpoint>>(
      [&](Repositories& r) { return r.webhooks().list_endpoints(env_a_.id, "org-1"); });
  ASSERT_EQ(mine->size(), 1u);
  EXPECT_EQ(mine->front().id, org_one.id);

  WebhookEndpoint changed = *got;
  changed.enabled = false;
  auto updated = tx<WebhookEndpoint>(
      [&](Repositories& r) { return r.webhooks().update_endpoint(changed, 1); });
  ASSERT_TRUE(updated) << updated.error().text();
  EXPECT_EQ(updated->version, 2);
  auto stale = tx<WebhookEndpoint>(
      [&](Repositories& r) { return r.webhooks().update_endpoint(changed, 1); });
  ASSERT_FALSE(stale);
  EXPECT_EQ(stale.error().code, errc::RequestPreconditionFailed);

  add_deliveries(org_one, 2);
  auto wrong_org = tx<bool>([&](Repositories& r) {
    return r.webhooks().delete_endpoint(env_a_.id, "org-2", org_one.id);
  });
  EXPECT_FALSE(wrong_org);
  ASSERT_TRUE(tx<bool>(
      [&](Repositories& r) { return r.webhooks().delete_endpoint(env_a_.id, "", org_one.id); }));
  auto gone = tx<std::vector<WebhookDelivery>>(
      [&](Repositories& r) { return r.webhooks().claim_due(clock_.now_ms(), 1000, "n", 100); });
  EXPECT_TRUE(gone->empty()) << "deliveries of a deleted endpoint stay";
}

TEST_P(WebhookConformance, DeliveriesAreLeasedToOneClaimerAtATime) {
  auto e = endpoint(env_a_, "");
  add_deliveries(e, 60);
  auto other = store_.open_another();
  std::mutex mu;
  std::multiset<std::string> claimed;
  auto claimer = [&](Store& s, const std::string& owner) {
    for (int round = 0; round < 20; ++round) {
      auto got = s.transact<std::vector<WebhookDelivery>>([&](Repositories& r) {
        return r.webhooks().claim_due(clock_.now_ms(), 60'000, owner, 4);
      });
      ASSERT_TRUE(got) << got.error().text();
      std::lock_guard lock(mu);
      for (const auto& d : *got) {
        claimed.insert(d.id);
        EXPECT_EQ(d.attempts, 1);
        EXPECT_EQ(d.lease_owner, owner);
      }
    }
  };
  std::thread a(claimer, std::ref(*store_), "node-a");
  std::thread b(claimer, std::ref(*other), "node-b");
  a.join();
  b.join();
  EXPECT_EQ(claimed.size(), 60u);
  EXPECT_EQ(std::set<std::string>(claimed.begin(), claimed.end()).size(), 60u) << "sent twice";

  // While leased, nobody else gets them; after the lease runs out (a node died), they are due.
  auto none = tx<std::vector<WebhookDelivery>>(
      [&](Repositories& r) { return r.webhooks().claim_due(clock_.now_ms(), 1000, "c", 100); });
  EXPECT_TRUE(none->empty());
  clock_.advance(std::chrono::milliseconds(60'001));
  auto again = tx<std::vector<WebhookDelivery>>(
      [&](Repositories& r) { return r.webhooks().claim_due(clock_.now_ms(), 1000, "c", 100); });
  ASSERT_EQ(again->size(), 60u);
  EXPECT_EQ(again->front().attempts, 2);
  // The old owner's result no longer counts; the new owner's does.
  const auto& d = again->front();
  DeliveryAttempt ok{"succeeded", 0, 200, "", 3};
  auto lost = tx<bool>([&](Repositories& r) {
    return r.webhooks().record_attempt(d.id, "node-a", ok, clock_.now_ms());
  });
  ASSERT_TRUE(lost);
  EXPECT_FALSE(*lost);
  auto won = tx<bool>(
      [&](Repositories& r) { return r.webhooks().record_attempt(d.id, "c", ok, clock_.now_ms()); });
  ASSERT_TRUE(won);
  EXPECT_TRUE(*won);
  auto done = tx<WebhookDelivery>(
      [&](Repositories& r) { return r.webhooks().get_delivery(env_a_.id, "", d.id); });
  EXPECT_EQ(done->status, "succeeded");
  EXPECT_EQ(done->last_status, 200);
  EXPECT_EQ(done->last_response_ms, 3);

  // A retry is due only at its time.
  const auto& r2 = (*again)[1];
  DeliveryAttempt retry{"pending", clock_.now_ms() + 5000, 503, "HTTP 503", 1};
  ASSERT_TRUE(*tx<bool>([&](Repositories& r) {
    return r.webhooks().record_attempt(r2.id, "c", retry, clock_.now_ms());
  }));
  clock_.advance(std::chrono::milliseconds(1001));  // the other 58 leases ran out
  auto due = tx<std::vector<WebhookDelivery>>(
      [&](Repositories& r) { return r.webhooks().claim_due(clock_.now_ms(), 1000, "c", 100); });
  EXPECT_EQ(due->size(), 58u);
  clock_.advance(std::chrono::milliseconds(5000));
  due = tx<std::vector<WebhookDelivery>>(
      [&](Repositories& r) { return r.webhooks().claim_due(clock_.now_ms(), 1000, "c", 100); });
  EXPECT_EQ(due->size(), 59u);

  // Redelivery: a finished delivery is due again with a fresh budget; other scopes cannot.
  auto wrong = tx<WebhookDelivery>([&](Repositories& r) {
    return r.webhooks().redeliver(env_b_.id, "", d.id, clock_.now_ms());
  });
  ASSERT_FALSE(wrong);
  EXPECT_EQ(wrong.error().code, errc::WebhookDeliveryNotFound);
  auto re = tx<WebhookDelivery>([&](Repositories& r) {
    return r.webhooks().redeliver(env_a_.id, "", d.id, clock_.now_ms());
  });
  ASSERT_TRUE(re);
  EXPECT_EQ(re->status, "pending");
  EXPECT_EQ(re->attempts, 0);
  auto history = tx<std::vector<WebhookDelivery>>(
      [&](Repositories& r) { return r.webhooks().list_deliveries(env_a_.id, "", e.id, "", 10); });
  ASSERT_EQ(history->size(), 10u);
  auto older = tx<std::vector<WebhookDelivery>>([&](Repositories& r) {
    return r.webhooks().list_deliveries(env_a_.id, "", e.id, history->back().id, 100);
  });
  EXPECT_EQ(older->size(), 50u);
  EXPECT_GT(history->front().id, history->back().id);
}

INSTANTIATE_TEST_SUITE_P(Sqlite, WebhookConformance, ::testing::Values(Backend::sqlite));
INSTANTIATE_TEST_SUITE_P(Postgres, WebhookConformance, ::testing::Values(Backend::postgres));

}  // namespace
}  // namespace gh::store
