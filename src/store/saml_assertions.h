// One-time use of SAML assertion IDs (issue 8): an assertion's ID is recorded when a login
// accepts it and kept until the assertion could no longer be accepted anyway (its
// NotOnOrAfter plus the connection's skew); a second use of the same ID at the same
// connection is a replay. In the store, so every node shares it. Tenant-scoped: organization
// id leads the key; another organization's or connection's IDs are a separate namespace.
#pragma once

#include <cstdint>
#include <string>

#include "core/result.h"

namespace gh::store {

struct SamlAssertionUse {
  std::string organization_id;
  std::string environment_id;
  std::string connection_id;
  std::string assertion_id;
  int64_t expires_at_ms = 0;
};

class SamlAssertionRepository {
 public:
  virtual ~SamlAssertionRepository() = default;
  // Records the first use: true. false when the same (organization, environment, connection,
  // assertion id) is already recorded and not expired at `now_ms` (a replay).
  virtual Result<bool> record_use(const SamlAssertionUse& use, int64_t now_ms) = 0;
  // Drops uses that expired at or before `now_ms`; returns how many.
  virtual Result<int64_t> purge_expired(int64_t now_ms) = 0;
};

}  // namespace gh::store
