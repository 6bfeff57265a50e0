// The admin API under /api/v1/environments/{env}/...: organizations, API keys, security
// policies and the audit trail. Every route goes through one guard: environment, API key,
// scope (environment-wide or one organization), read or write, and rate limits.
#pragma once

#include <functional>

#include "http/router.h"
#include "tenancy/environment_cache.h"
#include "tenancy/rate_limiter.h"
#include "tenancy/service.h"

namespace gh::tenancy {

struct AdminRequest {
  http::Request& http;
  const store::Environment& env;
  const Principal& principal;
  Actor actor;
};

enum class Access { read, write };
enum class Scope {
  environment,   // environment-wide keys only (admin, read_only)
  organization,  // a route with {org}: environment keys, or that organization's own key
};

using AdminHandler = std::function<http::Response(AdminRequest&)>;

class AdminApi {
 public:
  AdminApi(TenancyService& service, EnvironmentCache& environments, store::Store& store,
           RateLimiter& limiter);
  void add_routes(http::Router& router);

  // For other modules' admin routes (events, webhooks, domains, ...): the same guard.
  void add(http::Router& router, const std::string& method, const std::string& pattern,
           Access access, Scope scope, AdminHandler handler, int64_t max_body_bytes = 64 * 1024);

 private:
  TenancyService& service_;
  EnvironmentCache& environments_;
  store::Store& store_;
  RateLimiter& limiter_;
};

}  // namespace gh::tenancy
