#pragma once

#include "store/outbox.h"
#include "store/sql/sql_store.h"

namespace gh::store {

class SqlOutboxRepository final : public OutboxRepository {
 public:
  explicit SqlOutboxRepository(SqlContext& ctx) : ctx_(ctx) {}
  Result<OutboxEvent> enqueue(const OutboxEvent& event) override;
  Result<std::vector<OutboxEvent>> read(std::string_view environment_id,
                                        std::string_view organization_id, const OutboxCursor& after,
                                        int limit) override;
  Result<OutboxCursor> consumer_position(std::string_view consumer, bool lock) override;
  Result<bool> save_consumer_position(std::string_view consumer,
                                      const OutboxCursor& position) override;

 private:
  SqlContext& ctx_;
};

}  // namespace gh::store
