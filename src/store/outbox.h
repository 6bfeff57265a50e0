// The outbox: every state change others must hear of is appended here in the same transaction
// as the change; deliverers (webhooks, later SSF and SIEM streams, back-channel logout) and the
// events API read it. Reads follow commit order, never raw sequence order: on PostgreSQL a
// sequence value taken by a transaction that commits late would otherwise be skipped by a
// cursor that already moved past it. So each row records its transaction id, readers order
// by (tx, seq) and see only rows of transactions older than the oldest one still running.
// SQLite has one writer at a time, so there tx is 0 and seq is commit order.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"

namespace gh::store {

struct OutboxEvent {
  std::string id;  // UUIDv7, the event id receivers deduplicate on
  std::string environment_id;
  std::string organization_id;  // empty: environment-level
  std::string type;             // e.g. organization.created
  nlohmann::json payload = nlohmann::json::object();
  int64_t occurred_at_ms = 0;
  int64_t tx = 0;   // assigned by the store
  int64_t seq = 0;  // assigned by the store
};

// A position in commit order.
struct OutboxCursor {
  int64_t tx = 0;
  int64_t seq = 0;
  std::string encode() const;  // opaque to clients
  static Result<OutboxCursor> decode(std::string_view text);
};

class OutboxRepository {
 public:
  virtual ~OutboxRepository() = default;
  virtual Result<OutboxEvent> enqueue(const OutboxEvent& event) = 0;
  // Committed events after `after`, in commit order, of one environment (organization_id
  // empty: all organizations; else only that one).
  virtual Result<std::vector<OutboxEvent>> read(std::string_view environment_id,
                                                std::string_view organization_id,
                                                const OutboxCursor& after, int limit) = 0;
  // A consumer's persisted position (e.g. "webhooks:{environment id}"), the start when it has
  // none. `lock` holds the position until commit, so one node at a time moves it.
  virtual Result<OutboxCursor> consumer_position(std::string_view consumer, bool lock) = 0;
  virtual Result<bool> save_consumer_position(std::string_view consumer,
                                              const OutboxCursor& position) = 0;
};

}  // namespace gh::store
