// Server-side browser sessions. The cookie is a typed secret gh_ss_<lookup>_<secret>
// (tenancy/secrets.h): the public lookup finds the row, and the service compares the HMAC of the
// whole cookie with `cookie_hash` in constant time; the cookie itself is never stored. Rows are
// tenant-scoped (organization id leads the key); the cookie lookup is the one environment-wide
// index (a browser's cookie names no organization).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"

namespace gh::store {

struct Session {
  std::string sid;  // UUIDv7: `sid` in ID tokens and logout tokens
  std::string environment_id;
  std::string organization_id;
  std::string user_id;
  std::string connection_id;
  std::string cookie_lookup;  // public part of the cookie
  std::string cookie_hash;    // HMAC-SHA-256 of the whole cookie under the pepper (hex)
  int64_t auth_time_ms = 0;
  std::string acr;
  std::vector<std::string> amr;
  int64_t created_at_ms = 0;
  int64_t last_seen_at_ms = 0;
  int64_t idle_expires_at_ms = 0;
  int64_t absolute_expires_at_ms = 0;
  int64_t revoked_at_ms = 0;  // 0: not revoked
  std::string revoked_reason;
  std::vector<std::string> clients;  // client_ids that received tokens in this session

  bool live_at(int64_t now_ms) const {
    return revoked_at_ms == 0 && now_ms < idle_expires_at_ms && now_ms < absolute_expires_at_ms;
  }
  int64_t expires_at_ms() const {
    return idle_expires_at_ms < absolute_expires_at_ms ? idle_expires_at_ms
                                                       : absolute_expires_at_ms;
  }
};

class SessionRepository {
 public:
  virtual ~SessionRepository() = default;
  virtual Result<Session> create(const Session& session) = 0;
  // session.not_found for unknown sids and other organizations' or environments' sessions.
  virtual Result<Session> get(std::string_view environment_id, std::string_view organization_id,
                              std::string_view sid) = 0;
  // The row whose cookie lookup this is, in this environment (revoked and expired ones too: the
  // caller decides); nullopt otherwise.
  virtual Result<std::optional<Session>> find_by_cookie_lookup(std::string_view environment_id,
                                                               std::string_view lookup) = 0;
  // Moves the idle expiry (never beyond the absolute one) of a session not revoked; false when
  // there is no such live row.
  virtual Result<bool> touch(std::string_view environment_id, std::string_view organization_id,
                             std::string_view sid, int64_t now_ms, int64_t idle_expires_at_ms) = 0;
  // Revokes one session; a revoked one keeps its first revocation time and reason.
  // session.not_found as get.
  virtual Result<Session> revoke(std::string_view environment_id, std::string_view organization_id,
                                 std::string_view sid, int64_t now_ms, std::string_view reason) = 0;
  // Revokes every session of the user not yet revoked; returns those it revoked.
  virtual Result<std::vector<Session>> revoke_all_for_user(std::string_view environment_id,
                                                           std::string_view organization_id,
                                                           std::string_view user_id, int64_t now_ms,
                                                           std::string_view reason) = 0;
  // Oldest first; only the sessions live at `live_at_ms` unless it is 0 (then every row).
  virtual Result<std::vector<Session>> list_for_user(std::string_view environment_id,
                                                     std::string_view organization_id,
                                                     std::string_view user_id,
                                                     int64_t live_at_ms = 0) = 0;
  // Records a client id once; true when it was new. session.not_found as get.
  virtual Result<bool> add_client(std::string_view environment_id, std::string_view organization_id,
                                  std::string_view sid, std::string_view client_id) = 0;
  // One organization's sessions live at `live_at_ms` (issue 7: revoke all of an organization),
  // oldest first, at most `limit`.
  virtual Result<std::vector<Session>> list_live_for_organization(std::string_view environment_id,
                                                                  std::string_view organization_id,
                                                                  int64_t live_at_ms,
                                                                  int limit) = 0;
  virtual Result<int64_t> count_live_for_user(std::string_view environment_id,
                                              std::string_view organization_id,
                                              std::string_view user_id, int64_t now_ms) = 0;
};

}  // namespace gh::store
