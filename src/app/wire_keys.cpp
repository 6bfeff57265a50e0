// Keys in the server: each issuer's JWKS, the keys admin API, and the rotation worker.
#include <chrono>

#include "app/extensions.h"
#include "core/log.h"
#include "tenancy/key_routes.h"

namespace gh::app {

GATEHOUSE_REGISTER_ROUTES(keys, [](ServerContext& ctx, http::Router& router) {
  tenancy::add_key_routes(ctx.admin_api, router, ctx.environments, ctx.keys);
});

GATEHOUSE_REGISTER_WORKERS(keys, [](ServerContext& ctx) {
  std::vector<BackgroundWorker> workers;
  const auto interval = std::chrono::seconds(ctx.config.key_rotation_check_s);
  // At start (new environments get their keys) and then on the interval.
  workers.push_back(
      {.name = "key-rotation", .tick = [keys = ctx.keys, interval]() -> std::chrono::milliseconds {
         auto n = keys->rotate_all_due();
         if (!n) {
           log::warn("key rotation check failed", {{"error", n.error().text()}});
         }
         return interval;
       }});
  return workers;
});

}  // namespace gh::app
