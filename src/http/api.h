// Helpers for JSON admin APIs: read a typed body once at the edge, answer problem+json.
#pragma once

#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>

#include "core/result.h"
#include "http/message.h"

namespace gh::http {

// The body as a JSON object: request.unsupported_media_type (not application/json),
// request.invalid_utf8, request.invalid_json (also for a non-object top level).
Result<nlohmann::json> json_object_body(const Request& req);

// Field readers: request.invalid_field naming the field (in `field` of the problem).
Result<std::string> required_string(const nlohmann::json& body, std::string_view field,
                                    size_t max_len = 256);
Result<std::optional<std::string>> optional_string(const nlohmann::json& body,
                                                   std::string_view field, size_t max_len = 256);
Result<std::optional<nlohmann::json>> optional_object(const nlohmann::json& body,
                                                      std::string_view field,
                                                      size_t max_bytes = 16 * 1024);
Result<std::optional<int64_t>> optional_integer(const nlohmann::json& body, std::string_view field,
                                                int64_t min, int64_t max);
// request.invalid_field for any key outside `allowed`.
Result<bool> only_fields(const nlohmann::json& body,
                         std::initializer_list<std::string_view> allowed);

Error invalid_field(std::string_view field, std::string message);

// ?limit=N (1..max, default def) → request.invalid_parameter.
Result<int> limit_param(const Request& req, int def = 20, int max = 100);

// ETags are "v{version}". If-Match: missing → request.precondition_required; present and not
// matching `current` → request.precondition_failed; "*" matches anything.
std::string etag(int64_t version);
Result<int64_t> if_match_version(const Request& req);

Response json_response(int status, const nlohmann::json& body, int64_t version = 0);

}  // namespace gh::http
