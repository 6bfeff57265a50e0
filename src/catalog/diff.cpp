#include "catalog/diff.h"

namespace gh::catalog {

nlohmann::json diff_catalogs(const Catalog& from, const Catalog& to) {
  nlohmann::json out = nlohmann::json::array();
  for (const auto& a : to.attributes) {
    const AttributeDefinition* old = from.find(a.name);
    if (!old) {
      out.push_back({{"op", "added"}, {"attribute", a.name}});
      continue;
    }
    if (*old == a) continue;
    const nlohmann::json before = attribute_json(*old), after = attribute_json(a);
    nlohmann::json changes = nlohmann::json::object();
    for (const auto& [k, v] : after.items()) {
      auto it = before.find(k);
      if (it == before.end() || *it != v) {
        changes[k] = {{"from", it == before.end() ? nlohmann::json() : *it}, {"to", v}};
      }
    }
    for (const auto& [k, v] : before.items()) {
      if (!after.contains(k)) changes[k] = {{"from", v}, {"to", nullptr}};
    }
    const bool deprecated = a.deprecated && !old->deprecated;
    out.push_back({{"op", deprecated ? "deprecated" : "changed"},
                   {"attribute", a.name},
                   {"changes", changes}});
  }
  for (const auto& a : from.attributes) {
    if (!to.find(a.name)) out.push_back({{"op", "removed"}, {"attribute", a.name}});
  }
  return out;
}

}  // namespace gh::catalog
