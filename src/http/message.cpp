#include "http/message.h"

#include <strings.h>

#include "core/encoding.h"

namespace gh::http {

std::optional<std::string_view> Request::header(std::string_view name) const {
  for (const auto& [k, v] : headers) {
    if (k.size() == name.size() && strncasecmp(k.data(), name.data(), k.size()) == 0) return v;
  }
  return std::nullopt;
}

const std::string& Request::param(std::string_view name) const {
  static const std::string empty;
  for (const auto& [k, v] : params) {
    if (k == name) return v;
  }
  return empty;
}

std::optional<std::string> Request::query_param(std::string_view name) const {
  auto parsed = parse_query(query);
  if (!parsed) return std::nullopt;
  for (auto& [k, v] : *parsed) {
    if (k == name) return std::move(v);
  }
  return std::nullopt;
}

Response& Response::set_header(std::string name, std::string value) {
  for (auto& [k, v] : headers) {
    if (strcasecmp(k.c_str(), name.c_str()) == 0) {
      v = std::move(value);
      return *this;
    }
  }
  headers.emplace_back(std::move(name), std::move(value));
  return *this;
}

Response Response::json(int status, const nlohmann::json& body) {
  Response r;
  r.status = status;
  r.headers.emplace_back("Content-Type", "application/json");
  r.body = body.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  return r;
}

Response Response::text(int status, std::string body, std::string content_type) {
  Response r;
  r.status = status;
  r.headers.emplace_back("Content-Type", std::move(content_type));
  r.body = std::move(body);
  return r;
}

Response Response::problem(const Error& error, const Request& request) {
  Response r;
  r.status = error.http_status();
  r.headers.emplace_back("Content-Type", "application/problem+json");
  r.body = error.to_problem(request.request_id, request.path)
               .dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  return r;
}

}  // namespace gh::http
