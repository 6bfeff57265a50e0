// federation/signed_state.h, the state OIDC connections and the test IdP send upstream: the
// round trip with a type's own members, the signature (another server key, another type's
// label, an altered body or MAC), the expiry at its edge, the connection binding
// (transaction_ref) and the transaction binding (check_state_for) with its trace check.
#include "federation/signed_state.h"

#include <gtest/gtest.h>

#include "core/encoding.h"
#include "federation/error_codes.h"
#include "tenancy/secrets.h"

namespace gh::federation {
namespace {

constexpr std::string_view kLabel = "gatehouse.test.state.v1:";

class SignedStateTest : public ::testing::Test {
 protected:
  SignedState state() const {
    return {"org-1",
            "conn-1",
            "tx-1",
            "random-state",
            clock_.now_ms() + 1000,
            nlohmann::json{{"a", {"urn:acr:mfa"}}, {"m", 300}}};
  }
  store::LoginTransaction transaction() const {
    store::LoginTransaction t;
    t.id = "tx-1";
    t.organization_id = "org-1";
    t.connection_id = "conn-1";
    t.state = "random-state";
    return t;
  }
  FakeClock clock_;
  tenancy::SecretHasher key_{"pepper"};
  tenancy::SecretHasher other_key_{"another pepper"};
};

TEST_F(SignedStateTest, RoundTripKeepsTheTypesMembers) {
  const std::string token = sign_state(key_, kLabel, state());
  auto back = verify_state(key_, kLabel, token, clock_.now_ms());
  ASSERT_TRUE(back) << back.error().text();
  EXPECT_EQ(back->organization_id, "org-1");
  EXPECT_EQ(back->connection_id, "conn-1");
  EXPECT_EQ(back->transaction_id, "tx-1");
  EXPECT_EQ(back->transaction_state, "random-state");
  EXPECT_EQ(back->expires_at_ms, clock_.now_ms() + 1000);
  EXPECT_EQ(back->extra, (nlohmann::json{{"a", {"urn:acr:mfa"}}, {"m", 300}}));
}

TEST_F(SignedStateTest, AnExtraMemberCannotStandInForACommonOne) {
  SignedState s = state();
  s.extra["o"] = "org-2";  // a type's member named like the organization
  auto back = verify_state(key_, kLabel, sign_state(key_, kLabel, s), clock_.now_ms());
  ASSERT_TRUE(back);
  EXPECT_EQ(back->organization_id, "org-1");
  EXPECT_FALSE(back->extra.contains("o"));
}

TEST_F(SignedStateTest, OnlyThisServerKeyAndLabelVerify) {
  const std::string token = sign_state(key_, kLabel, state());
  const int64_t now = clock_.now_ms();
  EXPECT_EQ(verify_state(other_key_, kLabel, token, now).error().code, errc::LoginStateInvalid);
  // Another connection type's state is not this type's (domain separation by label).
  EXPECT_EQ(verify_state(key_, "gatehouse.other.state.v1:", token, now).error().code,
            errc::LoginStateInvalid);
  // An altered body: another organization, re-encoded with the old MAC.
  const size_t dot = token.find('.');
  auto payload = nlohmann::json::parse(*base64url_decode(token.substr(0, dot)));
  payload["o"] = "org-2";
  const std::string forged = base64url_encode(payload.dump()) + token.substr(dot);
  EXPECT_EQ(verify_state(key_, kLabel, forged, now).error().code, errc::LoginStateInvalid);
  std::string bad_mac = token;
  bad_mac.back() = bad_mac.back() == '0' ? '1' : '0';
  EXPECT_EQ(verify_state(key_, kLabel, bad_mac, now).error().code, errc::LoginStateInvalid);
  for (std::string_view malformed :
       {std::string_view(""), std::string_view("no-dot"), std::string_view(".")}) {
    EXPECT_EQ(verify_state(key_, kLabel, malformed, now).error().code, errc::LoginStateInvalid);
  }
  EXPECT_EQ(verify_state(key_, kLabel, std::string(kMaxSignedStateBytes + 1, 'a') + ".b", now)
                .error()
                .code,
            errc::LoginStateInvalid);
}

TEST_F(SignedStateTest, SignedButIncompletePayloadsAreRefused) {
  // A MAC over a payload that lacks members or has the wrong types (never made by sign_state).
  for (const nlohmann::json& p :
       {nlohmann::json{{"o", "org-1"}, {"c", "conn-1"}, {"t", "tx-1"}, {"s", "x"}},
        nlohmann::json{{"o", 1}, {"c", "conn-1"}, {"t", "tx-1"}, {"s", "x"}, {"e", 1}},
        nlohmann::json{{"o", "org-1"}, {"c", "conn-1"}, {"t", "tx-1"}, {"s", "x"}, {"e", "1"}},
        nlohmann::json::array()}) {
    const std::string body = base64url_encode(p.dump());
    const std::string token = body + "." + key_.hash(std::string(kLabel) + body);
    auto r = verify_state(key_, kLabel, token, clock_.now_ms());
    ASSERT_FALSE(r) << p.dump();
    EXPECT_EQ(r.error().code, errc::LoginStateInvalid);
  }
}

TEST_F(SignedStateTest, ExpiresAtItsEdge) {
  const std::string token = sign_state(key_, kLabel, state());
  clock_.advance(std::chrono::milliseconds(999));
  EXPECT_TRUE(verify_state(key_, kLabel, token, clock_.now_ms()));
  clock_.advance(std::chrono::milliseconds(1));
  auto expired = verify_state(key_, kLabel, token, clock_.now_ms());
  ASSERT_FALSE(expired);
  EXPECT_EQ(expired.error().code, errc::LoginStateInvalid);
  EXPECT_EQ(expired.error().detail, "the state has expired");
}

TEST_F(SignedStateTest, TransactionRefIsBoundToTheConnection) {
  const std::string token = sign_state(key_, kLabel, state());
  auto ref = state_transaction_ref(key_, kLabel, token, "conn-1", clock_.now_ms());
  ASSERT_TRUE(ref);
  EXPECT_EQ(ref->organization_id, "org-1");
  EXPECT_EQ(ref->transaction_id, "tx-1");
  // IdP mix-up: the answer for conn-1 arriving at conn-2's callback.
  auto mixed = state_transaction_ref(key_, kLabel, token, "conn-2", clock_.now_ms());
  ASSERT_FALSE(mixed);
  EXPECT_EQ(mixed.error().code, errc::LoginStateInvalid);
}

TEST_F(SignedStateTest, CheckForTheTransactionRecordsOnTheTrace) {
  const std::string token = sign_state(key_, kLabel, state());
  {
    Trace trace(clock_);
    trace.step("callback");
    auto ok = check_state_for(key_, kLabel, token, "conn-1", transaction(), clock_.now_ms(), trace);
    ASSERT_TRUE(ok);
    EXPECT_EQ(ok->extra["m"], 300);
    EXPECT_FALSE(trace.any_failed());
    EXPECT_EQ(trace.checks()[0]["code"], "login.state_invalid");
    EXPECT_EQ(trace.checks()[0]["passed"], true);
  }
  // Each field of the transaction binding: another transaction, organization, random state,
  // connection.
  auto other_tx = transaction();
  other_tx.id = "tx-2";
  auto other_org = transaction();
  other_org.organization_id = "org-2";
  auto other_state = transaction();
  other_state.state = "another-state";
  for (const auto& [t, connection] :
       {std::pair{other_tx, std::string("conn-1")}, std::pair{other_org, std::string("conn-1")},
        std::pair{other_state, std::string("conn-1")},
        std::pair{transaction(), std::string("c2")}}) {
    Trace trace(clock_);
    trace.step("callback");
    auto r = check_state_for(key_, kLabel, token, connection, t, clock_.now_ms(), trace);
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().code, errc::LoginStateInvalid);
    EXPECT_TRUE(trace.any_failed());
  }
}

}  // namespace
}  // namespace gh::federation
