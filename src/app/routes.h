// Wiring: the services one server process holds and the routes they answer.
#pragma once

#include <memory>
#include <thread>
#include <vector>

#include "app/extensions.h"
#include "core/config.h"
#include "http/metrics.h"
#include "http/router.h"
#include "store/store.h"
#include "tenancy/admin_routes.h"
#include "tenancy/environment_cache.h"
#include "tenancy/rate_limiter.h"
#include "tenancy/sealing.h"
#include "tenancy/service.h"
#include "tenancy/signing_keys.h"

namespace gh::app {

class App {
 public:
  App(const Config& config, store::Store& store, std::string pepper,
      std::unique_ptr<tenancy::Sealing> sealing);
  std::shared_ptr<const http::Router> router() const { return router_; }
  std::shared_ptr<const http::Router> metrics_router() const { return metrics_router_; }
  std::shared_ptr<http::Metrics> metrics() const { return metrics_; }

  // Starts every registered background worker; stop_workers() signals and joins them.
  void start_workers();
  void stop_workers();

 private:
  void add_system_routes(http::Router& router, bool with_metrics);
  void add_environment_routes(http::Router& router);

  const Config& config_;
  store::Store& store_;
  tenancy::EnvironmentCache environments_;
  tenancy::TenancyService tenancy_;
  tenancy::RateLimiter admin_limiter_;
  tenancy::AdminApi admin_api_;
  std::unique_ptr<tenancy::Sealing> sealing_;
  std::shared_ptr<tenancy::KeyService> keys_;
  std::shared_ptr<http::Metrics> metrics_;
  std::shared_ptr<http::Router> router_;
  std::shared_ptr<http::Router> metrics_router_;
  ServerContext context_;
  std::vector<std::jthread> workers_;  // the scheduler (ticks) and every `run` worker
};

}  // namespace gh::app
