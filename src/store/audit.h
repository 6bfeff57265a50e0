// Audit records: every mutation through the API appends one in the same transaction as the
// change. The sequence is the store's own (autoincrement / BIGSERIAL), so no request
// serializes on a shared chain head; a later issue seals records into a hash chain after
// commit and exports them.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"

namespace gh::store {

struct AuditRecord {
  int64_t seq = 0;  // assigned on append
  std::string environment_id;
  std::string organization_id;  // empty: environment-level
  std::string actor_type;       // api_key | cli | system
  std::string actor_id;
  std::string action;  // e.g. organization.created
  std::string target_type;
  std::string target_id;
  std::string request_id;
  std::string source_ip;
  std::string outcome = "success";                    // success | failure
  nlohmann::json summary = nlohmann::json::object();  // what changed, never secrets
  int64_t occurred_at_ms = 0;
};

class AuditRepository {
 public:
  virtual ~AuditRepository() = default;
  virtual Result<int64_t> append(const AuditRecord& record) = 0;
  // Records of an environment (organization_id empty: all; else only that organization's),
  // seq > after, ascending.
  virtual Result<std::vector<AuditRecord>> list(std::string_view environment_id,
                                                std::string_view organization_id, int64_t after,
                                                int limit) = 0;
};

}  // namespace gh::store
