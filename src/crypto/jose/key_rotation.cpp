#include "crypto/jose/key_rotation.h"

#include <algorithm>

namespace gh::jose {

namespace {
int64_t ms(std::chrono::seconds s) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(s).count();
}

// The newest key of `alg` in `state`, or nullptr.
const KeyTimeline* newest(const std::vector<KeyTimeline>& keys, Alg alg, KeyState state) {
  const KeyTimeline* found = nullptr;
  for (const auto& k : keys) {
    if (k.alg == alg && k.state == state &&
        (found == nullptr || k.state_since_ms > found->state_since_ms)) {
      found = &k;
    }
  }
  return found;
}
}  // namespace

Result<void> RotationPolicy::validate() const {
  if (rotation_period <= next_publish_ahead) {
    return fail(errc::ConfigInvalid, "next_publish_ahead must be shorter than rotation_period");
  }
  if (retired_publish_for < max_token_lifetime + skew) {
    return fail(errc::ConfigInvalid,
                "retired_publish_for must cover the longest token lifetime plus the clock skew");
  }
  return {};
}

std::chrono::seconds RotationPolicy::jwks_max_age() const {
  // Half the lead time, capped at an hour: a relying party refreshes at least twice before
  // a next key signs, and never caches for long.
  return std::min(next_publish_ahead / 2, std::chrono::seconds(3600));
}

std::vector<RotationStep> plan_rotation(const std::vector<KeyTimeline>& keys,
                                        std::vector<Alg> algorithms, const RotationPolicy& policy,
                                        int64_t now_ms) {
  if (std::find(algorithms.begin(), algorithms.end(), Alg::RS256) == algorithms.end()) {
    algorithms.insert(algorithms.begin(), Alg::RS256);
  }
  std::vector<RotationStep> steps;
  for (Alg alg : algorithms) {
    if (!is_signing_alg(alg)) continue;
    const KeyTimeline* active = newest(keys, alg, KeyState::Active);
    const KeyTimeline* next = newest(keys, alg, KeyState::Next);
    if (active == nullptr) {
      // First key, or the active one was revoked: sign with the next key at once if there is
      // one (relying parties refetch the JWKS on an unknown kid), else create one.
      if (next != nullptr) {
        steps.push_back({RotationAction::Activate, alg, next->kid});
      } else {
        steps.push_back({RotationAction::CreateActive, alg, {}});
      }
      continue;
    }
    // Extra active keys of one algorithm (after a manual rotate): only the newest signs.
    for (const auto& k : keys) {
      if (k.alg == alg && k.state == KeyState::Active && &k != active) {
        steps.push_back({RotationAction::Retire, alg, k.kid});
      }
    }
    const int64_t age = now_ms - active->state_since_ms;
    if (next == nullptr) {
      if (age >= ms(policy.rotation_period - policy.next_publish_ahead)) {
        steps.push_back({RotationAction::CreateNext, alg, {}});
      }
      continue;
    }
    const bool published_long_enough =
        now_ms - next->state_since_ms >= ms(policy.next_publish_ahead);
    if (age >= ms(policy.rotation_period) && published_long_enough) {
      steps.push_back({RotationAction::Activate, alg, next->kid});
      steps.push_back({RotationAction::Retire, alg, active->kid});
    }
  }
  for (const auto& k : keys) {
    const bool expired_window = now_ms - k.state_since_ms >= ms(policy.retired_publish_for);
    if ((k.state == KeyState::Retired || k.state == KeyState::Revoked) && expired_window) {
      steps.push_back({RotationAction::Remove, k.alg, k.kid});
    }
  }
  return steps;
}

std::string_view rotation_action_name(RotationAction action) {
  switch (action) {
    case RotationAction::CreateActive:
      return "create_active";
    case RotationAction::CreateNext:
      return "create_next";
    case RotationAction::Activate:
      return "activate";
    case RotationAction::Retire:
      return "retire";
    case RotationAction::Remove:
      return "remove";
  }
  return {};
}

}  // namespace gh::jose
