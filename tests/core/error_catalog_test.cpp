// The error catalog in code (errors.def files) and docs/errors.md are the same list: a code
// used in code but missing from the docs fails here, and so does a documented code that no
// longer exists. Codes are enum values, so code cannot use a code outside the catalog.
#include <gtest/gtest.h>

#include <algorithm>
#include <cctype>
#include <fstream>
#include <set>
#include <sstream>

#include "core/error.h"

namespace gh {
namespace {

std::set<std::string> documented_codes() {
  std::ifstream in(GATEHOUSE_SOURCE_DIR "/docs/errors.md");
  EXPECT_TRUE(in) << "docs/errors.md missing";
  std::set<std::string> codes;
  std::string line;
  // Table rows: | `code` | status | meaning |
  while (std::getline(in, line)) {
    if (line.rfind("| `", 0) != 0) continue;
    const size_t end = line.find('`', 3);
    if (end == std::string::npos) continue;
    const std::string code = line.substr(3, end - 3);
    const size_t bar = line.find('|', end);
    if (bar == std::string::npos || code.find('.') == std::string::npos) continue;
    std::string status;
    for (size_t i = bar + 1; i < line.size() && line[i] != '|'; ++i) {
      if (line[i] != ' ') status += line[i];
    }
    if (status.size() == 3 && std::all_of(status.begin(), status.end(), ::isdigit)) {
      codes.insert(code + "/" + status);
    }
  }
  return codes;
}

TEST(ErrorCatalog, EveryCodeIsDocumentedWithItsStatus) {
  const auto documented = documented_codes();
  for (const auto& info : error_catalog()) {
    const std::string key = std::string(info.name) + "/" + std::to_string(info.http_status);
    EXPECT_TRUE(documented.count(key))
        << "docs/errors.md lacks `" << info.name << "` with status " << info.http_status;
  }
}

TEST(ErrorCatalog, EveryDocumentedCodeExists) {
  std::set<std::string> in_code;
  for (const auto& info : error_catalog()) {
    in_code.insert(std::string(info.name) + "/" + std::to_string(info.http_status));
  }
  for (const auto& key : documented_codes()) {
    EXPECT_TRUE(in_code.count(key))
        << "docs/errors.md documents " << key << " which no errors.def declares";
  }
}

TEST(ErrorCatalog, CodesAreUniqueAndProblemJsonCarriesThem) {
  std::set<std::string_view> names;
  for (const auto& info : error_catalog()) {
    EXPECT_TRUE(names.insert(info.name).second) << "duplicate code " << info.name;
  }
  Error e(errc::EnvironmentNotFound, "No environment named 'x'");
  auto p = e.to_problem("req-1", "/x");
  EXPECT_EQ(p["code"], "environment.not_found");
  EXPECT_EQ(p["status"], 404);
  EXPECT_EQ(p["request_id"], "req-1");
  EXPECT_EQ(p["detail"], "No environment named 'x'");
  EXPECT_EQ(p["instance"], "/x");
}

}  // namespace
}  // namespace gh
