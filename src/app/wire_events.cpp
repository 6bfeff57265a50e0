// Events: the events API and webhook routes, and the background threads that fan the outbox
// out into webhook deliveries and send them.
#include <unistd.h>

#include <condition_variable>
#include <mutex>

#include "app/extensions.h"
#include "core/log.h"
#include "core/random.h"
#include "events/routes.h"
#include "oauth/token_signer.h"

namespace gh::app {
namespace {

events::RetryPolicy retry_policy(const Config& c) {
  return {c.webhook_retry_base_ms, c.webhook_retry_max_ms, c.webhook_max_attempts};
}

// Sleeps up to `ms`, waking at once when `stop` fires.
void nap(std::stop_token stop, int ms) {
  std::mutex mu;
  std::condition_variable_any cv;
  std::unique_lock lock(mu);
  cv.wait_for(lock, stop, std::chrono::milliseconds(ms), [] { return false; });
}

}  // namespace

GATEHOUSE_REGISTER_ROUTES(events, [](ServerContext& ctx, http::Router& router) {
  auto service =
      std::make_shared<events::WebhookService>(ctx.store, ctx.sealing, retry_policy(ctx.config));
  events::add_event_routes(ctx.admin_api, router, ctx.store, service);
});

GATEHOUSE_REGISTER_WORKERS(events, [](ServerContext& ctx) {
  std::vector<BackgroundWorker> workers;
  const int threads = static_cast<int>(ctx.config.webhook_delivery_threads);
  if (threads == 0) return workers;
  auto service =
      std::make_shared<events::WebhookService>(ctx.store, ctx.sealing, retry_policy(ctx.config));
  // Back-channel logout tokens (issue 7) are signed by the issuer of the session's organization:
  // the environment's, or the organization's own.
  auto signer = std::make_shared<oauth::KeyServiceSigner>(ctx.keys);
  service->set_logout_token_signer([signer](const store::Environment& env,
                                            const events::LogoutNotice& n) -> Result<std::string> {
    auto issuer_org = signer->issuer_of(env, n.organization_id);
    if (!issuer_org) return fail(issuer_org.error());
    const int64_t now_s = SystemClock::instance().now_ms() / 1000;
    return signer->sign(env, *issuer_org,
                        events::logout_token_claims(n, signer->issuer_url(env, *issuer_org), now_s),
                        "logout+jwt", std::nullopt);
  });
  // Several nodes may fan out and deliver at once: the consumer position is locked per
  // environment and deliveries are leased to this node.
  const std::string node = [] {
    char host[256] = {0};
    gethostname(host, sizeof(host) - 1);
    return std::string(host) + ":" + std::to_string(getpid()) + ":" +
           SecureRandom::instance().hex(4);
  }();
  workers.push_back({.name = "events-fanout", .tick = [service]() -> std::chrono::milliseconds {
                       auto n = service->fan_out_all();
                       if (!n) log::warn("webhook fan-out failed", {{"error", n.error().text()}});
                       return std::chrono::milliseconds(n && *n > 0 ? 0 : 100);
                     }});
  const int64_t timeout_ms = ctx.config.webhook_timeout_ms;
  // Delivery thread 0 polls for due deliveries; the others sleep until it finds a full batch
  // (more is due than one thread sends) and help until the backlog is gone. An idle node so
  // keeps one delivery thread touching the store, not all of them: each one that does keeps a
  // malloc arena and a store session resident (issue 2's idle-memory target).
  struct Backlog {
    std::mutex mu;
    std::condition_variable_any grew;
    bool full = false;
  };
  auto backlog = std::make_shared<Backlog>();
  for (int i = 0; i < threads; ++i) {
    workers.push_back({"events-delivery-" + std::to_string(i),
                       [service, node, timeout_ms, i, backlog](std::stop_token stop) {
                         http::HttpClient client(
                             {.timeout_ms = timeout_ms, .connect_timeout_ms = timeout_ms});
                         const std::string owner = node + "/" + std::to_string(i);
                         constexpr int kBatch = 10;
                         while (!stop.stop_requested()) {
                           if (i > 0) {
                             std::unique_lock lock(backlog->mu);
                             if (!backlog->grew.wait(lock, stop, [&] { return backlog->full; }))
                               break;
                           }
                           auto n = service->deliver_due(client, owner, kBatch, timeout_ms);
                           if (!n)
                             log::warn("webhook delivery failed", {{"error", n.error().text()}});
                           const bool full = n && *n == kBatch;
                           if (i == 0) {
                             std::lock_guard lock(backlog->mu);
                             if (full && !backlog->full) backlog->grew.notify_all();
                             backlog->full = full;
                           }
                           if (!full) nap(stop, 100);
                         }
                       }});
  }
  return workers;
});

}  // namespace gh::app
