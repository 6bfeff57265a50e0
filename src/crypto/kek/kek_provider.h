// Key-encryption keys (KEKs) wrap the per-organization data keys that seal tenant data
// (crypto/seal). A KEK never leaves its provider: `local` holds it in memory, `pkcs11` in a
// token (HSM, cloud HSM, SoftHSM2 in tests). An organization may bring its own (a
// customer-managed key); disabling it must make that organization fail closed.
#pragma once

#include <memory>
#include <shared_mutex>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "core/result.h"

namespace gh::crypto {

class KekProvider {
 public:
  virtual ~KekProvider() = default;

  // Stable id stored beside every data key this KEK wraps, e.g. "local:2026-11" or
  // "pkcs11:acme". Never reused for different key material.
  virtual const std::string& id() const = 0;

  // Wraps a 32-byte data key. `context` is authenticated with it (environment, organization,
  // data key id), so a wrapped key copied to another organization does not unwrap.
  virtual Result<std::string> wrap(std::string_view data_key, std::string_view context) = 0;

  // crypto.customer_key_unavailable when the KEK cannot be used (disabled, deleted, token
  // absent, HSM unreachable); crypto.decrypt_failed when `wrapped` fails authentication.
  virtual Result<std::string> unwrap(std::string_view wrapped, std::string_view context) = 0;
};

// The KEKs this process knows, by id. Thread-safe: customer keys are added at run time.
class KekRegistry {
 public:
  Result<void> add(std::shared_ptr<KekProvider> kek);
  void remove(std::string_view id);
  // crypto.kek_not_found for an unknown id.
  Result<std::shared_ptr<KekProvider>> find(std::string_view id) const;
  std::vector<std::string> ids() const;

 private:
  mutable std::shared_mutex mutex_;
  std::unordered_map<std::string, std::shared_ptr<KekProvider>> keks_;
};

}  // namespace gh::crypto
