// Connections and hosted login in the server: the connections admin API, the login pages, the
// callback, and the hourly purge of expired login transactions and traces.
#include <openssl/evp.h>

#include <chrono>
#include <condition_variable>
#include <cstdlib>
#include <mutex>

#include "app/extensions.h"
#include "app/login_seams.h"
#include "core/encoding.h"
#include "core/log.h"
#include "federation/routes.h"
#include "tenancy/admin_routes.h"

namespace gh::app {

std::vector<LoginSeamProvider>& login_seam_providers() {
  static std::vector<LoginSeamProvider> p;
  return p;
}

namespace {

// Test scaffolding, on only with GATEHOUSE_TEST_FAKE_LOGIN=1 and only for seams no module
// provides: lets tests/integration/login.test.mjs drive hosted login end to end on a branch
// without the OIDC provider and the identity service. A fake request id is "fake_" +
// base64url(JSON of the LoginRequest fields); the fake resolver maps (connection, issuer,
// subject) to a stable id; the fake session starter issues a random cookie.
class FakeLoginRequests final : public federation::LoginRequestSource {
 public:
  explicit FakeLoginRequests(std::string public_url) : public_url_(std::move(public_url)) {}
  Result<federation::LoginRequest> find(std::string_view environment_id,
                                        std::string_view id) override {
    if (id.rfind("fake_", 0) != 0) return fail(ErrorCode::LoginRequestNotFound);
    auto raw = base64url_decode(id.substr(5));
    auto j = raw ? nlohmann::json::parse(*raw, nullptr, false) : nlohmann::json();
    if (!j.is_object()) return fail(ErrorCode::LoginRequestNotFound);
    federation::LoginRequest r;
    r.environment_id = std::string(environment_id);
    r.id = std::string(id);
    r.client_id = j.value("client_id", "fake-client");
    r.client_name = j.value("client_name", "Fake client");
    r.login_hint = j.value("login_hint", "");
    r.domain_hint = j.value("domain_hint", "");
    r.organization_id = j.value("organization", "");
    r.connection_id = j.value("connection", "");
    r.acr_values = j.value("acr_values", std::vector<std::string>{});
    r.acr_essential = j.value("acr_essential", false);
    r.resume_url = j.value("resume_url", public_url_ + "/fake-resume");
    return r;
  }

 private:
  std::string public_url_;
};

class FakeResolver final : public identity::IdentityResolver {
 public:
  Result<identity::ResolvedUser> resolve(const identity::LoginIdentity& id, bool) override {
    const std::string key = id.connection_id + "|" + id.issuer + "|" + id.subject;
    unsigned char d[EVP_MAX_MD_SIZE];
    unsigned int n = 0;
    EVP_Digest(key.data(), key.size(), d, &n, EVP_sha256(), nullptr);
    return identity::ResolvedUser{
        "fake-user-" + to_hex(std::string_view(reinterpret_cast<const char*>(d), n)).substr(0, 16),
        false, false};
  }
};

class FakeSessions final : public sessions::SessionStarter {
 public:
  Result<sessions::StartedSession> start(const sessions::NewSession& s) override {
    sessions::StartedSession out;
    out.session.sid = SecureRandom::instance().base64url(16);
    out.session.environment_id = s.environment_id;
    out.session.organization_id = s.organization_id;
    out.session.user_id = s.user_id;
    out.session.connection_id = s.connection_id;
    out.session.auth_time_ms = s.auth_time_ms;
    out.session.acr = s.acr;
    out.session.amr = s.amr;
    out.cookie_value = "gh_ss_fake_" + SecureRandom::instance().base64url(32);
    out.cookie_max_age_s = 3600;
    return out;
  }
};

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

  LoginSeamFactories factories;
  for (auto& provide : login_seam_providers()) provide(ctx, factories);
  federation::LoginSeams seams;
  if (factories.requests) seams.requests = factories.requests();
  if (factories.resolver) seams.resolver = factories.resolver();
  if (factories.sessions) seams.sessions = factories.sessions();
  const char* fake = std::getenv("GATEHOUSE_TEST_FAKE_LOGIN");
  if (fake && std::string(fake) == "1") {
    log::warn("fake login seams for tests are on", {{"variable", "GATEHOUSE_TEST_FAKE_LOGIN"}});
    if (!seams.requests)
      seams.requests = std::make_shared<FakeLoginRequests>(ctx.config.public_url);
    if (!seams.resolver) seams.resolver = std::make_shared<FakeResolver>();
    if (!seams.sessions) seams.sessions = std::make_shared<FakeSessions>();
  }
  m->login = std::make_unique<federation::HostedLogin>(ctx.store, ctx.tenancy, ctx.sealing,
                                                       *m->catalog, *m->connections,
                                                       std::move(seams), ctx.config.public_url);
  // The login pointer shares ownership of the module (catalog and connections included).
  federation::add_hosted_login_routes(router, ctx.environments,
                                      std::shared_ptr<federation::HostedLogin>(m, m->login.get()));
});

GATEHOUSE_REGISTER_WORKERS(federation, [](ServerContext& ctx) {
  std::vector<BackgroundWorker> workers;
  workers.push_back(
      {"login-trace-purge", [&st = ctx.store](std::stop_token stop) {
         std::mutex mu;
         std::condition_variable_any wake;
         while (!stop.stop_requested()) {
           const int64_t now = SystemClock::instance().now_ms();
           auto purged = st.transact<int64_t>([&](store::Repositories& r) -> Result<int64_t> {
             auto traces = r.login_traces().purge_expired(now);
             if (!traces) return traces;
             auto txs = r.connections().purge_transactions(now);
             if (!txs) return txs;
             return *traces + *txs;
           });
           if (!purged) {
             log::warn("login trace purge", {{"error", std::string(purged.error().code_name())}});
           }
           std::unique_lock lock(mu);
           wake.wait_for(lock, stop, std::chrono::hours(1), [] { return false; });
         }
       }});
  return workers;
});

}  // namespace gh::app
