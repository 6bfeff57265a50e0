// Verified domains in the server: the admin API routes and the scheduled re-verification.
#include <algorithm>
#include <chrono>
#include <memory>
#include <stdexcept>

#include "app/extensions.h"
#include "core/log.h"
#include "tenancy/domain_routes.h"

namespace gh::app {
namespace {

// The DNS resolver and the service hold no state of their own beyond configuration, so the
// routes and the worker each get theirs, owned by what uses them.
struct DomainsModule {
  std::unique_ptr<tenancy::StubTxtResolver> resolver;
  std::unique_ptr<tenancy::DomainService> service;
};

std::shared_ptr<DomainsModule> make_module(ServerContext& ctx) {
  auto resolver = tenancy::StubTxtResolver::create(ctx.config.dns_nameserver,
                                                   ctx.config.domain_check_timeout_ms);
  if (!resolver) throw std::runtime_error(resolver.error().text());
  auto m = std::make_shared<DomainsModule>();
  m->resolver = std::move(*resolver);
  m->service = std::make_unique<tenancy::DomainService>(
      ctx.store, *m->resolver, ctx.config.domain_reverify_interval_s * 1000);
  return m;
}

}  // namespace

GATEHOUSE_REGISTER_ROUTES(domains, [](ServerContext& ctx, http::Router& router) {
  auto m = make_module(ctx);
  // The service pointer shares ownership of the module (resolver included).
  tenancy::add_domain_routes(ctx.admin_api, router,
                             std::shared_ptr<tenancy::DomainService>(m, m->service.get()));
});

GATEHOUSE_REGISTER_WORKERS(domains, [](ServerContext& ctx) {
  auto m = make_module(ctx);
  std::vector<BackgroundWorker> workers;
  // Look for due domains at least once a second (the interval may be shorter in tests). One
  // domain per tick: a DNS server that does not answer holds the shared scheduler for at most
  // domain_check_timeout_ms before the other tasks get their turn; a domain checked means
  // more may be due, so come back right after them.
  const auto poll =
      std::chrono::milliseconds(std::min<int64_t>(1000, m->service->reverify_interval_ms()));
  workers.push_back(
      {.name = "domain-reverification", .tick = [m, poll]() -> std::chrono::milliseconds {
         auto checked = m->service->reverify_due(1);
         if (!checked) {
           log::warn("domain re-verification",
                     {{"error", std::string(checked.error().code_name())}});
           return poll;
         }
         return *checked > 0 ? std::chrono::milliseconds(0) : poll;
       }});
  return workers;
});

}  // namespace gh::app
