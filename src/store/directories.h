// SCIM directories (issue 10): an organization's directories, their bearer tokens (hashed, as
// API keys are), the SCIM resources an IdP pushed (Users linked to identity users, Groups), group
// memberships and the per-directory request log. Every row is tenant-scoped: the organization id
// is in every query, and a directory id from another organization or environment is not found.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"

namespace gh::store {

struct Directory {
  std::string id;  // UUIDv7; the SCIM base URL is {public_url}/scim/v2/{id}
  std::string environment_id;
  std::string organization_id;
  std::string name;
  std::string status = "active";  // active | paused (paused: SCIM requests get 403)
  int64_t version = 1;
  int64_t created_at_ms = 0;
  int64_t updated_at_ms = 0;
};

struct DirectoryToken {
  std::string id;  // UUIDv7
  std::string directory_id;
  std::string environment_id;
  std::string organization_id;
  std::string name;
  std::string lookup;       // public part of the token (unique)
  std::string secret_hash;  // HMAC under the pepper; never returned by the API
  int64_t created_at_ms = 0;
  int64_t expires_at_ms = 0;  // 0: never
  int64_t revoked_at_ms = 0;  // 0: not revoked
  int64_t last_used_at_ms = 0;
};

struct ScimResource {
  std::string directory_id;
  std::string id;  // UUIDv7, the SCIM id
  std::string environment_id;
  std::string organization_id;
  std::string type;          // User | Group
  std::string user_id;       // User: the identity user it provisions
  std::string user_name;     // User: userName lowercased (unique per directory); Group: ""
  std::string external_id;   // as sent (caseExact)
  std::string display_name;  // lowercased, for the displayName filter
  std::string email;         // the primary (else first) email lowercased
  // User: every emails[].value lowercased, kept in scim_emails (indexed) for emails.value
  // filters. Written by create_resource/update_resource; filled on reads by find_resources
  // only when it answered from that index (empty otherwise).
  std::vector<std::string> emails;
  nlohmann::json document = nlohmann::json::object();  // the resource as stored
  int64_t version = 1;
  int64_t created_at_ms = 0;
  int64_t updated_at_ms = 0;
};

struct ScimRequestLogEntry {
  int64_t seq = 0;
  std::string environment_id;
  std::string organization_id;
  std::string directory_id;
  int64_t at_ms = 0;
  std::string method;
  std::string path;
  int status = 0;
  std::string error_type;  // scimType, or "" on success
  std::string body;        // the redacted body, sealed by the caller
};

// Indexed columns a filter can be answered from. `email` is any of a User's emails[].value
// (lowercased), through scim_emails and its index scim_emails_value (migration v16).
enum class ScimIndex { user_name, external_id, display_name, email };

// A SCIM deactivation (active → false, or DELETE) and when the user's sessions were revoked by
// the fan-out: both timestamps recorded for the reconciliation report.
struct ScimDeactivation {
  int64_t seq = 0;
  std::string environment_id;
  std::string organization_id;
  std::string directory_id;
  std::string scim_id;
  std::string user_id;
  std::string cause;                   // deactivated | deleted
  int64_t requested_at_ms = 0;         // the SCIM request reached the server
  int64_t sessions_revoked_at_ms = 0;  // the revocation fan-out's transaction ran
  int64_t sessions_revoked = 0;        // how many live sessions it ended
};

// A User whose `active` as the IdP last pushed it disagrees with its identity user's state
// (an admin suspended a user the directory says is active, or the identity user is gone).
struct ScimUserDrift {
  std::string scim_id;
  std::string user_id;
  bool scim_active = true;
  std::string user_state;  // "" when the identity user no longer exists
};

// What the reconciliation report reads per directory.
struct DirectoryCounts {
  int64_t users = 0;
  int64_t active_users = 0;  // the stored document's active is not false
  int64_t groups = 0;
  int64_t memberships = 0;
  int64_t untouched_users = 0;  // Users whose last write is older than the cutoff
  int64_t failed_requests = 0;  // request log entries with status >= 400 since the cutoff
};

class DirectoryRepository {
 public:
  virtual ~DirectoryRepository() = default;
  // directory.name_taken when the organization has a directory of that name.
  virtual Result<Directory> create(const Directory& d) = 0;
  // directory.not_found for unknown ids and other organizations' or environments' directories.
  virtual Result<Directory> get(std::string_view environment_id, std::string_view organization_id,
                                std::string_view id) = 0;
  virtual Result<std::vector<Directory>> list(std::string_view environment_id,
                                              std::string_view organization_id) = 0;
  virtual Result<Directory> set_status(std::string_view environment_id,
                                       std::string_view organization_id, std::string_view id,
                                       std::string_view status, int64_t now_ms) = 0;
  // Deletes the directory with its tokens, resources, memberships and request log (the users it
  // provisioned stay, suspended by the service first).
  virtual Result<Directory> remove(std::string_view environment_id,
                                   std::string_view organization_id, std::string_view id) = 0;

  virtual Result<DirectoryToken> add_token(const DirectoryToken& t) = 0;
  // Newest first; revoked ones included.
  virtual Result<std::vector<DirectoryToken>> list_tokens(std::string_view environment_id,
                                                          std::string_view organization_id,
                                                          std::string_view directory_id) = 0;
  // directory.token_not_found unless the token is this directory's.
  virtual Result<DirectoryToken> revoke_token(std::string_view environment_id,
                                              std::string_view organization_id,
                                              std::string_view directory_id,
                                              std::string_view token_id, int64_t now_ms) = 0;
  // Authentication: the token with this public lookup id, of any tenant (the caller compares
  // the hash in constant time and then works only inside the token's organization).
  virtual Result<std::optional<DirectoryToken>> find_token(std::string_view lookup) = 0;
  virtual Result<bool> touch_token(std::string_view organization_id, std::string_view token_id,
                                   int64_t now_ms) = 0;

  // scim.uniqueness when the directory has a User with that userName (case-insensitive).
  virtual Result<ScimResource> create_resource(const ScimResource& r) = 0;
  // scim.not_found across directories, organizations and environments.
  virtual Result<ScimResource> get_resource(std::string_view environment_id,
                                            std::string_view organization_id,
                                            std::string_view directory_id, std::string_view type,
                                            std::string_view id) = 0;
  // Resources whose indexed column equals `value` (already lowercased where the column is).
  virtual Result<std::vector<ScimResource>> find_resources(std::string_view environment_id,
                                                           std::string_view organization_id,
                                                           std::string_view directory_id,
                                                           std::string_view type, ScimIndex index,
                                                           std::string_view value) = 0;
  // Ordered by id (creation order, stable), after `after_id` ("" from the start).
  virtual Result<std::vector<ScimResource>> scan_resources(std::string_view environment_id,
                                                           std::string_view organization_id,
                                                           std::string_view directory_id,
                                                           std::string_view type,
                                                           std::string_view after_id,
                                                           int limit) = 0;
  // Ordered by id, `offset` rows skipped.
  virtual Result<std::vector<ScimResource>> page_resources(std::string_view environment_id,
                                                           std::string_view organization_id,
                                                           std::string_view directory_id,
                                                           std::string_view type, int64_t offset,
                                                           int limit) = 0;
  virtual Result<int64_t> count_resources(std::string_view environment_id,
                                          std::string_view organization_id,
                                          std::string_view directory_id, std::string_view type) = 0;
  // Writes the document and indexed columns when `expected_version` is current
  // (request.precondition_failed otherwise); scim.uniqueness as create.
  virtual Result<ScimResource> update_resource(const ScimResource& r, int64_t expected_version) = 0;
  // Also drops the resource's memberships (as a member and as a group).
  virtual Result<ScimResource> delete_resource(std::string_view environment_id,
                                               std::string_view organization_id,
                                               std::string_view directory_id, std::string_view type,
                                               std::string_view id) = 0;

  // Member ids of a group, ordered.
  virtual Result<std::vector<std::string>> members(std::string_view organization_id,
                                                   std::string_view directory_id,
                                                   std::string_view group_id) = 0;
  virtual Result<bool> add_member(std::string_view environment_id, std::string_view organization_id,
                                  std::string_view directory_id, std::string_view group_id,
                                  std::string_view member_id) = 0;
  virtual Result<bool> remove_member(std::string_view organization_id,
                                     std::string_view directory_id, std::string_view group_id,
                                     std::string_view member_id) = 0;
  // Groups a member belongs to: (group id, displayName as stored in the group document).
  virtual Result<std::vector<std::pair<std::string, std::string>>> groups_of(
      std::string_view organization_id, std::string_view directory_id,
      std::string_view member_id) = 0;

  // The query plan the backend chooses for find_resources on `index` (SQLite: EXPLAIN QUERY
  // PLAN details; PostgreSQL: ANALYZE of the two tables, then EXPLAIN with sequential scans
  // disabled so that a tiny table still shows whether the index serves the query: call it in a
  // write transaction there). For tests and operators.
  virtual Result<std::string> query_plan(std::string_view environment_id,
                                         std::string_view organization_id,
                                         std::string_view directory_id, std::string_view type,
                                         ScimIndex index, std::string_view value) = 0;
  // Users of any directory of the organization linked to this identity user.
  virtual Result<std::vector<ScimResource>> resources_of_user(std::string_view environment_id,
                                                              std::string_view organization_id,
                                                              std::string_view user_id) = 0;

  virtual Result<int64_t> append_log(const ScimRequestLogEntry& e) = 0;
  // Newest first, seq < before_seq (0: from the newest).
  virtual Result<std::vector<ScimRequestLogEntry>> list_log(std::string_view environment_id,
                                                            std::string_view organization_id,
                                                            std::string_view directory_id,
                                                            int64_t before_seq, int limit) = 0;
  // Failed requests (status >= 400), newest first, seq < before_seq (0: from the newest).
  virtual Result<std::vector<ScimRequestLogEntry>> list_failures(std::string_view environment_id,
                                                                 std::string_view organization_id,
                                                                 std::string_view directory_id,
                                                                 int64_t before_seq, int limit) = 0;

  // Reconciliation (directory.not_found for another tenant's directory).
  virtual Result<DirectoryCounts> counts(std::string_view environment_id,
                                         std::string_view organization_id,
                                         std::string_view directory_id, int64_t untouched_before_ms,
                                         int64_t failed_since_ms) = 0;
  // Users whose last write is older than `before_ms`, oldest first.
  virtual Result<std::vector<ScimResource>> untouched_users(std::string_view environment_id,
                                                            std::string_view organization_id,
                                                            std::string_view directory_id,
                                                            int64_t before_ms, int limit) = 0;
  // Users whose pushed `active` disagrees with their identity user's state, by id.
  virtual Result<std::vector<ScimUserDrift>> drifted_users(std::string_view environment_id,
                                                           std::string_view organization_id,
                                                           std::string_view directory_id,
                                                           int limit) = 0;
  virtual Result<int64_t> record_deactivation(const ScimDeactivation& d) = 0;
  // Newest first.
  virtual Result<std::vector<ScimDeactivation>> list_deactivations(std::string_view environment_id,
                                                                   std::string_view organization_id,
                                                                   std::string_view directory_id,
                                                                   int limit) = 0;

  // The link rule of a connection of the organization (docs/scim.md "Linking SSO logins"):
  // "" (none) | external_id | user_name | email. Stored beside the connection, keyed by the
  // organization and connection id; the caller checks the connection exists.
  virtual Result<bool> set_link_rule(std::string_view environment_id,
                                     std::string_view organization_id,
                                     std::string_view connection_id, std::string_view rule,
                                     int64_t now_ms) = 0;
  virtual Result<std::string> link_rule(std::string_view environment_id,
                                        std::string_view organization_id,
                                        std::string_view connection_id) = 0;
};

}  // namespace gh::store
