// Routes by method and path pattern ("/api/v1/environments/{env}/organizations/{org}"). A
// segment trie: static segments first, then one parameter child per node. Matching allocates
// only the parameter values.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "http/message.h"

namespace gh::http {

using Handler = std::function<Response(Request&)>;

struct RouteOptions {
  // Inline handlers run on the I/O thread and must not block (health, metrics, static JSON).
  // Everything else runs on the bounded worker pool.
  bool inline_handler = false;
  // Tried first on the I/O thread; when it would block (core/blocking.h: a store transaction, an
  // outbound request) it runs again on the worker pool. For handlers warm caches answer.
  bool fast_path = false;
  // Largest body this route accepts; -1 means the server default (max_body_bytes).
  int64_t max_body_bytes = -1;
  // Rate-limit class for per-tenant limits (tenancy issue): "admin", "oauth", "scim", ...
  std::string route_class = "default";
};

struct Route {
  std::string method;
  std::string pattern;
  Handler handler;
  RouteOptions options;
  size_t index = 0;  // dense id, for metrics
};

struct RouteMatch {
  const Route* route = nullptr;  // null: not found or method not allowed
  std::vector<std::pair<std::string, std::string>> params;
  bool path_exists = false;          // some method matches this path (→ 405 instead of 404)
  std::vector<std::string> allowed;  // methods for the Allow header on 405
};

class Router {
 public:
  Router();
  ~Router();
  Router(const Router&) = delete;
  Router& operator=(const Router&) = delete;

  void add(std::string method, const std::string& pattern, Handler handler,
           RouteOptions options = {});
  RouteMatch match(std::string_view method, std::string_view path) const;
  const std::vector<std::unique_ptr<Route>>& routes() const { return routes_; }

  struct Node;

 private:
  std::unique_ptr<Node> root_;
  std::vector<std::unique_ptr<Route>> routes_;
};

}  // namespace gh::http
