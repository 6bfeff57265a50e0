// The request and response every handler sees. Plain structs: handlers never include Beast, so
// the protocol code compiles fast and is tested without sockets.
#pragma once

#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/error.h"

namespace gh::http {

using Fields = std::vector<std::pair<std::string, std::string>>;

struct Request {
  std::string method;  // "GET"
  std::string target;  // raw request target, e.g. "/a/b?x=1"
  std::string path;    // percent-decoded path, e.g. "/a/b"
  std::string query;   // raw query string without '?'
  Fields headers;      // as received (names in their original case)
  std::string body;
  std::string peer_ip;    // the TCP peer
  std::string client_ip;  // peer, or X-Forwarded-For when the peer is a trusted proxy
  std::string scheme;     // "http" / "https" (X-Forwarded-Proto from trusted proxies)
  std::string host;       // Host (X-Forwarded-Host from trusted proxies)
  std::string request_id;
  std::string route;  // the matched route pattern, e.g. "/api/v1/environments/{env}"
  std::vector<std::pair<std::string, std::string>> params;  // path parameters

  // Case-insensitive header lookup (first occurrence).
  std::optional<std::string_view> header(std::string_view name) const;
  // A path parameter by name ("" when absent; routes guarantee presence).
  const std::string& param(std::string_view name) const;
  // A query parameter (percent-decoded; nullopt when absent or malformed).
  std::optional<std::string> query_param(std::string_view name) const;
};

struct Response {
  int status = 200;
  Fields headers;
  std::string body;
  bool close = false;  // close the connection after sending

  Response& set_header(std::string name, std::string value);
  static Response json(int status, const nlohmann::json& body);
  static Response text(int status, std::string body, std::string content_type = "text/plain");
  // RFC 9457 application/problem+json from an Error, carrying the request id.
  static Response problem(const Error& error, const Request& request);
};

}  // namespace gh::http
