// The HTTP/1.1 server (Boost.Beast/Asio, C++20 coroutines). Beast lives only in server.cpp.
//
// Threads: `io_threads` event loops (one io_context each; accepted connections are spread
// round-robin) and a bounded pool of `worker_threads` for handlers that block (store, crypto).
// Limits answer, never crash: header bytes → 431, body bytes per route → 413, connections and
// worker queue → 503, slow requests → 408. SIGTERM/SIGINT drain: stop accepting, close idle
// keep-alive connections, let in-flight requests finish (Connection: close), then stop.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>

#include "core/result.h"
#include "http/metrics.h"
#include "http/proxy.h"
#include "http/router.h"

namespace gh::http {

struct ServerOptions {
  std::string host = "127.0.0.1";
  uint16_t port = 8080;  // 0: pick a free port (tests)
  std::string tls_cert_file;
  std::string tls_key_file;
  int io_threads = 0;      // 0: hardware concurrency
  int worker_threads = 0;  // 0: 2 × hardware concurrency
  int64_t worker_queue_limit = 1024;
  int64_t max_connections = 10000;
  int64_t max_header_bytes = 16 * 1024;
  int64_t max_body_bytes = 1024 * 1024;
  std::chrono::milliseconds read_timeout{10'000};
  std::chrono::milliseconds idle_timeout{60'000};
  TrustedProxies trusted_proxies;
  bool access_log = true;
  std::string name = "http";  // for log lines ("http", "metrics")
};

class Server {
 public:
  Server(ServerOptions options, std::shared_ptr<const Router> router,
         std::shared_ptr<Metrics> metrics);
  ~Server();
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  // Binds and starts the threads; returns the bound port.
  Result<uint16_t> start();
  // Graceful: stop accepting, finish in-flight requests within `timeout`, then stop. Idempotent.
  void drain(std::chrono::milliseconds timeout);
  bool draining() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace gh::http
