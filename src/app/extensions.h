// How modules plug into the running server without editing shared wiring: each module adds a
// src/app/wire_<module>.cpp that registers its routes and its background workers here.
#pragma once

#include <functional>
#include <memory>
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

// What a module may use from the server process.
struct ServerContext {
  const Config& config;
  store::Store& store;
  tenancy::EnvironmentCache& environments;
  tenancy::TenancyService& tenancy;
  tenancy::AdminApi& admin_api;  // admin_api.add(router, ...) applies the API-key guard
  tenancy::Sealing& sealing;     // seal/open tenant data; check an organization's KEK
  std::shared_ptr<tenancy::KeyService> keys;  // signing keys and JWKS per issuer
};

// Routes: called once while the router is built (before the catch-all GET /{env}).
using RouteRegistrar = std::function<void(ServerContext&, http::Router&)>;
std::vector<RouteRegistrar>& route_registrars();
struct RegisterRoutes {
  explicit RegisterRoutes(RouteRegistrar r) { route_registrars().push_back(std::move(r)); }
};

// Background workers (outbox delivery, domain re-verification, ...): each runs on its own
// thread from server start until the stop token fires at shutdown; it must return promptly.
struct BackgroundWorker {
  std::string name;
  std::function<void(std::stop_token)> run;
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
