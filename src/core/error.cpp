#include "core/error.h"

#include <ostream>
#include <vector>

namespace gh {

namespace {
const std::vector<ErrorInfo>& catalog() {
  static const std::vector<ErrorInfo> entries = {
#define GATEHOUSE_ERROR(name, code, status, title) {code, status, title},
#include "catalog/errors.def"
#include "core/errors.def"
#include "crypto/errors.def"
#include "directory/errors.def"
#include "events/errors.def"
#include "federation/errors.def"
#include "federation/oidc/errors.def"
#include "federation/saml/errors.def"
#include "identity/errors.def"
#include "oauth/authorize_errors.def"
#include "oauth/errors.def"
#include "sessions/errors.def"
#include "tenancy/errors.def"
#undef GATEHOUSE_ERROR
  };
  return entries;
}
}  // namespace

const std::vector<ErrorInfo>& error_catalog() { return catalog(); }

void PrintTo(const ErrorCode& code, std::ostream* os) { *os << code.info().name; }

const std::string& Error::text() const {
  if (message.empty()) {
    // Titles are static; materialise once per code.
    static thread_local std::string title;
    title = std::string(error_info(code).title);
    return title;
  }
  return message;
}

nlohmann::json Error::to_problem(std::string_view request_id, std::string_view instance) const {
  const auto& info = error_info(code);
  nlohmann::json problem = {
      {"type", "https://gatehouse.dev/errors/" + std::string(info.name)},
      {"title", std::string(info.title)},
      {"status", info.http_status},
      {"code", std::string(info.name)},
      {"detail", message.empty() ? std::string(info.title) : message},
      {"request_id", std::string(request_id)},
  };
  if (!instance.empty()) problem["instance"] = std::string(instance);
  if (!detail.empty()) problem["debug"] = detail;
  for (auto& [k, v] : extra.items()) problem[k] = v;
  return problem;
}

}  // namespace gh
