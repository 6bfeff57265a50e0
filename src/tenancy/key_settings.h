// An issuer's key settings (the environment's, or an organization's), stored as one JSON row in
// key_settings: which algorithms it signs with, RSA key size, the rotation policy, whether an
// organization has an issuer of its own, and an organization's customer-managed KEK.
#pragma once

#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "core/result.h"
#include "crypto/jose/algorithm.h"
#include "crypto/jose/key_rotation.h"

namespace gh::tenancy {

// A customer-managed key on a PKCS#11 token. The PIN is kept sealed under the environment's
// data key; `pin_sealed` is what the store holds.
struct CustomerKekSettings {
  std::string id;  // KEK id, e.g. "pkcs11:<org>:<fingerprint>"
  std::string module_path;
  std::string token_label;
  std::string key_label;
  std::string pin_sealed;  // base64 of the sealed PIN
};

struct KeySettings {
  std::vector<jose::Alg> algorithms{jose::Alg::RS256};  // RS256 is always among them
  jose::Alg default_alg = jose::Alg::RS256;
  int rsa_bits = 2048;  // 2048 | 3072
  jose::RotationPolicy rotation;
  bool own_issuer = false;                 // organizations only
  std::optional<CustomerKekSettings> kek;  // organizations only

  // The stored form (with pin_sealed); public_json() for the API (never the PIN).
  nlohmann::json to_json() const;
  nlohmann::json public_json() const;
  static Result<KeySettings> from_json(const nlohmann::json& j);
  // Applies an API patch: algorithms, default_alg, rsa_bits, rotation_period_s,
  // next_publish_ahead_s, retired_publish_for_s, max_token_lifetime_s, skew_s, and for an
  // organization own_issuer. key.settings_invalid naming the field on any problem.
  Result<void> apply_patch(const nlohmann::json& patch, bool organization);
  Result<void> validate() const;
};

}  // namespace gh::tenancy
