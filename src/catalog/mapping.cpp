#include "catalog/mapping.h"
#include "catalog/error_codes.h"

#include <set>

namespace gh::catalog {

Result<MappingCheck> validate_mapping(const Catalog& effective,
                                      const std::vector<MappingRule>& rules) {
  MappingCheck out;
  std::set<std::string> sources;
  for (size_t i = 0; i < rules.size(); ++i) {
    const auto& r = rules[i];
    const std::string at = "mapping[" + std::to_string(i) + "]";
    if (r.source.empty() || r.attribute.empty()) {
      Error e(errc::RequestInvalidField, at + ": source and attribute are both required");
      e.extra["field"] = at;
      return fail(std::move(e));
    }
    if (!sources.insert(r.source).second) {
      Error e(errc::RequestInvalidField, at + ": '" + r.source + "' is mapped twice");
      e.extra["field"] = at + ".source";
      return fail(std::move(e));
    }
    const AttributeDefinition* def = effective.find(r.attribute);
    if (!def) {
      Error e(errc::CatalogUnknownAttribute, at + " maps '" + r.source + "' to '" + r.attribute +
                                                 "', which is not in the attribute catalog");
      e.extra["field"] = at + ".attribute";
      e.extra["index"] = i;
      e.extra["attribute"] = r.attribute;
      return fail(std::move(e));
    }
    if (def->deprecated) {
      out.warnings.push_back("'" + def->name + "' is deprecated" +
                             (def->replaced_by.empty() ? "" : "; use '" + def->replaced_by + "'"));
    }
  }
  return out;
}

}  // namespace gh::catalog
