// Automatic rotation over simulated time: the planner drives a key set for 100 days; tokens
// signed before each rotation keep verifying until they expire, the JWKS always carries the
// signing key and announces the next one ahead of use, and a revocation takes effect at once.
#include <gtest/gtest.h>

#include <set>

#include "crypto/error_codes.h"
#include "crypto/jose/jwt.h"
#include "crypto/jose/key_rotation.h"

namespace gh::jose {
namespace {

using namespace std::chrono_literals;

struct Managed {
  KeySet keys;
  std::vector<KeyTimeline> timeline;

  void apply(const std::vector<RotationStep>& steps, int64_t now_ms) {
    for (const auto& s : steps) {
      switch (s.action) {
        case RotationAction::CreateActive:
        case RotationAction::CreateNext: {
          const KeyState state =
              s.action == RotationAction::CreateActive ? KeyState::Active : KeyState::Next;
          auto e = KeySet::generate(s.alg == Alg::RS256 ? KeySpec::Rsa2048 : KeySpec::EcP256, s.alg,
                                    state);
          ASSERT_TRUE(e);
          timeline.push_back({e->kid, s.alg, state, now_ms});
          ASSERT_TRUE(keys.add(std::move(*e)));
          break;
        }
        case RotationAction::Activate:
          set(s.kid, KeyState::Active, now_ms);
          break;
        case RotationAction::Retire:
          set(s.kid, KeyState::Retired, now_ms);
          break;
        case RotationAction::Remove:
          keys = *keys.without(s.kid);
          std::erase_if(timeline, [&](const KeyTimeline& t) { return t.kid == s.kid; });
          break;
      }
    }
  }
  void set(const std::string& kid, KeyState state, int64_t now_ms) {
    keys = *keys.with_state(kid, state);
    for (auto& t : timeline) {
      if (t.kid == kid) {
        t.state = state;
        t.state_since_ms = now_ms;
      }
    }
  }
};

TEST(KeyRotation, PolicyValidation) {
  RotationPolicy p;
  EXPECT_TRUE(p.validate());
  EXPECT_LE(p.jwks_max_age(), p.next_publish_ahead / 2);
  p.retired_publish_for = p.max_token_lifetime;  // no room for the skew
  EXPECT_FALSE(p.validate());
  p = {};
  p.next_publish_ahead = p.rotation_period;
  EXPECT_FALSE(p.validate());
}

TEST(KeyRotation, HundredDaysOfAutomaticRotation) {
  FakeClock clock;
  RotationPolicy policy;
  policy.rotation_period = 24h * 30;
  policy.next_publish_ahead = 24h * 2;
  policy.max_token_lifetime = 12h;
  policy.retired_publish_for = 24h;
  ASSERT_TRUE(policy.validate());
  const std::vector<Alg> algs = {Alg::ES256};  // RS256 is added by the planner
  JwtProfile profile;
  profile.skew = policy.skew;

  Managed m;
  struct Issued {
    std::string token;
    int64_t exp_ms;
  };
  std::vector<Issued> issued;
  std::set<std::string> kids_seen_next;
  int rotations = 0;
  for (int hour = 0; hour < 24 * 100; hour += 6) {
    const int64_t now = clock.now_ms();
    auto steps = plan_rotation(m.timeline, algs, policy, now);
    for (const auto& s : steps) rotations += s.action == RotationAction::Activate ? 1 : 0;
    m.apply(steps, now);

    // Exactly one signing key per algorithm, always published; every activated key was
    // published as next for at least next_publish_ahead (except the very first).
    const auto jwks = m.keys.public_jwks();
    for (Alg alg : {Alg::RS256, Alg::ES256}) {
      const KeyEntry* active = m.keys.active_signing_key(alg);
      ASSERT_NE(active, nullptr) << "hour " << hour;
      bool published = false;
      for (const auto& k : jwks["keys"]) published |= k["kid"] == active->kid;
      EXPECT_TRUE(published);
      if (hour == 0) {
        kids_seen_next.insert(active->kid);  // the first keys sign at once
      } else {
        EXPECT_TRUE(kids_seen_next.count(active->kid)) << "activated unannounced";
      }
      for (const auto& e : m.keys.entries()) {
        if (e.state == KeyState::Next) kids_seen_next.insert(e.kid);
      }
      const int64_t exp_s = now / 1000 + 12 * 3600;
      auto token = jwt_sign(*active, {{"sub", "u"}, {"iat", now / 1000}, {"exp", exp_s}});
      ASSERT_TRUE(token);
      issued.push_back({*token, exp_s * 1000});
    }
    // Every token verifies until its exp (+ skew), then fails as expired, never otherwise.
    for (const auto& t : issued) {
      auto r = jwt_verify(t.token, m.keys, clock, profile);
      if (now < t.exp_ms + 60'000) {
        ASSERT_TRUE(r) << "hour " << hour << ": " << r.error().code_name();
      } else if (!r) {
        EXPECT_TRUE(r.error().code == errc::JoseExpired || r.error().code == errc::JoseKeyNotFound)
            << r.error().code_name();
      }
    }
    std::erase_if(issued, [&](const Issued& t) { return now > t.exp_ms + 24 * 3600'000LL; });
    clock.advance(6h);
  }
  EXPECT_GE(rotations, 2 * 3);   // two algorithms, three rotations each in 100 days
  EXPECT_LE(m.keys.size(), 6u);  // retired keys leave the set after their window
}

TEST(KeyRotation, EmergencyRevocationActivatesTheNextKeyAtOnce) {
  FakeClock clock;
  RotationPolicy policy;
  Managed m;
  m.apply(plan_rotation(m.timeline, {}, policy, clock.now_ms()), clock.now_ms());
  ASSERT_EQ(m.keys.size(), 1u);  // an RS256 key, even when no algorithm was asked for
  const std::string old_kid = m.keys.active_signing_key(Alg::RS256)->kid;
  auto token = *jwt_sign(*m.keys.active_signing_key(Alg::RS256),
                         {{"sub", "u"}, {"exp", clock.now_ms() / 1000 + 300}});
  clock.advance(24h * 89);
  m.apply(plan_rotation(m.timeline, {}, policy, clock.now_ms()), clock.now_ms());
  ASSERT_EQ(m.keys.size(), 2u);  // a next key is announced a day ahead

  m.set(old_kid, KeyState::Revoked, clock.now_ms());  // operator: gatehouse keys revoke
  JwtProfile profile;
  profile.require_exp = false;
  EXPECT_EQ(jwt_verify(token, m.keys, clock, profile).error().code, errc::JoseKeyRevoked);
  auto steps = plan_rotation(m.timeline, {}, policy, clock.now_ms());
  ASSERT_FALSE(steps.empty());
  EXPECT_EQ(steps[0].action, RotationAction::Activate);
  m.apply(steps, clock.now_ms());
  ASSERT_NE(m.keys.active_signing_key(Alg::RS256), nullptr);
  EXPECT_NE(m.keys.active_signing_key(Alg::RS256)->kid, old_kid);
  const auto jwks = m.keys.public_jwks();
  for (const auto& k : jwks["keys"]) EXPECT_NE(k["kid"], old_kid);
}

}  // namespace
}  // namespace gh::jose
