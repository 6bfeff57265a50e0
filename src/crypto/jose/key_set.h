// A key set: kid -> (parsed key, the one algorithm it may be used with, use, lifecycle state).
// Immutable once built and shared as std::shared_ptr<const KeySet>, so a verifier on any
// thread reads it without locks; whoever loads keys (the store, a JWKS fetcher) builds a new
// set and swaps the pointer.
#pragma once

#include <cstdint>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "core/result.h"
#include "crypto/jose/algorithm.h"
#include "crypto/jose/jwk.h"

namespace gh::jose {

// next: published, not yet signing. active: signs. retired: published, verifies, no longer
// signs. revoked: never published, and every token it signed fails verification.
enum class KeyState { Next, Active, Retired, Revoked };
enum class KeyUse { Sig, Enc };

std::string_view key_state_name(KeyState state);
std::optional<KeyState> parse_key_state(std::string_view name);

struct KeyEntry {
  std::string kid;
  Alg alg = Alg::RS256;  // the only algorithm this key is used with (the allow-list)
  KeyUse use = KeyUse::Sig;
  KeyState state = KeyState::Active;
  Jwk key;
};

// What the store keeps per key (private members sealed; see crypto/seal). The lead's loader
// turns rows into KeyRecords and calls KeySet::from_records.
struct KeyRecord {
  std::string kid;
  std::string alg;     // "RS256", "ES256", "RSA-OAEP-256", ...
  std::string use;     // "sig" | "enc"
  std::string state;   // "next" | "active" | "retired" | "revoked"
  nlohmann::json jwk;  // the JWK, private members included when we hold the private key
};

class KeySet {
 public:
  KeySet() = default;

  // Refuses a duplicate kid, an alg that does not fit the key type or use, an RSA key shorter
  // than 2048 bits.
  Result<void> add(KeyEntry entry);
  // A new key of `spec` for `alg`, with kid = RFC 7638 thumbprint.
  static Result<KeyEntry> generate(KeySpec spec, Alg alg, KeyState state = KeyState::Active);

  static Result<KeySet> from_records(const std::vector<KeyRecord>& records);
  // A JWKS received from a peer (an upstream IdP, a client's jwks). Every key needs a kid;
  // its alg comes from the JWK's "alg" or, when absent, from `default_algs` for its type.
  static Result<KeySet> from_jwks(const nlohmann::json& jwks,
                                  const std::vector<Alg>& default_algs = {Alg::RS256, Alg::ES256,
                                                                          Alg::EdDSA});

  const KeyEntry* find(std::string_view kid) const;
  // The active signing key for `alg` (the newest one added if there are several).
  const KeyEntry* active_signing_key(Alg alg) const;
  const KeyEntry* active_encryption_key(Alg alg) const;
  const std::vector<KeyEntry>& entries() const { return entries_; }
  size_t size() const { return entries_.size(); }

  // The set's public JWKS: next, active and retired keys with kid, alg, use; never a revoked
  // key, never a private member.
  nlohmann::json public_jwks() const;
  // Records for the store (private members included; seal them before writing).
  std::vector<KeyRecord> to_records() const;

  // A copy with `kid` moved to `state` (used by rotation and revocation).
  Result<KeySet> with_state(std::string_view kid, KeyState state) const;
  // A copy without `kid` (a retired key past its publication window).
  Result<KeySet> without(std::string_view kid) const;

 private:
  std::vector<KeyEntry> entries_;
  std::unordered_map<std::string, size_t> by_kid_;
};

// The seam to the key store: the lead implements this over the store (and a per-issuer cache
// invalidated by LISTEN/NOTIFY). `issuer` is the environment's or organization's issuer URL.
class KeySetProvider {
 public:
  virtual ~KeySetProvider() = default;
  virtual Result<std::shared_ptr<const KeySet>> key_set(std::string_view issuer) = 0;
};

// Checks that `key` fits `alg` (type, curve, size); the failure is jose.key_type_mismatch.
Result<void> check_key_fits_alg(const Jwk& key, Alg alg);

}  // namespace gh::jose
