// Automatic rotation as a pure function: given an issuer's keys with the time each entered its
// state, the policy and the clock, which transitions are due. The caller (the key service over
// the store) applies them in one transaction, audits them and notifies other nodes; this file
// decides nothing about storage.
//
//   next --(published >= next_publish_ahead, active aged >= rotation_period)--> active
//   active --(replaced)--> retired --(retired_publish_for elapsed)--> removed from the set
//   any --(emergency revoke, by an operator)--> revoked (never published, verifies nothing)
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

#include "core/result.h"
#include "crypto/jose/key_set.h"

namespace gh::jose {

struct RotationPolicy {
  std::chrono::seconds rotation_period{std::chrono::hours(24 * 90)};
  // A next key is in the JWKS this long before it signs, so relying parties have fetched it.
  std::chrono::seconds next_publish_ahead{std::chrono::hours(24)};
  // A retired key stays in the JWKS (and verifies) this long: at least the longest token
  // lifetime plus the clock skew, so no valid token outlives its key.
  std::chrono::seconds retired_publish_for{std::chrono::hours(24)};
  std::chrono::seconds max_token_lifetime{std::chrono::hours(1)};
  std::chrono::seconds skew{60};

  // config.invalid unless next_publish_ahead < rotation_period and
  // retired_publish_for >= max_token_lifetime + skew.
  Result<void> validate() const;
  // Cache-Control max-age for the JWKS: a relying party's cached copy is never so old that
  // it misses a next key before that key signs.
  std::chrono::seconds jwks_max_age() const;
};

struct KeyTimeline {
  std::string kid;
  Alg alg;
  KeyState state;
  int64_t state_since_ms;  // when the key entered `state`
};

enum class RotationAction {
  CreateActive,  // no usable key for this algorithm: create one that signs at once
  CreateNext,    // create a next key (published, not signing yet)
  Activate,      // next -> active
  Retire,        // active -> retired
  Remove,        // retired past its window (or revoked past it): drop from the set
};

struct RotationStep {
  RotationAction action;
  Alg alg;
  std::string kid;  // empty for Create*
};

// Transitions due at `now_ms` for every algorithm in `algorithms` (RS256 is added if missing:
// every environment keeps one). Steps are ordered so they can be applied one after the other.
std::vector<RotationStep> plan_rotation(const std::vector<KeyTimeline>& keys,
                                        std::vector<Alg> algorithms, const RotationPolicy& policy,
                                        int64_t now_ms);

std::string_view rotation_action_name(RotationAction action);

}  // namespace gh::jose
