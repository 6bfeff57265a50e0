// The OIDC provider in the server: the token, introspection, revocation, UserInfo and
// discovery endpoints, the applications/resources admin API, and the purge of expired grant
// state.
#include "app/wire_oauth.h"

#include <chrono>

#include "catalog/claims.h"
#include "catalog/service.h"
#include "core/log.h"
#include "oauth/admin_routes.h"
#include "oauth/routes.h"
#include "oauth/token_signer.h"
#include "tenancy/signing_keys.h"

namespace gh::app {

UserDirectoryFactory& user_directory_factory() {
  static UserDirectoryFactory f;
  return f;
}

namespace {

// Everything the provider holds, owned together (the provider keeps references).
struct OAuthModule {
  std::unique_ptr<oauth::KeyServiceSigner> signer;
  std::unique_ptr<oauth::ApplicationGrantPermissions> permissions;
  std::shared_ptr<identity::UserDirectory> users;
  std::shared_ptr<catalog::CatalogService> catalog;
  std::unique_ptr<oauth::Provider> provider;
};

}  // namespace

GATEHOUSE_REGISTER_ROUTES(oauth, [](ServerContext& ctx, http::Router& router) {
  auto m = std::make_shared<OAuthModule>();
  m->signer = std::make_unique<oauth::KeyServiceSigner>(ctx.keys);
  m->permissions = std::make_unique<oauth::ApplicationGrantPermissions>(ctx.store);
  if (user_directory_factory()) m->users = user_directory_factory()(ctx);
  m->catalog = std::make_shared<catalog::CatalogService>(ctx.store, ctx.tenancy);
  auto catalog = m->catalog;
  m->provider = std::make_unique<oauth::Provider>(oauth::ProviderOptions{
      .store = ctx.store,
      .signer = *m->signer,
      .hasher = ctx.tenancy.hasher(),
      .permissions = *m->permissions,
      .users = m->users.get(),
      .claims_supported =
          [catalog](const store::Environment& env) -> Result<std::vector<std::string>> {
        auto effective = catalog->effective(env, "");
        if (!effective) return fail(effective.error());
        return catalog::claims_supported(*effective);
      }});
  oauth::add_oauth_routes(router, ctx.environments,
                          std::shared_ptr<oauth::Provider>(m, m->provider.get()));
  oauth::add_application_routes(
      ctx.admin_api, router, std::make_shared<oauth::ApplicationService>(ctx.store, ctx.tenancy));
});

GATEHOUSE_REGISTER_WORKERS(oauth, [](ServerContext& ctx) {
  std::vector<BackgroundWorker> workers;
  // Once a minute on the shared scheduler thread: drop expired pending requests, codes,
  // refresh tokens and deny-list rows.
  workers.push_back(
      {.name = "oauth-purge", .tick = [&store = ctx.store]() -> std::chrono::milliseconds {
         const int64_t now = SystemClock::instance().now_ms();
         auto n = store.transact<int>(
             [&](store::Repositories& r) { return r.oauth_grants().purge_expired(now); });
         if (!n) log::warn("oauth purge failed", {{"error", std::string(n.error().code_name())}});
         // Issue 7: spent client-assertion and DPoP-proof jtis past their JWT's lifetime.
         auto marks = store.transact<int>(
             [&](store::Repositories& r) { return r.replays().purge_expired(now); });
         if (!marks) {
           log::warn("replay-mark purge failed",
                     {{"error", std::string(marks.error().code_name())}});
         }
         return std::chrono::minutes(1);
       }});
  return workers;
});

}  // namespace gh::app
