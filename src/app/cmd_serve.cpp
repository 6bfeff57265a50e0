// `gatehouse serve`: load the configuration, open and migrate the store, wire the routes, serve
// until SIGTERM/SIGINT, then drain.
#include <malloc.h>
#include <signal.h>

#include <chrono>
#include <iostream>

#include "app/command_registry.h"
#include "app/options.h"
#include "app/routes.h"
#include "core/log.h"
#include "http/server.h"

namespace gh::app {
namespace {

http::ServerOptions server_options(const Config& c, const http::TrustedProxies& proxies) {
  http::ServerOptions o;
  o.host = c.listen_host;
  o.port = c.listen_port;
  o.tls_cert_file = c.tls_cert;
  o.tls_key_file = c.tls_key;
  o.io_threads = static_cast<int>(c.io_threads);
  o.worker_threads = static_cast<int>(c.worker_threads);
  o.worker_queue_limit = c.worker_queue_limit;
  o.max_connections = c.max_connections;
  o.max_header_bytes = c.max_header_bytes;
  o.max_body_bytes = c.max_body_bytes;
  o.read_timeout = std::chrono::milliseconds(c.read_timeout_ms);
  o.idle_timeout = std::chrono::milliseconds(c.idle_timeout_ms);
  o.trusted_proxies = proxies;
  o.access_log = c.access_log;
  return o;
}

int serve(const ConfigFlags& flags) {
  const auto t0 = std::chrono::steady_clock::now();
  // Signals go to this thread only (sigwait below): block them before any thread starts.
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGTERM);
  sigaddset(&stop_signals, SIGINT);
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);
  signal(SIGPIPE, SIG_IGN);

  Config config = load_or_exit(flags);
  if (config.public_url.rfind("https://", 0) != 0 && !is_loopback_url(config.public_url)) {
    exit_with(Error(errc::ConfigInvalid,
                    "public_url must be https:// unless it is a loopback address; got " +
                        config.public_url),
              2);
  }
  auto proxies = http::TrustedProxies::parse(config.trusted_proxies);
  if (!proxies) exit_with(proxies.error(), 2);

  auto store = open_store_or_exit(config, config.migrate_on_start);
  auto pepper = tenancy::load_or_create_pepper(config);
  if (!pepper) exit_with(pepper.error(), 2);
  auto sealing = tenancy::Sealing::open(config, *store);
  if (!sealing) exit_with(sealing.error(), 2);
  App app(config, *store, std::move(*pepper), std::move(*sealing));

  auto main_server =
      std::make_unique<http::Server>(server_options(config, *proxies), app.router(), app.metrics());
  auto port = main_server->start();
  if (!port) exit_with(port.error(), 2);

  std::unique_ptr<http::Server> metrics_server;
  if (!config.metrics_listen.empty()) {
    auto hp = parse_host_port(config.metrics_listen);
    http::ServerOptions mo = server_options(config, *proxies);
    mo.host = hp->first;
    mo.port = hp->second;
    mo.tls_cert_file.clear();
    mo.tls_key_file.clear();
    mo.io_threads = 1;
    mo.worker_threads = 1;
    mo.name = "metrics";
    metrics_server = std::make_unique<http::Server>(mo, app.metrics_router(), app.metrics());
    auto mport = metrics_server->start();
    if (!mport) exit_with(mport.error(), 2);
  }

  app.start_workers();
  const auto ready_ms =
      std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
  log::info("gatehouse ready",
            {{"listen", config.listen_host + ":" + std::to_string(*port)},
             {"public_url", config.public_url},
             {"store", store->backend() == store::Backend::sqlite ? "sqlite" : "postgres"},
             {"tls", !config.tls_cert.empty()},
             {"startup_ms", ready_ms}});
  // Start-up's garbage (the migrations, configuration parsing, route building) goes back to the
  // OS instead of sitting in free lists for the life of the process.
  malloc_trim(0);

  int sig = 0;
  sigwait(&stop_signals, &sig);
  log::info("draining", {{"signal", sig}, {"timeout_ms", config.drain_timeout_ms}});
  main_server->drain(std::chrono::milliseconds(config.drain_timeout_ms));
  if (metrics_server) metrics_server->drain(std::chrono::milliseconds(0));
  app.stop_workers();
  log::info("stopped");
  return 0;
}

}  // namespace

GATEHOUSE_REGISTER_COMMAND(serve, [](CLI::App& root) {
  auto flags = std::make_shared<ConfigFlags>();
  auto* cmd = root.add_subcommand("serve", "Serve the HTTP API, OIDC endpoints and login pages");
  add_config_flags(cmd, flags,
                   {"listen", "public_url", "data_dir", "store", "tls_cert", "tls_key",
                    "metrics_listen", "log_level", "access_log", "io_threads", "worker_threads",
                    "cache_ttl_ms", "sqlite_synchronous"});
  // Run after main() has freed the CLI tree (see run_after_parse).
  cmd->callback([flags] { run_after_parse([flags] { return serve(*flags); }); });
});

}  // namespace gh::app
