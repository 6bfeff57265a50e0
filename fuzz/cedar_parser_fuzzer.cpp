// libFuzzer target: arbitrary bytes as a Cedar policy set. Parsing must never crash, hang or
// leak; whatever parses is also evaluated against a small fixed request and entity store, so the
// evaluator sees every shape of expression the parser accepts.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "authz/cedar/authorizer.h"
#include "authz/cedar/parser.h"

namespace {

const gh::cedar::Entities& store() {
  static const gh::cedar::Entities es = [] {
    auto r = gh::cedar::Entities::from_json_text(
        R"([{"uid": {"type": "User", "id": "a"}, "attrs": {"n": 1, "s": "x", "r": {"k": [1, 2]}},
             "parents": [{"type": "Group", "id": "g"}], "tags": {"t": "v"}},
            {"uid": {"type": "Group", "id": "g"}, "attrs": {}, "parents": []}])",
        nullptr);
    return r.ok() ? std::move(*r) : gh::cedar::Entities();
  }();
  return es;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  auto policies = gh::cedar::parse_policies(text);
  if (!policies.ok()) return 0;
  static const gh::cedar::Request request =
      gh::cedar::Request::make({"User", "a"}, {"Action", "read"}, {"Doc", "d"},
                               gh::cedar::Value::record(gh::cedar::Record{}));
  auto response = gh::cedar::is_authorized(*policies, store(), request);
  (void)response;
  return 0;
}
