#include "catalog/cedar_schema.h"

#include <algorithm>

namespace gh::catalog {

namespace {

nlohmann::json scalar(DataType t, const std::vector<std::string>& reference_types) {
  switch (t) {
    case DataType::string:
      return {{"type", "String"}};
    case DataType::boolean:
      return {{"type", "Boolean"}};
    case DataType::integer:
      return {{"type", "Long"}};
    case DataType::datetime:
      return {{"type", "Extension"}, {"name", "datetime"}};
    case DataType::reference:
      // A reference to one of our users is an entity; anything else stays its id.
      if (reference_types.size() == 1 && reference_types[0] == "User") {
        return {{"type", "Entity"}, {"name", "User"}};
      }
      return {{"type", "String"}};
    case DataType::complex:
      break;
  }
  return {{"type", "String"}};
}

nlohmann::json type_of(const AttributeDefinition& a) {
  nlohmann::json t;
  if (a.type == DataType::complex) {
    nlohmann::json attrs = nlohmann::json::object();
    for (const auto& s : a.sub_attributes) {
      nlohmann::json st = scalar(s.type, {});
      if (s.multi_valued) st = {{"type", "Set"}, {"element", st}};
      st["required"] = s.required;
      attrs[s.name] = st;
    }
    t = {{"type", "Record"}, {"attributes", attrs}};
  } else {
    t = scalar(a.type, a.reference_types);
  }
  if (a.multi_valued) t = {{"type", "Set"}, {"element", t}};
  return t;
}

bool is_group_membership(const AttributeDefinition& a) {
  return a.type == DataType::reference && a.multi_valued &&
         std::find(a.reference_types.begin(), a.reference_types.end(), "Group") !=
             a.reference_types.end();
}

}  // namespace

nlohmann::json cedar_schema(const Catalog& effective, std::string_view cedar_namespace) {
  nlohmann::json attrs = nlohmann::json::object();
  nlohmann::json custom = nlohmann::json::object();
  const std::string prefix = effective.name_space.empty()
                                 ? std::string()
                                 : qualified_custom_name(effective.name_space, "");
  for (const auto& a : effective.attributes) {
    if (is_group_membership(a)) continue;
    nlohmann::json t = type_of(a);
    t["required"] = a.required;
    if (a.custom && !prefix.empty() && a.name.rfind(prefix, 0) == 0) {
      custom[a.name.substr(prefix.size())] = t;
    } else {
      attrs[a.name] = t;
    }
  }
  if (!custom.empty()) {
    attrs["custom"] = {{"type", "Record"}, {"attributes", custom}, {"required", false}};
  }
  nlohmann::json user = {{"memberOfTypes", {"Group"}},
                         {"shape", {{"type", "Record"}, {"attributes", attrs}}}};
  nlohmann::json group = {
      {"shape",
       {{"type", "Record"},
        {"attributes", {{"name", {{"type", "String"}, {"required", false}}}}}}}};
  return {{std::string(cedar_namespace),
           {{"entityTypes", {{"User", user}, {"Group", group}}},
            {"actions", nlohmann::json::object()}}}};
}

}  // namespace gh::catalog
