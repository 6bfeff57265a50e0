// How modules plug into the running server without editing shared wiring: each module adds a
// src/app/wire_<module>.cpp that registers its routes and its background workers here.
#pragma once

#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <stop_token>
#include <string>
#include <vector>

#include "core/config.h"
#include "http/router.h"
#include "store/store.h"

namespace gh::tenancy {
class AdminApi;
class EnvironmentCache;
class TenancyService;
class Sealing;
class KeyService;
}  // namespace gh::tenancy

namespace gh::app {

// Services that several modules' wiring share (one session service for hosted login and the
// OIDC provider, ...), created by the first module that asks and owned by the server: they live
// exactly as long as it does.
class SharedServices {
 public:
  template <class T, class Make>
  std::shared_ptr<T> get_or_create(const std::string& name, Make&& make) {
    std::lock_guard lock(mu_);
    auto& slot = items_[name];
    if (!slot) slot = std::shared_ptr<T>(make());
    return std::static_pointer_cast<T>(slot);
  }

 private:
  std::mutex mu_;
  std::map<std::string, std::shared_ptr<void>> items_;
};

// What a module may use from the server process.
struct ServerContext {
  const Config& config;
  store::Store& store;
  tenancy::EnvironmentCache& environments;
  tenancy::TenancyService& tenancy;
  tenancy::AdminApi& admin_api;  // admin_api.add(router, ...) applies the API-key guard
  tenancy::Sealing& sealing;     // seal/open tenant data; check an organization's KEK
  std::shared_ptr<tenancy::KeyService> keys;  // signing keys and JWKS per issuer
  std::shared_ptr<SharedServices> shared = std::make_shared<SharedServices>();
};

// Routes: called once while the router is built (before the catch-all GET /{env}).
using RouteRegistrar = std::function<void(ServerContext&, http::Router&)>;
std::vector<RouteRegistrar>& route_registrars();
struct RegisterRoutes {
  explicit RegisterRoutes(RouteRegistrar r) { route_registrars().push_back(std::move(r)); }
};

// Background work, from server start until shutdown, in one of two forms:
// - `tick` (preferred): periodic work that finishes quickly (store reads and writes, a DNS
//   lookup with a timeout). Every tick of the process shares one scheduler thread, taking
//   turns; a tick returns how long until it wants to run again (0: more is waiting, run again
//   after the others had their turn). An idle thread is not free: each costs its stack pages,
//   a malloc arena and the store session it keeps warm (issue 2's idle-memory target).
// - `run`: its own thread, for work that blocks for long (outbound HTTP calls); it loops until
//   the stop token fires and must then return promptly.
// Set exactly one of the two.
struct BackgroundWorker {
  std::string name;
  std::function<void(std::stop_token)> run;
  std::function<std::chrono::milliseconds()> tick;
};
using WorkerFactory = std::function<std::vector<BackgroundWorker>(ServerContext&)>;
std::vector<WorkerFactory>& worker_factories();
struct RegisterWorkers {
  explicit RegisterWorkers(WorkerFactory f) { worker_factories().push_back(std::move(f)); }
};

}  // namespace gh::app

#define GATEHOUSE_REGISTER_ROUTES(name, ...) \
  static const ::gh::app::RegisterRoutes gatehouse_register_routes_##name { __VA_ARGS__ }
#define GATEHOUSE_REGISTER_WORKERS(name, ...) \
  static const ::gh::app::RegisterWorkers gatehouse_register_workers_##name { __VA_ARGS__ }
