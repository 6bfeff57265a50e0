#include "app/routes.h"

#include <malloc.h>

#include <algorithm>
#include <condition_variable>
#include <mutex>

#include "core/log.h"

namespace gh::app {

std::vector<RouteRegistrar>& route_registrars() {
  static std::vector<RouteRegistrar> r;
  return r;
}
std::vector<WorkerFactory>& worker_factories() {
  static std::vector<WorkerFactory> f;
  return f;
}

namespace {

// Runs every tick on this one thread, each when it is due, in turn; returns at `stop`.
void run_scheduler(std::vector<BackgroundWorker> tasks, std::stop_token stop) {
  using clock = std::chrono::steady_clock;
  std::vector<clock::time_point> due(tasks.size(), clock::now());
  // Start-up (migrations, caches, the first round of every task) leaves freed heap behind in
  // this and the other threads' arenas; hand it back once things have settled.
  auto trim_at = clock::now() + std::chrono::seconds(1);
  std::mutex mu;
  std::condition_variable_any wake;
  while (!stop.stop_requested()) {
    for (size_t i = 0; i < tasks.size() && !stop.stop_requested(); ++i) {
      if (due[i] > clock::now()) continue;
      std::chrono::milliseconds next{1000};
      try {
        next = tasks[i].tick();
      } catch (const std::exception& e) {
        log::error("background task failed", {{"task", tasks[i].name}, {"error", e.what()}});
      }
      due[i] = clock::now() + next;
    }
    if (trim_at != clock::time_point::max() && clock::now() >= trim_at) {
      malloc_trim(0);
      trim_at = clock::time_point::max();
    }
    const auto until = std::min(*std::min_element(due.begin(), due.end()), trim_at);
    std::unique_lock lock(mu);
    wake.wait_until(lock, stop, until, [] { return false; });
  }
}

}  // namespace

void App::start_workers() {
  std::vector<BackgroundWorker> ticks;
  for (auto& factory : worker_factories()) {
    for (auto& worker : factory(context_)) {
      if (worker.tick) {
        ticks.push_back(std::move(worker));
        continue;
      }
      workers_.emplace_back([w = std::move(worker)](std::stop_token stop) {
        try {
          w.run(stop);
        } catch (const std::exception& e) {
          log::error("background worker stopped", {{"worker", w.name}, {"error", e.what()}});
        }
      });
    }
  }
  if (!ticks.empty()) {
    workers_.emplace_back(
        [tasks = std::move(ticks)](std::stop_token stop) { run_scheduler(tasks, stop); });
  }
}

void App::stop_workers() {
  for (auto& w : workers_) w.request_stop();
  workers_.clear();  // joins
}

App::App(const Config& config, store::Store& store, std::string pepper,
         std::unique_ptr<tenancy::Sealing> sealing)
    : config_(config),
      store_(store),
      environments_(store, std::chrono::milliseconds(config.cache_ttl_ms)),
      tenancy_(store, tenancy::SecretHasher(std::move(pepper))),
      admin_limiter_(static_cast<double>(config.rate_limit_admin_per_s),
                     static_cast<double>(config.rate_limit_admin_burst)),
      admin_api_(tenancy_, environments_, store, admin_limiter_),
      sealing_(std::move(sealing)),
      keys_(std::make_shared<tenancy::KeyService>(store, *sealing_, tenancy_, config.public_url)),
      metrics_(std::make_shared<http::Metrics>()),
      router_(std::make_shared<http::Router>()),
      metrics_router_(std::make_shared<http::Router>()),
      context_{config, store, environments_, tenancy_, admin_api_, *sealing_, keys_} {
  const bool separate_metrics = !config.metrics_listen.empty();
  add_system_routes(*router_, !separate_metrics);
  admin_api_.add_routes(*router_);
  for (auto& registrar : route_registrars()) registrar(context_, *router_);
  add_environment_routes(*router_);
  if (separate_metrics) {
    auto& r = *metrics_router_;
    r.add("GET", "/metrics",
          [m = metrics_](http::Request&) {
            return http::Response::text(200, m->render(), "text/plain; version=0.0.4");
          },
          {.inline_handler = true});
  }
  std::vector<std::string> names;
  for (const auto& route : router_->routes()) names.push_back(route->method + " " + route->pattern);
  metrics_->set_routes(std::move(names));
  metrics_->add_gauge_source([&store] {
    const auto s = store.pool_stats();
    return std::vector<std::pair<std::string, double>>{
        {"gatehouse_store_pool_size", s.size},
        {"gatehouse_store_pool_in_use", s.in_use},
        {"gatehouse_store_pool_waits_total", static_cast<double>(s.waits)},
        {"gatehouse_store_pool_timeouts_total", static_cast<double>(s.timeouts)}};
  });
}

void App::add_system_routes(http::Router& r, bool with_metrics) {
  // Unauthenticated by design: load balancers and Prometheus call these.
  r.add("GET", "/healthz",
        [](http::Request&) {
          http::Response res;
          res.headers.emplace_back("Content-Type", "application/json");
          res.headers.emplace_back("Cache-Control", "no-store");
          res.body = R"({"status":"ok"})";
          return res;
        },
        {.inline_handler = true});

  r.add("GET", "/readyz", [this](http::Request& req) {
    auto status = store_.migration_status();
    if (!status) return http::Response::problem(status.error(), req);
    if (!status->up_to_date()) {
      return http::Response::problem(
          Error(errc::StoreMigrationsPending,
                "The store schema is at version " + std::to_string(status->current) +
                    ", this node needs " + std::to_string(status->latest) +
                    "; run `gatehouse migrate`"),
          req);
    }
    auto res = http::Response::json(
        200, {{"status", "ready"},
              {"store", store_.backend() == store::Backend::sqlite ? "sqlite" : "postgres"},
              {"migrations", {{"current", status->current}, {"latest", status->latest}}}});
    res.set_header("Cache-Control", "no-store");
    return res;
  });

  if (with_metrics) {
    r.add("GET", "/metrics",
          [m = metrics_](http::Request&) {
            return http::Response::text(200, m->render(), "text/plain; version=0.0.4");
          },
          {.inline_handler = true});
  }
}

void App::add_environment_routes(http::Router& r) {
  // The public face of an environment (like Keycloak's /realms/{realm}): its issuer and kind.
  // Served from the environment cache, so it shows how fast changes reach every node.
  r.add("GET", "/{env}", [this](http::Request& req) {
    auto env = environments_.get(req.param("env"));
    if (!env) return http::Response::problem(env.error(), req);
    auto res = http::Response::json(200, {{"environment", env->name},
                                          {"display_name", env->display_name},
                                          {"kind", env->kind},
                                          {"issuer", config_.public_url + "/" + env->name}});
    res.set_header("Cache-Control", "no-cache");
    return res;
  });
}

}  // namespace gh::app
