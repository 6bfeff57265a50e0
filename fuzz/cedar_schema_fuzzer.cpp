// libFuzzer target: arbitrary bytes as a Cedar schema (either format) and as an entity file
// typed by the schema that parsed, if any.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "authz/cedar/entities.h"
#include "authz/cedar/schema.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  auto schema = gh::cedar::parse_schema(text);
  auto entities = gh::cedar::Entities::from_json_text(text, schema.ok() ? &*schema : nullptr);
  (void)entities;
  return 0;
}
