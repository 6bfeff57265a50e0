// Key material at rest: signing keys per issuer (an environment, or an organization with an
// issuer of its own), the per-organization data keys that seal tenant data (wrapped by a KEK,
// never stored in the clear), and each issuer's key settings (algorithms, rotation policy, the
// organization's own KEK). Rows are tenant-scoped: organization id leads every key, and the
// environment's own rows use the empty organization id.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"

namespace gh::store {

struct SigningKeyRow {
  std::string environment_id;
  std::string organization_id;  // "" = the environment's issuer
  std::string kid;
  std::string alg;             // RS256 | PS256 | ES256 | EdDSA
  std::string use;             // sig
  std::string state;           // next | active | retired | revoked
  std::string public_jwk;      // JSON, public members only
  std::string private_sealed;  // the private JWK, sealed (crypto/seal) under the issuer's data key
  int64_t state_since_ms = 0;
  int64_t created_at_ms = 0;
};

struct DataKeyRow {
  std::string id;  // dk_...
  std::string environment_id;
  std::string organization_id;
  std::string kek_id;
  std::string wrapped;  // binary, as the KEK returned it
  bool active = true;
  int64_t created_at_ms = 0;
};

struct KeySettingsRow {
  std::string environment_id;
  std::string organization_id;  // "" = the environment's
  std::string settings;         // JSON (tenancy/keys: KeySettings)
  int64_t version = 0;
  int64_t updated_at_ms = 0;
};

class KeyRepository {
 public:
  virtual ~KeyRepository() = default;

  // --- signing keys of one issuer ---
  // Oldest first.
  virtual Result<std::vector<SigningKeyRow>> list_signing_keys(
      std::string_view environment_id, std::string_view organization_id) = 0;
  virtual Result<void> insert_signing_key(const SigningKeyRow& row) = 0;
  // key.not_found for another issuer's kid.
  virtual Result<SigningKeyRow> set_signing_key_state(std::string_view environment_id,
                                                      std::string_view organization_id,
                                                      std::string_view kid, std::string_view state,
                                                      int64_t now_ms) = 0;
  virtual Result<void> delete_signing_key(std::string_view environment_id,
                                          std::string_view organization_id,
                                          std::string_view kid) = 0;
  // Serializes rotation of one issuer across nodes until the transaction ends (PostgreSQL: a
  // transaction-scoped advisory lock; SQLite: the write transaction already is exclusive).
  virtual Result<void> lock_issuer(std::string_view environment_id,
                                   std::string_view organization_id) = 0;

  // --- data keys ---
  // crypto.data_key_not_found when absent.
  virtual Result<DataKeyRow> find_data_key(std::string_view id) = 0;
  virtual Result<std::optional<DataKeyRow>> find_active_data_key(
      std::string_view environment_id, std::string_view organization_id) = 0;
  // Inserts and makes it the only active data key of (environment, organization).
  virtual Result<void> insert_active_data_key(const DataKeyRow& row) = 0;
  virtual Result<void> rewrap_data_key(std::string_view id, std::string_view kek_id,
                                       std::string_view wrapped) = 0;
  virtual Result<std::vector<DataKeyRow>> list_data_keys_by_kek(std::string_view kek_id) = 0;

  // --- settings ---
  virtual Result<std::optional<KeySettingsRow>> get_settings(std::string_view environment_id,
                                                             std::string_view organization_id) = 0;
  // Writes when `expected_version` is current (0: the row must not exist yet), then version+1;
  // request.precondition_failed otherwise.
  virtual Result<KeySettingsRow> put_settings(const KeySettingsRow& row,
                                              int64_t expected_version) = 0;
  // Every settings row of an environment (the environment's and its organizations').
  virtual Result<std::vector<KeySettingsRow>> list_settings(std::string_view environment_id) = 0;
};

}  // namespace gh::store
