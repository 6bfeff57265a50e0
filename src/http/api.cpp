#include "http/api.h"

#include <charconv>

#include "core/encoding.h"

namespace gh::http {

Error invalid_field(std::string_view field, std::string message) {
  Error e(errc::RequestInvalidField, std::move(message));
  e.extra["field"] = std::string(field);
  return e;
}

Result<nlohmann::json> json_object_body(const Request& req) {
  const auto ct = req.header("Content-Type").value_or("");
  if (ct.substr(0, 16) != "application/json" && ct.find("+json") == std::string_view::npos) {
    return fail(errc::RequestUnsupportedMediaType,
                "Send the body as JSON with Content-Type: application/json");
  }
  if (!is_valid_utf8(req.body)) return fail(errc::RequestInvalidUtf8);
  auto j = nlohmann::json::parse(req.body, nullptr, false);
  if (j.is_discarded()) return fail(errc::RequestInvalidJson);
  if (!j.is_object()) {
    return fail(errc::RequestInvalidJson, "The body must be a JSON object");
  }
  return j;
}

Result<std::string> required_string(const nlohmann::json& body, std::string_view field,
                                    size_t max_len) {
  auto v = optional_string(body, field, max_len);
  if (!v) return fail(v.error());
  if (!*v || (*v)->empty()) {
    return fail(invalid_field(field, "'" + std::string(field) + "' is required"));
  }
  return **v;
}

Result<std::optional<std::string>> optional_string(const nlohmann::json& body,
                                                   std::string_view field, size_t max_len) {
  auto it = body.find(std::string(field));
  if (it == body.end() || it->is_null()) return std::optional<std::string>{};
  if (!it->is_string()) {
    return fail(invalid_field(field, "'" + std::string(field) + "' must be a string"));
  }
  auto s = it->get<std::string>();
  if (s.size() > max_len) {
    return fail(invalid_field(field, "'" + std::string(field) + "' is longer than " +
                                         std::to_string(max_len) + " bytes"));
  }
  return std::optional<std::string>{std::move(s)};
}

Result<std::optional<nlohmann::json>> optional_object(const nlohmann::json& body,
                                                      std::string_view field, size_t max_bytes) {
  auto it = body.find(std::string(field));
  if (it == body.end() || it->is_null()) return std::optional<nlohmann::json>{};
  if (!it->is_object()) {
    return fail(invalid_field(field, "'" + std::string(field) + "' must be an object"));
  }
  if (it->dump().size() > max_bytes) {
    return fail(invalid_field(field, "'" + std::string(field) + "' is larger than " +
                                         std::to_string(max_bytes) + " bytes"));
  }
  return std::optional<nlohmann::json>{*it};
}

Result<std::optional<int64_t>> optional_integer(const nlohmann::json& body, std::string_view field,
                                                int64_t min, int64_t max) {
  auto it = body.find(std::string(field));
  if (it == body.end() || it->is_null()) return std::optional<int64_t>{};
  if (!it->is_number_integer() || it->get<int64_t>() < min || it->get<int64_t>() > max) {
    return fail(invalid_field(field, "'" + std::string(field) + "' must be an integer from " +
                                         std::to_string(min) + " to " + std::to_string(max)));
  }
  return std::optional<int64_t>{it->get<int64_t>()};
}

Result<bool> only_fields(const nlohmann::json& body,
                         std::initializer_list<std::string_view> allowed) {
  for (auto it = body.begin(); it != body.end(); ++it) {
    bool ok = false;
    for (auto a : allowed) ok = ok || it.key() == a;
    if (!ok) return fail(invalid_field(it.key(), "Unknown field '" + it.key() + "'"));
  }
  return true;
}

Result<int> limit_param(const Request& req, int def, int max) {
  auto raw = req.query_param("limit");
  if (!raw) return def;
  int v = 0;
  auto [p, ec] = std::from_chars(raw->data(), raw->data() + raw->size(), v);
  if (ec != std::errc() || p != raw->data() + raw->size() || v < 1 || v > max) {
    return fail(errc::RequestInvalidParameter,
                "limit must be an integer from 1 to " + std::to_string(max));
  }
  return v;
}

std::string etag(int64_t version) { return "\"v" + std::to_string(version) + "\""; }

Result<int64_t> if_match_version(const Request& req) {
  auto h = req.header("If-Match");
  if (!h) return fail(errc::RequestPreconditionRequired);
  std::string_view v = *h;
  if (v == "*") return int64_t{-1};
  if (v.size() >= 2 && v.substr(0, 2) == "W/") v.remove_prefix(2);
  if (v.size() < 4 || v.front() != '"' || v.back() != '"' || v[1] != 'v') {
    return fail(errc::RequestPreconditionFailed, "If-Match must be an ETag this API gave out");
  }
  int64_t n = 0;
  auto digits = v.substr(2, v.size() - 3);
  auto [p, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), n);
  if (ec != std::errc() || p != digits.data() + digits.size()) {
    return fail(errc::RequestPreconditionFailed, "If-Match must be an ETag this API gave out");
  }
  return n;
}

Response json_response(int status, const nlohmann::json& body, int64_t version) {
  auto r = Response::json(status, body);
  if (version > 0) r.set_header("ETag", etag(version));
  r.set_header("Cache-Control", "no-store");
  return r;
}

}  // namespace gh::http
