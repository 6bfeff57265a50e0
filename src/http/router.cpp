#include "http/router.h"

#include <stdexcept>

namespace gh::http {

struct Router::Node {
  std::map<std::string, std::unique_ptr<Node>, std::less<>> statics;
  std::unique_ptr<Node> param_child;
  std::string param_name;
  std::map<std::string, const Route*> methods;
};

Router::Router() : root_(std::make_unique<Node>()) {}
Router::~Router() = default;

namespace {
std::vector<std::string_view> split_path(std::string_view path) {
  std::vector<std::string_view> parts;
  size_t i = 0;
  while (i < path.size()) {
    if (path[i] == '/') {
      ++i;
      continue;
    }
    const size_t j = path.find('/', i);
    parts.push_back(path.substr(i, j == std::string_view::npos ? std::string_view::npos : j - i));
    if (j == std::string_view::npos) break;
    i = j;
  }
  return parts;
}
}  // namespace

void Router::add(std::string method, const std::string& pattern, Handler handler,
                 RouteOptions options) {
  Node* node = root_.get();
  for (auto seg : split_path(pattern)) {
    if (seg.size() >= 2 && seg.front() == '{' && seg.back() == '}') {
      std::string name(seg.substr(1, seg.size() - 2));
      if (!node->param_child) {
        node->param_child = std::make_unique<Node>();
        node->param_name = name;
      } else if (node->param_name != name) {
        throw std::logic_error("route " + pattern + ": parameter {" + name + "} conflicts with {" +
                               node->param_name + "}");
      }
      node = node->param_child.get();
    } else {
      auto& child = node->statics[std::string(seg)];
      if (!child) child = std::make_unique<Node>();
      node = child.get();
    }
  }
  if (node->methods.count(method))
    throw std::logic_error("duplicate route " + method + " " + pattern);
  auto route = std::make_unique<Route>();
  route->method = method;
  route->pattern = pattern;
  route->handler = std::move(handler);
  route->options = std::move(options);
  route->index = routes_.size();
  node->methods[method] = route.get();
  routes_.push_back(std::move(route));
}

namespace {
// Static segments win over parameters; on a dead end we back up and try the parameter.
const Router::Node* find_node(const Router::Node* node, const std::vector<std::string_view>& segs,
                              size_t i, std::vector<std::pair<std::string, std::string>>& params) {
  if (i == segs.size()) return node->methods.empty() ? nullptr : node;
  if (auto it = node->statics.find(segs[i]); it != node->statics.end()) {
    if (auto found = find_node(it->second.get(), segs, i + 1, params)) return found;
  }
  if (node->param_child) {
    params.emplace_back(node->param_name, std::string(segs[i]));
    if (auto found = find_node(node->param_child.get(), segs, i + 1, params)) return found;
    params.pop_back();
  }
  return nullptr;
}
}  // namespace

RouteMatch Router::match(std::string_view method, std::string_view path) const {
  RouteMatch result;
  const auto segs = split_path(path);
  const Node* node = find_node(root_.get(), segs, 0, result.params);
  if (!node) return result;
  result.path_exists = true;
  auto it = node->methods.find(std::string(method));
  if (it == node->methods.end() && method == "HEAD") it = node->methods.find("GET");
  if (it == node->methods.end()) {
    for (const auto& [m, _] : node->methods) result.allowed.push_back(m);
    return result;
  }
  result.route = it->second;
  return result;
}

}  // namespace gh::http
