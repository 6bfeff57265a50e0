// Connections (an organization's upstream IdPs), the login transactions that run through them,
// and login traces. All rows are tenant-scoped: organization id leads every key, and every
// method takes the organization id and answers not-found for another organization's or
// environment's ids.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"

namespace gh::store {

struct Connection {
  std::string id;  // UUIDv7
  std::string environment_id;
  std::string organization_id;
  std::string type;                                    // saml | oidc | test
  std::string name;                                    // unique per organization
  std::string status = "draft";                        // draft | active | disabled
  nlohmann::json domains = nlohmann::json::array();    // ["example.com", ...]
  nlohmann::json settings = nlohmann::json::object();  // type-specific; secrets sealed in it
  nlohmann::json attribute_mapping = nlohmann::json::object();
  nlohmann::json acr_mapping = nlohmann::json::object();  // upstream level -> Gatehouse acr
  bool allow_email_linking = false;
  int64_t version = 1;
  int64_t created_at_ms = 0;
  int64_t updated_at_ms = 0;
};

// One run of a connection's login: created when the connection starts, finished (once) by its
// callback. `state` and `nonce` are what the connection sends upstream.
struct LoginTransaction {
  std::string id;  // 128 random bits, base64url
  std::string environment_id;
  std::string organization_id;
  std::string connection_id;
  std::string login_request_id;  // the pending authorization request, or "test_..." in test mode
  std::string state;
  std::string nonce;
  bool test_mode = false;
  int64_t created_at_ms = 0;
  int64_t expires_at_ms = 0;
  int64_t finished_at_ms = 0;  // 0: not finished
};

// A login's trace: its steps as JSON, sealed under the organization's data key.
struct LoginTrace {
  std::string request_id;
  std::string environment_id;
  std::string organization_id;
  std::string connection_id;
  std::string body_sealed;
  int64_t created_at_ms = 0;
  int64_t updated_at_ms = 0;
  int64_t expires_at_ms = 0;
};

class ConnectionRepository {
 public:
  virtual ~ConnectionRepository() = default;
  // connection.name_taken when the organization has a connection of that name.
  virtual Result<Connection> create(const Connection& c) = 0;
  // connection.not_found.
  virtual Result<Connection> get(std::string_view environment_id, std::string_view organization_id,
                                 std::string_view id) = 0;
  // Ordered by creation.
  virtual Result<std::vector<Connection>> list(std::string_view environment_id,
                                               std::string_view organization_id) = 0;
  // Writes everything but the ids and created_at when `expected_version` is current (then
  // version+1): request.precondition_failed otherwise, connection.not_found when gone,
  // connection.name_taken on a rename onto another connection's name.
  virtual Result<Connection> update(const Connection& c, int64_t expected_version) = 0;
  // The maintenance sweep's view across every tenant (like purge_transactions; never a request
  // path): connections of `type` in `status` ("" = any status), ordered by id, after `after_id` (""
  // = from the start), at most `limit`.
  virtual Result<std::vector<Connection>> list_of_type(std::string_view type,
                                                       std::string_view status,
                                                       std::string_view after_id, int limit) = 0;
  // Deletes the connection and its open transactions.
  virtual Result<Connection> remove(std::string_view environment_id,
                                    std::string_view organization_id, std::string_view id) = 0;

  virtual Result<LoginTransaction> create_transaction(const LoginTransaction& t) = 0;
  // login.transaction_not_found for unknown ids, other tenants' ids and expired transactions
  // (expires_at_ms <= now_ms).
  virtual Result<LoginTransaction> get_transaction(std::string_view environment_id,
                                                   std::string_view organization_id,
                                                   std::string_view id, int64_t now_ms) = 0;
  // Marks it finished, once: login.transaction_used when it already was (a replayed callback),
  // login.transaction_not_found as get_transaction.
  virtual Result<LoginTransaction> finish_transaction(std::string_view environment_id,
                                                      std::string_view organization_id,
                                                      std::string_view id, int64_t now_ms) = 0;
  // Drops transactions that expired before `before_ms`; returns how many.
  virtual Result<int64_t> purge_transactions(int64_t before_ms) = 0;
};

class LoginTraceRepository {
 public:
  virtual ~LoginTraceRepository() = default;
  // Inserts or replaces the trace of (organization, request id).
  virtual Result<LoginTrace> put(const LoginTrace& t) = 0;
  // login.trace_not_found for unknown ids, other tenants' ids and expired traces.
  virtual Result<LoginTrace> get(std::string_view environment_id, std::string_view organization_id,
                                 std::string_view request_id, int64_t now_ms) = 0;
  // Drops traces whose retention ended before `now_ms`; returns how many.
  virtual Result<int64_t> purge_expired(int64_t now_ms) = 0;
};

}  // namespace gh::store
