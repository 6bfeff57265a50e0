// Domains an organization claims and proves with a DNS TXT record. Rows are tenant-scoped
// (organization id leads the key). The environment-wide rule "a verified domain belongs to one
// organization" lives in a small reference table of claims keyed by (environment, domain), which
// is also the fast lookup home-realm discovery uses.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"

namespace gh::store {

struct Domain {
  std::string id;  // UUIDv7
  std::string environment_id;
  std::string organization_id;
  std::string name;               // normalized: lowercase ASCII (punycode), no trailing dot
  std::string token;              // published as gatehouse-verification=<token>
  std::string state = "pending";  // pending | verified | failed
  std::string last_error;         // of the last check; empty after a success
  int64_t created_at_ms = 0;
  int64_t updated_at_ms = 0;
  int64_t verified_at_ms = 0;      // last successful check; 0: never
  int64_t last_checked_at_ms = 0;  // 0: never checked
  int64_t next_check_at_ms = 0;    // when scheduled re-verification looks at it next
};

class DomainRepository {
 public:
  virtual ~DomainRepository() = default;
  // domain.already_added when this organization already has it; domain.already_claimed when
  // another organization of the environment holds it verified.
  virtual Result<Domain> create(const Domain& domain) = 0;
  // domain.not_found for unknown names and other organizations' or environments' domains.
  virtual Result<Domain> get(std::string_view environment_id, std::string_view organization_id,
                             std::string_view name) = 0;
  // Ordered by name.
  virtual Result<std::vector<Domain>> list(std::string_view environment_id,
                                           std::string_view organization_id) = 0;
  // Deletes the domain and releases its claim.
  virtual Result<Domain> remove(std::string_view environment_id, std::string_view organization_id,
                                std::string_view name) = 0;
  // A successful check: takes the environment-wide claim (domain.already_claimed when another
  // organization holds it) and marks the domain verified.
  virtual Result<Domain> mark_verified(std::string_view environment_id,
                                       std::string_view organization_id, std::string_view name,
                                       int64_t now_ms, int64_t next_check_at_ms) = 0;
  // A failed check: records the error and moves to `state` (pending stays pending; verified
  // becomes failed and releases the claim).
  virtual Result<Domain> mark_checked(std::string_view environment_id,
                                      std::string_view organization_id, std::string_view name,
                                      std::string_view state, std::string_view error,
                                      int64_t now_ms, int64_t next_check_at_ms) = 0;
  // Domains whose next check is due, across environments, each pushed to `next_check_at_ms` so
  // that another node polling at the same time does not take the same ones.
  virtual Result<std::vector<Domain>> take_due(int64_t now_ms, int64_t next_check_at_ms,
                                               int limit) = 0;
  // Home-realm discovery: the organization holding `name` verified in the environment.
  virtual Result<std::optional<Domain>> find_verified(std::string_view environment_id,
                                                      std::string_view name) = 0;
};

}  // namespace gh::store
