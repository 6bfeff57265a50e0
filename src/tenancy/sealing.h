// Sealing tenant data at rest (docs/security.md): the process's KEKs, the store-backed data
// keys, and customer-managed keys. Every sealed value names (environment id, organization id,
// table, row, column); the environment's own values use organization id "". An organization's
// first sealed value creates its data key under its KEK (its customer-managed key when it has
// one, else the local master key).
#pragma once

#include <chrono>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <string>
#include <unordered_map>
#include <vector>

#include "core/clock.h"
#include "core/config.h"
#include "core/random.h"
#include "crypto/kek/kek_provider.h"
#include "crypto/seal/sealer.h"
#include "store/store.h"
#include "tenancy/key_settings.h"

namespace gh::tenancy {

// crypto::DataKeyRepository over the store (one short transaction per call).
class StoreDataKeys final : public crypto::DataKeyRepository {
 public:
  explicit StoreDataKeys(store::Store& store) : store_(store) {}
  Result<crypto::DataKeyRecord> find(std::string_view id) override;
  Result<std::optional<crypto::DataKeyRecord>> find_active(std::string_view environment,
                                                           std::string_view organization) override;
  Result<void> insert_active(const crypto::DataKeyRecord& record) override;
  Result<void> update_wrapping(std::string_view id, std::string_view kek_id,
                               std::string_view wrapped) override;
  Result<std::vector<crypto::DataKeyRecord>> list_by_kek(std::string_view kek_id) override;

 private:
  store::Store& store_;
};

// What an admin gives to bring an organization's own key.
struct CustomerKeyInput {
  std::string module_path;
  std::string token_label;
  std::string key_label;
  std::string pin;
};

class Sealing {
 public:
  Sealing(store::Store& store, std::shared_ptr<crypto::KekProvider> master,
          std::vector<std::string> allowed_modules, const Clock& clock = SystemClock::instance(),
          Random& random = SecureRandom::instance());
  ~Sealing();

  // The local master KEK: GATEHOUSE_MASTER_KEY, else master_key_file (created 0600 with 256
  // random bits on first use). Its id is "local:" + a fingerprint of the key, so a new master
  // key never shares an id with the old one.
  static Result<std::shared_ptr<crypto::KekProvider>> load_master_key(
      const Config& config, Random& random = SecureRandom::instance());
  // Opens everything from the config (the master key and the module allow-list).
  static Result<std::unique_ptr<Sealing>> open(const Config& config, store::Store& store);

  Result<std::string> seal(const crypto::SealContext& context, std::string_view plaintext);
  Result<std::string> open(const crypto::SealContext& context, std::string_view sealed);
  // Whether the organization's KEK works now: crypto.customer_key_unavailable when its
  // customer-managed key is disabled or gone (noticed within the 60 s data-key cache bound).
  // Every organization-scoped operation that needs the organization's keys calls this first.
  Result<void> check(std::string_view environment_id, std::string_view organization_id);
  // {"provider": "local"|"pkcs11", "kek_id", "status": "available"|"unavailable", ...}
  nlohmann::json status(std::string_view environment_id, std::string_view organization_id);

  // Moves an organization to its own PKCS#11 key (or back to the master key when `input` is
  // empty): the key is probed, a new data key is created under it, and every older data key of
  // the organization is re-wrapped under it. Sealed data is not touched. Returns the number of
  // data keys re-wrapped. The caller stores `settings` (kek filled in / cleared).
  Result<size_t> rekey(std::string_view environment_id, std::string_view organization_id,
                       const std::optional<CustomerKeyInput>& input, KeySettings& settings);
  // After the master key changed: re-wraps every data key wrapped by `old_master`.
  Result<size_t> rotate_master(std::shared_ptr<crypto::KekProvider> old_master);

  const std::string& master_kek_id() const { return master_id_; }
  crypto::Sealer& sealer() { return sealer_; }
  void forget(std::string_view environment_id, std::string_view organization_id);

 private:
  // The KEK id the organization's data keys are wrapped by, loading its customer key into the
  // registry when needed.
  Result<std::string> kek_for(std::string_view environment_id, std::string_view organization_id);
  Result<std::shared_ptr<crypto::KekProvider>> open_customer_kek(
      std::string_view environment_id, const CustomerKekSettings& settings, const std::string& pin);

  store::Store& store_;
  const Clock& clock_;
  Random& random_;
  std::vector<std::string> allowed_modules_;
  std::string master_id_;
  crypto::KekRegistry keks_;
  StoreDataKeys data_keys_;
  crypto::Sealer sealer_;

  struct KekEntry {
    std::string kek_id;
    int64_t expires_ms = 0;
  };
  std::mutex mu_;
  std::unordered_map<std::string, KekEntry> kek_by_org_;

  // The ChangeBus outlives this object and may publish from the listener thread at any time:
  // its subscriber reaches us only through this handle, cleared in the destructor.
  struct Handle {
    std::mutex mu;
    Sealing* self = nullptr;
  };
  std::shared_ptr<Handle> handle_ = std::make_shared<Handle>();
};

}  // namespace gh::tenancy
