// LISTEN/NOTIFY on a raw libpq connection (SOCI has no API for it). Every notification on
// channel gatehouse_changes becomes a Change on the bus; whenever the connection is lost (or
// first made) the bus gets flush_all, because notifications may have been missed meanwhile.
#pragma once

#include <atomic>
#include <string>
#include <thread>

#include "store/change_bus.h"
#include "store/sql/libpq.h"

namespace gh::store {

class PgListener {
 public:
  PgListener(const LibPq& pq, std::string conninfo, ChangeBus& bus)
      : pq_(pq), conninfo_(std::move(conninfo)), bus_(bus) {}
  ~PgListener();
  void start();
  bool connected() const { return connected_.load(); }

 private:
  void loop();
  const LibPq& pq_;
  std::string conninfo_;
  ChangeBus& bus_;
  std::atomic<bool> stop_{false};
  std::atomic<bool> connected_{false};
  int wake_fd_[2] = {-1, -1};
  std::thread thread_;
};

}  // namespace gh::store
