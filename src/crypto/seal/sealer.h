// Envelope encryption of tenant data: each (environment, organization) has data keys
// (AES-256), wrapped by a KEK (crypto/kek) and stored wrapped; values are sealed under the
// organization's active data key with AES-256-GCM, the AAD binding environment, organization,
// table, row and column (sealed_format.h). Any failure to open is crypto.decrypt_failed;
// a KEK that cannot unwrap is crypto.customer_key_unavailable.
#pragma once

#include <chrono>
#include <cstdint>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "core/clock.h"
#include "core/random.h"
#include "core/result.h"
#include "crypto/kek/kek_provider.h"
#include "crypto/seal/data_key_cache.h"
#include "crypto/seal/sealed_format.h"

namespace gh::crypto {

// A data key as the store keeps it: never the plaintext key.
struct DataKeyRecord {
  std::string id;  // "dk_" + 16 base64url chars; written into every value it seals
  std::string environment;
  std::string organization;
  std::string kek_id;   // which KEK wrapped it
  std::string wrapped;  // KekProvider::wrap output (binary)
  bool active = true;   // the one data key new values are sealed under
  int64_t created_ms = 0;
};

// The seam to the store (the lead implements it over SOCI; organization id leads every key).
class DataKeyRepository {
 public:
  virtual ~DataKeyRepository() = default;
  // crypto.data_key_not_found when absent.
  virtual Result<DataKeyRecord> find(std::string_view id) = 0;
  virtual Result<std::optional<DataKeyRecord>> find_active(std::string_view environment,
                                                           std::string_view organization) = 0;
  // Inserts `record` and makes it the only active key of its organization, atomically.
  virtual Result<void> insert_active(const DataKeyRecord& record) = 0;
  virtual Result<void> update_wrapping(std::string_view id, std::string_view kek_id,
                                       std::string_view wrapped) = 0;
  virtual Result<std::vector<DataKeyRecord>> list_by_kek(std::string_view kek_id) = 0;
};

// For tests and tools; thread-safe.
class InMemoryDataKeyRepository final : public DataKeyRepository {
 public:
  Result<DataKeyRecord> find(std::string_view id) override;
  Result<std::optional<DataKeyRecord>> find_active(std::string_view environment,
                                                   std::string_view organization) override;
  Result<void> insert_active(const DataKeyRecord& record) override;
  Result<void> update_wrapping(std::string_view id, std::string_view kek_id,
                               std::string_view wrapped) override;
  Result<std::vector<DataKeyRecord>> list_by_kek(std::string_view kek_id) override;

 private:
  std::mutex mutex_;
  std::vector<DataKeyRecord> records_;
};

struct SealerOptions {
  // Clamped to 60 s (the revocation bound). The default leaves 5 s of headroom so that a call
  // already in flight when the bound expires still falls inside it.
  std::chrono::milliseconds cache_ttl{55'000};
  size_t cache_max_entries = 100'000;
};

class Sealer {
 public:
  Sealer(DataKeyRepository& repository, KekRegistry& keks, const Clock& clock, Random& random,
         SealerOptions options = {});

  // A fresh data key for (environment, organization) wrapped by `kek_id`; it becomes the
  // active one (older keys keep opening what they sealed). Returns the data key id.
  Result<std::string> create_data_key(std::string_view environment, std::string_view organization,
                                      std::string_view kek_id);

  Result<std::string> seal(const SealContext& context, std::string_view plaintext);
  Result<std::string> open(const SealContext& context, std::string_view sealed);

  // Re-wraps every data key wrapped by `from_kek_id` (only those of `organization` when not
  // empty) under `to_kek_id`: KEK rotation, or moving an organization to its own key. Sealed
  // values are not touched. Returns how many data keys were re-wrapped.
  Result<size_t> rewrap(std::string_view from_kek_id, std::string_view to_kek_id,
                        std::string_view organization = {});

  // Drop cached keys (on a change notification for this organization, or for everything).
  void forget(std::string_view environment, std::string_view organization);
  void forget_all();
  const DataKeyCache& cache() const { return cache_; }

  // The context a data key is wrapped under (bound by the KEK as AAD).
  static std::string wrap_context(const DataKeyRecord& record);

 private:
  Result<DataKeyBytes> unwrap(const DataKeyRecord& record);
  Result<std::pair<std::string, DataKeyBytes>> active_key(std::string_view environment,
                                                          std::string_view organization);

  DataKeyRepository& repository_;
  KekRegistry& keks_;
  const Clock& clock_;
  Random& random_;
  DataKeyCache cache_;
};

}  // namespace gh::crypto
