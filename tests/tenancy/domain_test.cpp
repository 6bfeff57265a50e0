// Verified domains without a network: name normalization, what a DNS answer means, and the
// service's state machine (pending → verified ⇄ failed) with its audit records and outbox
// events, on a SQLite store with a scripted resolver.
#include "tenancy/domains.h"

#include <gtest/gtest.h>

#include <map>

#include "tenancy/error_codes.h"
#include "test_store.h"

namespace gh::tenancy {
namespace {

TEST(NormalizeDomain, LowercasesAndDropsTheTrailingDot) {
  EXPECT_EQ(*normalize_domain("Example.COM"), "example.com");
  EXPECT_EQ(*normalize_domain("example.com."), "example.com");
  EXPECT_EQ(*normalize_domain("xn--bcher-kva.example"), "xn--bcher-kva.example");
  EXPECT_EQ(*normalize_domain("a-b.c0.example"), "a-b.c0.example");
  const std::string label63(63, 'a');
  EXPECT_TRUE(normalize_domain(label63 + ".example"));
}

TEST(NormalizeDomain, RefusesWhatIsNotADomainAndSaysWhy) {
  const std::map<std::string, std::string> bad = {
      {"", "empty"},
      {"localhost", "two labels"},
      {"exa mple.com", "not allowed"},
      {"-a.example", "'-'"},
      {"a-.example", "'-'"},
      {"a..example", "empty label"},
      {".example.com", "empty label"},
      {"example.com..", "empty label"},
      {"10.0.0.1", "IP address"},
      {"*.example.com", "wildcards"},
      {"bücher.example", "punycode"},
      {"under_score.example", "not allowed"},
      {std::string(64, 'a') + ".example", "longer than 63"},
  };
  for (const auto& [input, why] : bad) {
    auto r = normalize_domain(input);
    ASSERT_FALSE(r) << input;
    EXPECT_EQ(r.error().code, errc::DomainInvalid) << input;
    EXPECT_NE(r.error().message.find(why), std::string::npos) << input << ": " << r.error().message;
  }
  std::string long_name;
  while (long_name.size() < 260) long_name += std::string(50, 'a') + ".";
  long_name += "com";
  auto r = normalize_domain(long_name);
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message.find("at most 253"), std::string::npos);
}

store::Domain sample() {
  store::Domain d;
  d.name = "acme.example";
  d.token = "T0K";
  return d;
}

TEST(EvaluateTxt, VerifiedOnlyByTheExactRecord) {
  const auto d = sample();
  EXPECT_EQ(verification_name(d), "_gatehouse-verification.acme.example");
  EXPECT_EQ(verification_value(d), "gatehouse-verification=T0K");
  TxtAnswer ok{TxtAnswer::Status::found, {"v=spf1 -all", "gatehouse-verification=T0K"}, ""};
  EXPECT_EQ(evaluate_txt(d, ok).kind, CheckOutcome::Kind::verified);

  TxtAnswer other{TxtAnswer::Status::found, {"gatehouse-verification=OLD"}, ""};
  auto o = evaluate_txt(d, other);
  EXPECT_EQ(o.kind, CheckOutcome::Kind::not_verified);
  EXPECT_NE(o.message.find("gatehouse-verification=OLD"), std::string::npos);      // what was found
  EXPECT_NE(o.message.find("\"gatehouse-verification=T0K\""), std::string::npos);  // expected
  EXPECT_EQ(o.found, nlohmann::json::array({"gatehouse-verification=OLD"}));

  auto missing = evaluate_txt(d, {TxtAnswer::Status::no_name, {}, ""});
  EXPECT_EQ(missing.kind, CheckOutcome::Kind::not_verified);
  EXPECT_NE(missing.message.find("does not exist"), std::string::npos);
  EXPECT_EQ(evaluate_txt(d, {TxtAnswer::Status::no_data, {}, ""}).kind,
            CheckOutcome::Kind::not_verified);
  auto down = evaluate_txt(d, {TxtAnswer::Status::failure, {}, "timeout"});
  EXPECT_EQ(down.kind, CheckOutcome::Kind::unavailable);
  EXPECT_NE(down.message.find("timeout"), std::string::npos);
}

TEST(StubTxtResolver, NameserverMustBeAnIpv4AddressWithAnOptionalPort) {
  EXPECT_TRUE(StubTxtResolver::create("", 1000));
  EXPECT_TRUE(StubTxtResolver::create("127.0.0.1:5353", 1000));
  EXPECT_TRUE(StubTxtResolver::create("192.0.2.1", 1000));
  for (const char* bad : {"dns.example:53", "127.0.0.1:0", "127.0.0.1:x", "127.0.0.1:70000"}) {
    auto r = StubTxtResolver::create(bad, 1000);
    ASSERT_FALSE(r) << bad;
    EXPECT_EQ(r.error().code, errc::ConfigInvalid);
  }
}

// Answers by name, as the test sets them.
class ScriptedResolver final : public TxtResolver {
 public:
  TxtAnswer lookup_txt(const std::string& name) override {
    ++lookups;
    auto it = answers.find(name);
    return it == answers.end() ? TxtAnswer{TxtAnswer::Status::no_name, {}, ""} : it->second;
  }
  std::map<std::string, TxtAnswer> answers;
  int lookups = 0;
};

class DomainServiceTest : public ::testing::Test {
 protected:
  DomainServiceTest()
      : store_(store::Backend::sqlite, &clock_),
        random_(7),
        service_(*store_, resolver_, 60'000, clock_, random_) {
    env_ = *store_->transact<store::Environment>(
        [](store::Repositories& r) { return r.environments().create({.name = "sandbox"}); });
    other_env_ = *store_->transact<store::Environment>(
        [](store::Repositories& r) { return r.environments().create({.name = "production"}); });
    acme_ = org(env_, "acme");
    globex_ = org(env_, "globex");
    acme_prod_ = org(other_env_, "acme");
  }
  store::Organization org(const store::Environment& env, const std::string& slug) {
    return *store_->transact<store::Organization>([&](store::Repositories& r) {
      return r.organizations().create({.environment_id = env.id, .slug = slug, .name = slug});
    });
  }
  void publish(const store::Domain& d) {
    resolver_.answers[verification_name(d)] = {
        TxtAnswer::Status::found, {verification_value(d)}, ""};
  }
  std::vector<std::string> event_types(const store::Environment& env) {
    EXPECT_TRUE(store_.wait_until_outbox_readable());
    auto events = store_->read<std::vector<store::OutboxEvent>>(
        [&](store::Repositories& r) { return r.outbox().read(env.id, "", {}, 100); });
    std::vector<std::string> types;
    for (const auto& e : *events) {
      if (e.type.rfind("domain.", 0) == 0) types.push_back(e.type);
    }
    return types;
  }
  FakeClock clock_;
  testing::TestStore store_;
  ScriptedResolver resolver_;
  SeededRandom random_;
  DomainService service_;
  store::Environment env_, other_env_;
  store::Organization acme_, globex_, acme_prod_;
  Actor actor_{"cli", "tester", "req-1", "local"};
};

TEST_F(DomainServiceTest, ClaimVerifyFailRecover) {
  auto added = service_.add(env_, acme_.id, "Acme.Example.", actor_);
  ASSERT_TRUE(added) << added.error().text();
  EXPECT_EQ(added->name, "acme.example");
  EXPECT_EQ(added->state, "pending");
  EXPECT_GE(added->token.size(), 32u);
  EXPECT_EQ(added->next_check_at_ms, clock_.now_ms() + 60'000);

  // Not yet published: the check fails with what to publish, and the domain stays pending.
  auto early = service_.verify(env_, acme_.id, "acme.example", actor_);
  ASSERT_FALSE(early);
  EXPECT_EQ(early.error().code, errc::DomainVerificationFailed);
  EXPECT_EQ(early.error().extra["expected"]["value"], verification_value(*added));
  EXPECT_EQ(early.error().extra["state"], "pending");
  auto pending = service_.get(env_, acme_.id, "ACME.example");
  ASSERT_TRUE(pending);
  EXPECT_EQ(pending->state, "pending");
  EXPECT_NE(pending->last_error.find("does not exist"), std::string::npos);

  publish(*added);
  auto verified = service_.verify(env_, acme_.id, "acme.example", actor_);
  ASSERT_TRUE(verified) << verified.error().text();
  EXPECT_EQ(verified->state, "verified");
  EXPECT_TRUE(verified->last_error.empty());

  // A resolver outage changes nothing.
  resolver_.answers[verification_name(*added)] = {TxtAnswer::Status::failure, {}, "timeout"};
  auto outage = service_.verify(env_, acme_.id, "acme.example", actor_);
  ASSERT_FALSE(outage);
  EXPECT_EQ(outage.error().code, errc::DomainDnsUnavailable);
  EXPECT_EQ(service_.get(env_, acme_.id, "acme.example")->state, "verified");

  // The record disappears: the scheduled check (only once due) fails it and raises the event.
  resolver_.answers.clear();
  EXPECT_EQ(*service_.reverify_due(), 0);
  clock_.advance(std::chrono::milliseconds(60'001));
  EXPECT_EQ(*service_.reverify_due(), 1);
  auto failed = service_.get(env_, acme_.id, "acme.example");
  EXPECT_EQ(failed->state, "failed");
  EXPECT_EQ(*service_.reverify_due(), 0);  // rescheduled an interval later

  // Published again: the next scheduled check restores it.
  publish(*added);
  clock_.advance(std::chrono::milliseconds(60'001));
  EXPECT_EQ(*service_.reverify_due(), 1);
  EXPECT_EQ(service_.get(env_, acme_.id, "acme.example")->state, "verified");

  EXPECT_EQ(event_types(env_),
            (std::vector<std::string>{"domain.added", "domain.verified",
                                      "domain.verification_failed", "domain.verified"}));
  auto audit = store_->read<std::vector<store::AuditRecord>>(
      [&](store::Repositories& r) { return r.audit().list(env_.id, acme_.id, 0, 100); });
  ASSERT_TRUE(audit);
  ASSERT_FALSE(audit->empty());
  EXPECT_EQ(audit->front().action, "domain.added");
  EXPECT_EQ(audit->front().actor_id, "tester");
  EXPECT_EQ(audit->front().target_id, "acme.example");
}

TEST_F(DomainServiceTest, SecondClaimInTheEnvironmentIsRefusedOtherEnvironmentsAreNot) {
  auto d = service_.add(env_, acme_.id, "shared.example", actor_);
  ASSERT_TRUE(d);
  publish(*d);
  ASSERT_TRUE(service_.verify(env_, acme_.id, "shared.example", actor_));

  // Home-realm discovery finds the holder by email or by domain, in its environment only.
  auto found = service_.discover(env_, "Jane.Doe@Shared.Example");
  ASSERT_TRUE(found && found->has_value());
  EXPECT_EQ((*found)->organization_id, acme_.id);
  EXPECT_TRUE(service_.discover(env_, "shared.example")->has_value());
  EXPECT_FALSE(service_.discover(other_env_, "jane@shared.example")->has_value());
  EXPECT_FALSE(service_.discover(env_, "jane@other.example")->has_value());
  EXPECT_FALSE(service_.discover(env_, "not an email")->has_value());

  auto second = service_.add(env_, globex_.id, "shared.example", actor_);
  ASSERT_FALSE(second);
  EXPECT_EQ(second.error().code, errc::DomainAlreadyClaimed);
  auto prod = service_.add(other_env_, acme_prod_.id, "shared.example", actor_);
  ASSERT_TRUE(prod) << prod.error().text();

  // Unknown organizations, and other organizations' domains, are not found.
  auto nobody = service_.add(env_, "0190f0f0-0000-7000-8000-000000000000", "x.example", actor_);
  ASSERT_FALSE(nobody);
  EXPECT_EQ(nobody.error().code, errc::TenantNotFound);
  auto foreign = service_.get(env_, globex_.id, "shared.example");
  ASSERT_FALSE(foreign);
  EXPECT_EQ(foreign.error().code, errc::DomainNotFound);
  auto foreign_list = service_.list(other_env_, acme_.id);
  ASSERT_FALSE(foreign_list);
  EXPECT_EQ(foreign_list.error().code, errc::TenantNotFound);

  // Removing frees the name for the other organization.
  ASSERT_TRUE(service_.remove(env_, acme_.id, "shared.example", actor_));
  EXPECT_FALSE(service_.discover(env_, "jane@shared.example")->has_value());
  auto after = service_.add(env_, globex_.id, "shared.example", actor_);
  ASSERT_TRUE(after) << after.error().text();
  EXPECT_EQ(event_types(env_), (std::vector<std::string>{"domain.added", "domain.verified",
                                                         "domain.removed", "domain.added"}));
}

}  // namespace
}  // namespace gh::tenancy
