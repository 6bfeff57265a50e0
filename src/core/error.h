// Errors are values: a stable code from the catalog (errors.def, docs/errors.md), a message a
// customer's IT admin can act on, and detail for the engineer. Never put secrets in either.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <vector>

namespace gh {

enum class ErrorCode {
#define GATEHOUSE_ERROR(name, code, status, title) name,
#include "catalog/errors.def"
#include "core/errors.def"
#include "crypto/errors.def"
#include "events/errors.def"
#include "federation/errors.def"
#include "identity/errors.def"
#include "oauth/authorize_errors.def"
#include "oauth/errors.def"
#include "sessions/errors.def"
#include "tenancy/errors.def"
#undef GATEHOUSE_ERROR
};

struct ErrorInfo {
  ErrorCode code;
  std::string_view name;  // the stable code, e.g. "request.invalid_json"
  int http_status;
  std::string_view title;
};

const ErrorInfo& error_info(ErrorCode code);
// Every entry of the catalog, in declaration order (tests compare it with docs/errors.md).
const std::vector<ErrorInfo>& error_catalog();

struct Error {
  ErrorCode code = ErrorCode::ServerInternal;
  std::string message;  // for the person who must act; defaults to the catalog title
  std::string detail;   // optional engineer-facing detail (never secrets)
  nlohmann::json extra = nlohmann::json::object();  // e.g. {"field": "slug"}

  Error() = default;
  Error(ErrorCode c, std::string msg = {}, std::string det = {})
      : code(c), message(std::move(msg)), detail(std::move(det)) {}

  std::string_view code_name() const { return error_info(code).name; }
  int http_status() const { return error_info(code).http_status; }
  const std::string& text() const;  // message, or the title when message is empty

  // RFC 9457 problem details, with our stable `code` and the request id.
  nlohmann::json to_problem(std::string_view request_id, std::string_view instance = {}) const;
};

}  // namespace gh
