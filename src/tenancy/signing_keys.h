// Signing keys per issuer over the store: the environment's issuer {public_url}/{env}, and an
// organization's own issuer {public_url}/{env}/o/{org} when its key settings ask for one (a key
// set shared under one issuer would let any key verify any tenant's tokens). Private keys are
// sealed under the issuer's data key (an organization's issuer: its own, so its customer-managed
// key guards them). Rotation follows jose::plan_rotation; every change is audited, announced on
// the outbox, and invalidates every node's cached key set (topic "signing_keys").
#pragma once

#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "core/clock.h"
#include "crypto/jose/key_set.h"
#include "store/store.h"
#include "tenancy/key_settings.h"
#include "tenancy/sealing.h"
#include "tenancy/service.h"

namespace gh::tenancy {

// One issuer's keys as verifiers and signers use them. Immutable; replaced on change.
struct IssuerKeys {
  std::string issuer;
  std::shared_ptr<const jose::KeySet>
      keys;  // next/active with private keys; retired/revoked public
  KeySettings settings;
  nlohmann::json jwks;    // the public JWKS (next, active, retired)
  std::string jwks_body;  // the same, serialized once (what /.well-known/jwks.json answers)
  int64_t loaded_ms = 0;
};

struct VersionedKeySettings {
  KeySettings settings;
  int64_t version = 0;  // 0: defaults, never written
};

class KeyService {
 public:
  KeyService(store::Store& store, Sealing& sealing, TenancyService& tenancy, std::string public_url,
             const Clock& clock = SystemClock::instance());

  std::string issuer_url(const store::Environment& env, std::string_view organization_id) const;

  // Whether an organization signs with an issuer of its own (`own_issuer`); the environment's
  // issuer always is. Cached like keys(): turning `own_issuer` on or off is seen at once on
  // every node (the settings change is announced on the change bus).
  Result<bool> has_own_issuer(const store::Environment& env, std::string_view organization_id);

  // The issuer's keys, cached (at most 5 s, dropped at once on a change notification).
  // An issuer without a usable key gets one here. key.issuer_not_found for an organization
  // without an issuer of its own. An organization issuer whose customer-managed key is
  // unavailable fails with crypto.customer_key_unavailable.
  Result<std::shared_ptr<const IssuerKeys>> keys(const store::Environment& env,
                                                 std::string_view organization_id);
  // The active key to sign with: `alg`, or the issuer's default algorithm.
  // key.algorithm_unavailable when the issuer has no active key for it.
  Result<jose::KeyEntry> signing_key(const store::Environment& env,
                                     std::string_view organization_id,
                                     std::optional<jose::Alg> alg = std::nullopt);

  Result<std::vector<store::SigningKeyRow>> list(const store::Environment& env,
                                                 std::string_view organization_id);
  Result<VersionedKeySettings> settings(const store::Environment& env,
                                        std::string_view organization_id);
  Result<VersionedKeySettings> update_settings(const store::Environment& env,
                                               std::string_view organization_id,
                                               const nlohmann::json& patch,
                                               int64_t expected_version, const Actor& actor);
  // Manual rotation of one algorithm: a published next key becomes active (or a new key is
  // made active at once), and the current active key retires (it keeps verifying).
  Result<store::SigningKeyRow> rotate(const store::Environment& env,
                                      std::string_view organization_id, jose::Alg alg,
                                      const Actor& actor);
  // Emergency revocation: the key leaves the JWKS and every token it signed fails verification
  // at once; if it was active, a replacement signs from now on.
  Result<store::SigningKeyRow> revoke(const store::Environment& env,
                                      std::string_view organization_id, std::string_view kid,
                                      const Actor& actor);
  // Applies the rotations the policy says are due. Returns how many steps were applied.
  Result<size_t> rotate_due(const store::Environment& env, std::string_view organization_id,
                            const Actor& actor);
  // Every environment's issuer and every organization issuer (the background worker).
  Result<size_t> rotate_all_due();

  // Customer-managed key: moves the organization's data keys to `input`'s PKCS#11 key (or back
  // to the master key when empty) and records it. Returns the KEK status and how many data
  // keys were re-wrapped.
  Result<nlohmann::json> set_customer_key(const store::Environment& env,
                                          std::string_view organization_id,
                                          const std::optional<CustomerKeyInput>& input,
                                          const Actor& actor);

  void forget(std::string_view environment_id, std::string_view organization_id);
  Sealing& sealing() { return sealing_; }

 private:
  Result<std::shared_ptr<const IssuerKeys>> load(const store::Environment& env,
                                                 std::string_view organization_id);
  Result<store::SigningKeyRow> create_key(store::Repositories& repos, const store::Environment& env,
                                          std::string_view organization_id, jose::Alg alg,
                                          const KeySettings& settings, jose::KeyState state,
                                          const Actor& actor);
  Result<bool> audit(store::Repositories& repos, const store::Environment& env,
                     std::string_view organization_id, const Actor& actor,
                     const std::string& action, const store::SigningKeyRow& row);

  store::Store& store_;
  Sealing& sealing_;
  TenancyService& tenancy_;
  std::string public_url_;
  const Clock& clock_;
  // A revoked key is revocation state: another process's revocation (a CLI on the same SQLite
  // file, a lost NOTIFY) reaches this cache within 5 s.
  int64_t cache_ttl_ms_ = 5'000;

  struct State {
    std::mutex mu;
    std::unordered_map<std::string, std::shared_ptr<const IssuerKeys>> cache;
    // Organizations found without an issuer of their own (when they were found so), dropped
    // with the keys on the same change notification.
    std::unordered_map<std::string, int64_t> no_own_issuer;
  };
  std::shared_ptr<State> state_ = std::make_shared<State>();
};

// The API's view of a key (public members only).
nlohmann::json signing_key_json(const store::SigningKeyRow& row);

}  // namespace gh::tenancy
