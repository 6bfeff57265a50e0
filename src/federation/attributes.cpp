#include "federation/attributes.h"

#include <algorithm>

#include "catalog/error_codes.h"
#include "catalog/value_check.h"
#include "federation/error_codes.h"

namespace gh::federation {

namespace {

Error mapping_error(const std::string& message) {
  Error e(errc::ConnectionInvalid, message);
  e.extra["field"] = "attribute_mapping";
  return e;
}

// The catalog's own code, so an admin sees the same error a directory's mapping gets.
Error unknown_attribute(const std::string& name, const std::string& where) {
  Error e(errc::CatalogUnknownAttribute,
          "'" + name + "' (in " + where +
              ") is not in this organization's attribute catalog; add it to the catalog first "
              "or map a catalog attribute");
  e.extra["field"] = "attribute_mapping";
  e.extra["attribute"] = name;
  return e;
}

bool is_required(const nlohmann::json& mapping, const std::string& attribute) {
  if (!mapping.is_object() || !mapping.contains("required")) return false;
  const auto& req = mapping["required"];
  return std::any_of(req.begin(), req.end(),
                     [&](const nlohmann::json& v) { return v.is_string() && v == attribute; });
}

}  // namespace

Result<bool> validate_attribute_mapping(const nlohmann::json& mapping,
                                        const catalog::Catalog* catalog) {
  if (!mapping.is_object()) return fail(mapping_error("'attribute_mapping' must be an object"));
  for (auto it = mapping.begin(); it != mapping.end(); ++it) {
    if (it.key() != "claims" && it.key() != "required") {
      return fail(mapping_error("'attribute_mapping' has only 'claims' and 'required', not '" +
                                it.key() + "'"));
    }
  }
  auto known = [&](const std::string& name) {
    return catalog == nullptr || catalog->find(name) != nullptr;
  };
  if (mapping.contains("claims")) {
    const auto& claims = mapping["claims"];
    if (!claims.is_object())
      return fail(
          mapping_error("'attribute_mapping.claims' must map "
                        "catalog attributes to claim names"));
    for (auto it = claims.begin(); it != claims.end(); ++it) {
      if (!it->is_string() || it->get<std::string>().empty() ||
          it->get<std::string>().size() > 256) {
        return fail(
            mapping_error("'attribute_mapping.claims." + it.key() + "' must be a claim name"));
      }
      if (!known(it.key())) return fail(unknown_attribute(it.key(), "attribute_mapping.claims"));
    }
  }
  if (mapping.contains("required")) {
    const auto& req = mapping["required"];
    if (!req.is_array()) {
      return fail(mapping_error("'attribute_mapping.required' must be a list of attributes"));
    }
    for (const auto& v : req) {
      if (!v.is_string()) {
        return fail(mapping_error("'attribute_mapping.required' must be a list of attributes"));
      }
      if (!known(v.get<std::string>())) {
        return fail(unknown_attribute(v.get<std::string>(), "attribute_mapping.required"));
      }
    }
  }
  return true;
}

Result<nlohmann::json> map_claims(const catalog::Catalog& catalog, const nlohmann::json& claims,
                                  const nlohmann::json& attribute_mapping, Trace& trace) {
  nlohmann::json out = nlohmann::json::object();
  const nlohmann::json overrides = attribute_mapping.is_object()
                                       ? attribute_mapping.value("claims", nlohmann::json::object())
                                       : nlohmann::json::object();
  for (const auto& def : catalog.attributes) {
    std::vector<std::string> sources;
    if (overrides.contains(def.name) && overrides[def.name].is_string()) {
      sources.push_back(overrides[def.name].get<std::string>());
    } else {
      sources = def.sources.oidc;
    }
    nlohmann::json value;  // null: absent
    std::string from;
    for (const auto& claim : sources) {
      if (claims.contains(claim)) {
        value = claims[claim];
        from = claim;
        break;
      }
    }
    const bool required = is_required(attribute_mapping, def.name);
    if (value.is_null() && !required) continue;
    auto decision = catalog::decide_login_value(catalog, def.name, value, required);
    switch (decision.outcome) {
      case catalog::LoginValueOutcome::keep:
        out[def.name] = value;
        break;
      case catalog::LoginValueOutcome::drop:
        trace.check("catalog.invalid_value", false,
                    "dropped '" + def.name + "' (from '" + from +
                        "'): " + decision.violation->rule + ": " + decision.violation->message);
        break;
      case catalog::LoginValueOutcome::fail: {
        trace.check(
            "login.attribute_invalid", false,
            "'" + def.name + "': " + decision.violation->rule + ": " + decision.violation->message);
        Error e(errc::LoginAttributeInvalid,
                "The identity provider sent no valid '" + def.name +
                    "', which this connection requires: " + decision.violation->message);
        e.extra["attribute"] = def.name;
        e.extra["rule"] = decision.violation->rule;
        return fail(e);
      }
    }
  }
  return out;
}

}  // namespace gh::federation
