// One-time-use marks for presented JWT identifiers (issue 7): client assertions (RFC 7523 §3
// item 7, private_key_jwt) and DPoP proofs (RFC 9449 §11.1). Kept in the store so that every
// node refuses a jti another node has already seen; each mark lives until the JWT it came from
// can no longer be accepted, then is purged. Organization id leads every key.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "core/result.h"

namespace gh::store {

struct ReplayMark {
  std::string environment_id;
  std::string organization_id;  // the presenting application's ("" = environment-wide)
  std::string kind;             // client_assertion | dpop
  std::string key;              // who presented it and its jti, hashed by the caller
  int64_t expires_at_ms = 0;    // when the JWT can no longer be accepted anyway
};

class ReplayRepository {
 public:
  virtual ~ReplayRepository() = default;
  // Records the mark. True when it is new (or an earlier mark with the same key has expired);
  // false when an unexpired mark exists: a replay. Two concurrent calls: exactly one is true.
  virtual Result<bool> mark_once(const ReplayMark& mark, int64_t now_ms) = 0;
  // Whether an unexpired mark exists (for tests and diagnostics).
  virtual Result<bool> is_marked(std::string_view environment_id, std::string_view organization_id,
                                 std::string_view kind, std::string_view key, int64_t now_ms) = 0;
  // Drops expired marks; returns the count.
  virtual Result<int> purge_expired(int64_t now_ms) = 0;
};

}  // namespace gh::store
