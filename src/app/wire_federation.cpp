// Connections and hosted login in the server: the connections admin API, the login pages, the
// callback, and the hourly purge of expired login transactions and traces.
#include <chrono>

#include "app/extensions.h"
#include "app/login_seams.h"
#include "core/log.h"
#include "federation/oidc/metadata_refresh.h"
#include "federation/oidc/oidc_routes.h"
#include "federation/routes.h"
#include "federation/saml/metadata_refresh.h"
#include "federation/saml/saml_routes.h"
#include "tenancy/admin_routes.h"

namespace gh::app {

std::vector<LoginSeamProvider>& login_seam_providers() {
  static std::vector<LoginSeamProvider> p;
  return p;
}

namespace {

struct FederationModule {
  std::unique_ptr<catalog::CatalogService> catalog;
  std::shared_ptr<federation::ConnectionService> connections;
  std::unique_ptr<federation::HostedLogin> login;
};

std::shared_ptr<FederationModule> make_module(ServerContext& ctx) {
  auto m = std::make_shared<FederationModule>();
  m->catalog = std::make_unique<catalog::CatalogService>(ctx.store, ctx.tenancy);
  m->connections = std::make_shared<federation::ConnectionService>(
      ctx.store, ctx.tenancy, ctx.sealing, m->catalog.get(), ctx.config.public_url,
      ctx.config.login_trace_retention_days);
  return m;
}

}  // namespace

GATEHOUSE_REGISTER_ROUTES(federation, [](ServerContext& ctx, http::Router& router) {
  auto m = make_module(ctx);
  federation::add_connection_routes(ctx.admin_api, router, m->connections);
  federation::saml::add_saml_routes(router, ctx.environments, m->connections, m->catalog.get());
  federation::oidc::add_oidc_routes(router, ctx.environments, m->connections);

  LoginSeamFactories factories;
  for (auto& provide : login_seam_providers()) provide(ctx, factories);
  federation::LoginSeams seams;
  if (factories.requests) seams.requests = factories.requests();
  if (factories.resolver) seams.resolver = factories.resolver();
  if (factories.sessions) seams.sessions = factories.sessions();
  m->login = std::make_unique<federation::HostedLogin>(ctx.store, ctx.tenancy, ctx.sealing,
                                                       *m->catalog, *m->connections,
                                                       std::move(seams), ctx.config.public_url);
  // The login pointer shares ownership of the module (catalog and connections included).
  federation::add_hosted_login_routes(router, ctx.environments,
                                      std::shared_ptr<federation::HostedLogin>(m, m->login.get()));
});

GATEHOUSE_REGISTER_WORKERS(federation, [](ServerContext& ctx) {
  std::vector<BackgroundWorker> workers;
  // Hourly on the shared scheduler thread: drop expired login traces and transactions.
  workers.push_back(
      {.name = "login-trace-purge", .tick = [&st = ctx.store]() -> std::chrono::milliseconds {
         const int64_t now = SystemClock::instance().now_ms();
         auto purged = st.transact<int64_t>([&](store::Repositories& r) -> Result<int64_t> {
           auto traces = r.login_traces().purge_expired(now);
           if (!traces) return traces;
           auto txs = r.connections().purge_transactions(now);
           if (!txs) return txs;
           auto saml_ids = r.saml_assertions().purge_expired(now);
           if (!saml_ids) return saml_ids;
           return *traces + *txs + *saml_ids;
         });
         if (!purged) {
           log::warn("login trace purge", {{"error", std::string(purged.error().code_name())}});
         }
         return std::chrono::hours(1);
       }});
  // OIDC discovery documents older than a day, re-fetched and stored (issue 9): one connection
  // per step (one fetch, 5 s timeout), a step every 10 s while some are due, else each minute.
  auto refresher = std::make_shared<federation::oidc::MetadataRefresher>(ctx.store, ctx.tenancy);
  workers.push_back(
      {.name = "oidc-metadata-refresh", .tick = [refresher]() -> std::chrono::milliseconds {
         auto due = refresher->refresh_next();
         if (!due) {
           log::warn("oidc metadata refresh", {{"error", std::string(due.error().code_name())}});
           return std::chrono::minutes(1);
         }
         return *due ? std::chrono::seconds(10) : std::chrono::minutes(1);
       }});
  // SAML IdP metadata fetched from a URL: walk the SAML connections, refresh one due per turn
  // (federation/saml/metadata_refresh.h).
  auto saml_refresher =
      std::make_shared<federation::saml::IdpMetadataRefresher>(ctx.store, ctx.tenancy);
  workers.push_back({.name = "saml-metadata-refresh",
                     .tick = [saml_refresher]() { return saml_refresher->tick(); }});
  return workers;
});

}  // namespace gh::app
