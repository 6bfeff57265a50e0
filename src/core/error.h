// Errors are values: a stable code from the catalog (errors.def, docs/errors.md), a message a
// customer's IT admin can act on, and detail for the engineer. Never put secrets in either.
//
// Each module declares its codes in src/<module>/errors.def and exposes them through
// src/<module>/error_codes.h as `gh::errc::Name` constants; only the files that use a module's
// codes include its header, so adding a code recompiles that module, not the whole tree. The
// core codes (request.*, route.*, server.*) are declared here because every layer uses them.
#pragma once

#include <iosfwd>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <vector>

namespace gh {

struct ErrorInfo {
  std::string_view name;  // the stable code, e.g. "request.invalid_json"
  int http_status;
  std::string_view title;
};

// A code is the address of its catalog entry: comparing codes compares entries.
class ErrorCode {
 public:
  constexpr ErrorCode(const ErrorInfo& info) : info_(&info) {}  // NOLINT: implicit by design
  constexpr const ErrorInfo& info() const { return *info_; }
  constexpr bool operator==(const ErrorCode& other) const { return info_ == other.info_; }
  // For gtest's messages: prints the stable code.
  friend void PrintTo(const ErrorCode& code, std::ostream* os);

 private:
  const ErrorInfo* info_;
};

#define GATEHOUSE_ERROR(name, code, status, title) \
  inline constexpr ErrorInfo name{code, status, title};
namespace errc {
#include "core/errors.def"
}  // namespace errc
#undef GATEHOUSE_ERROR

inline const ErrorInfo& error_info(ErrorCode code) { return code.info(); }
// Every entry of the catalog, in declaration order (tests compare it with docs/errors.md).
const std::vector<ErrorInfo>& error_catalog();

struct Error {
  ErrorCode code = errc::ServerInternal;
  std::string message;  // for the person who must act; defaults to the catalog title
  std::string detail;   // optional engineer-facing detail (never secrets)
  nlohmann::json extra = nlohmann::json::object();  // e.g. {"field": "slug"}

  Error() = default;
  Error(ErrorCode c, std::string msg = {}, std::string det = {})
      : code(c), message(std::move(msg)), detail(std::move(det)) {}

  std::string_view code_name() const { return code.info().name; }
  int http_status() const { return code.info().http_status; }
  const std::string& text() const;  // message, or the title when message is empty

  // RFC 9457 problem details, with our stable `code` and the request id.
  nlohmann::json to_problem(std::string_view request_id, std::string_view instance = {}) const;
};

}  // namespace gh
