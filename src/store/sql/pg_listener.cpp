#include "store/sql/pg_listener.h"

#include <poll.h>
#include <unistd.h>

#include <chrono>

#include "core/log.h"

namespace gh::store {

PgListener::~PgListener() {
  stop_ = true;
  if (wake_fd_[1] >= 0) {
    const char b = 1;
    [[maybe_unused]] auto n = write(wake_fd_[1], &b, 1);
  }
  if (thread_.joinable()) thread_.join();
  for (int fd : wake_fd_) {
    if (fd >= 0) close(fd);
  }
}

void PgListener::start() {
  if (pipe(wake_fd_) != 0) wake_fd_[0] = wake_fd_[1] = -1;
  thread_ = std::thread([this] { loop(); });
}

void PgListener::loop() {
  int backoff_ms = 100;
  while (!stop_) {
    const char* keys[] = {"dbname", "application_name", nullptr};
    const char* values[] = {conninfo_.c_str(), "gatehouse-listener", nullptr};
    PGconn* conn = pq_.PQconnectdbParams(keys, values, 1);
    bool ok = pq_.PQstatus(conn) == CONNECTION_OK;
    if (ok) {
      PGresult* res = pq_.PQexec(conn, "LISTEN gatehouse_changes");
      ok = pq_.PQresultStatus(res) == PGRES_COMMAND_OK;
      pq_.PQclear(res);
    }
    if (!ok) {
      log::warn("change listener cannot connect; retrying", {{"backoff_ms", backoff_ms}});
      pq_.PQfinish(conn);
      bus_.publish_flush_all();
      pollfd p{wake_fd_[0], POLLIN, 0};
      poll(&p, 1, backoff_ms);
      backoff_ms = std::min(backoff_ms * 2, 5000);
      continue;
    }
    backoff_ms = 100;
    connected_ = true;
    // Anything may have changed while we were not listening.
    bus_.publish_flush_all();
    while (!stop_) {
      pollfd fds[2] = {{pq_.PQsocket(conn), POLLIN, 0}, {wake_fd_[0], POLLIN, 0}};
      const int n = poll(fds, 2, 1000);
      if (n < 0 && errno != EINTR) break;
      if (stop_) break;
      if (pq_.PQconsumeInput(conn) == 0 || pq_.PQstatus(conn) != CONNECTION_OK) break;
      while (PGnotify* note = pq_.PQnotifies(conn)) {
        bus_.publish(ChangeBus::decode(note->extra ? note->extra : ""));
        pq_.PQfreemem(note);
      }
    }
    connected_ = false;
    pq_.PQfinish(conn);
    if (!stop_) {
      log::warn("change listener connection lost; flushing caches and reconnecting");
      bus_.publish_flush_all();
    }
  }
}

}  // namespace gh::store
