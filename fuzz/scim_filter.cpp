// SCIM filters and PATCH paths: never crash; whatever parses prints to text that parses back to
// the same tree; evaluation and PATCH application over a fixed resource terminate.
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "directory/filter.h"
#include "directory/patch.h"

using namespace gh::directory;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view in(reinterpret_cast<const char*>(data), size);
  static const nlohmann::json resource = nlohmann::json::parse(R"({
    "id":"1","userName":"Alice@Example.com","active":true,"displayName":"Alice",
    "name":{"givenName":"Alice","familyName":"A"},
    "emails":[{"value":"alice@example.com","type":"work","primary":true},{"value":"a@home.example","type":"home"}],
    "members":[{"value":"u1"},{"value":"u2"}],
    "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User":{"employeeNumber":"42"}})");
  auto f = parse_filter(in);
  if (f.filter) {
    const std::string printed = print_filter(*f.filter);
    auto again = parse_filter(printed);
    if (!again.filter || !(*again.filter == *f.filter)) std::abort();
    if (print_filter(*again.filter) != printed) std::abort();
    (void)matches(*f.filter, resource, default_case_exact);
  }
  auto p = parse_patch_path(in);
  if (p.path) {
    const std::string printed = print_patch_path(*p.path);
    auto again = parse_patch_path(printed);
    if (!again.path || !(*again.path == *p.path)) std::abort();
    for (const char* op : {"add", "replace", "remove"}) {
      nlohmann::json body = {{"Operations",
                              {{{"op", op},
                                {"path", std::string(in)},
                                {"value", {{"value", "x"}, {"primary", "True"}}}}}}};
      (void)apply_patch(resource, body, default_case_exact);
    }
  }
  return 0;
}
