// The organization security policy: a typed document, validated field by field. Later issues
// add their fields here (and enforce them where they act). Stored as JSON per organization,
// with the environment's document beneath it and built-in defaults beneath that.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "core/result.h"

namespace gh::tenancy {

struct SecurityPolicy {
  int64_t session_absolute_lifetime_s = 24 * 3600;
  int64_t session_idle_lifetime_s = 8 * 3600;
  std::vector<std::string> allowed_connections;  // empty: every active connection
  std::string provisioning_mode = "jit";         // jit | directory_only
  std::vector<std::string> guest_domains;
  std::string email_linking = "never";  // never | verified_domains
  // Concurrent live sessions per user; 0: unlimited. Beyond it the oldest are revoked.
  int64_t max_sessions_per_user = 0;
  // Just-in-time users (bound to a connection, provisioned by no directory) not seen for this
  // many days are suspended by the directory lifecycle worker; 0: never (docs/scim.md).
  int64_t suspend_unseen_jit_users_after_days = 0;

  nlohmann::json to_json() const;
};

// Validates a (partial) policy document: known fields only, right types and ranges.
// policy.invalid naming the field otherwise.
Result<nlohmann::json> validate_policy_document(const nlohmann::json& doc);

// Built-in defaults ← environment document ← organization document (field by field).
SecurityPolicy effective_policy(const nlohmann::json& environment_doc,
                                const nlohmann::json& organization_doc);

// A summary of what changed between two documents: [{"field", "from", "to"}], for audit.
nlohmann::json policy_diff(const nlohmann::json& before, const nlohmann::json& after);

}  // namespace gh::tenancy
