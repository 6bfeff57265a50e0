#include "catalog/value_check.h"
#include "catalog/error_codes.h"

#include <re2/re2.h>

#include <algorithm>

namespace gh::catalog {

namespace {

bool iequals(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) ==
                  std::tolower(static_cast<unsigned char>(y));
         });
}

ValueViolation violation(std::string attribute, std::string rule, std::string message) {
  return {std::move(attribute), std::move(rule), std::move(message)};
}

bool type_matches(DataType t, const nlohmann::json& v) {
  switch (t) {
    case DataType::string:
    case DataType::reference:
      return v.is_string();
    case DataType::boolean:
      return v.is_boolean();
    case DataType::integer:
      return v.is_number_integer();
    case DataType::datetime:
      return v.is_string() && is_datetime(v.get_ref<const std::string&>());
    case DataType::complex:
      return v.is_object();
  }
  return false;
}

std::string expected(DataType t) {
  switch (t) {
    case DataType::string:
      return "a string";
    case DataType::reference:
      return "a reference (string id)";
    case DataType::boolean:
      return "true or false";
    case DataType::integer:
      return "an integer";
    case DataType::datetime:
      return "an RFC 3339 date-time (2024-05-01T12:00:00Z)";
    case DataType::complex:
      return "an object";
  }
  return "a value";
}

bool allowed(const std::vector<std::string>& values, const std::string& v, bool case_exact) {
  return std::any_of(values.begin(), values.end(),
                     [&](const std::string& a) { return case_exact ? a == v : iequals(a, v); });
}

std::optional<ValueViolation> check_scalar(const std::string& name, DataType type,
                                           const std::vector<std::string>& allowed_values,
                                           const std::string& pattern, bool case_exact,
                                           const nlohmann::json& v) {
  if (!type_matches(type, v)) {
    return violation(name, "type", "'" + name + "' must be " + expected(type));
  }
  if (!v.is_string()) return std::nullopt;
  const auto& s = v.get_ref<const std::string&>();
  if (!allowed_values.empty() && !allowed(allowed_values, s, case_exact)) {
    std::string list;
    for (const auto& a : allowed_values) list += (list.empty() ? "" : ", ") + a;
    return violation(name, "allowed_values", "'" + name + "' must be one of: " + list);
  }
  if (!pattern.empty()) {
    RE2::Options options;
    options.set_log_errors(false);
    options.set_max_mem(1 << 20);
    options.set_case_sensitive(case_exact);
    RE2 re(pattern, options);
    if (!re.ok() || !RE2::FullMatch(s, re)) {
      return violation(name, "pattern", "'" + name + "' does not match the pattern " + pattern);
    }
  }
  return std::nullopt;
}

std::optional<ValueViolation> check_one(const AttributeDefinition& def, const nlohmann::json& v) {
  if (def.type != DataType::complex) {
    return check_scalar(def.name, def.type, def.allowed_values, def.pattern, def.case_exact, v);
  }
  if (!v.is_object()) return violation(def.name, "type", "'" + def.name + "' must be an object");
  for (const auto& [key, sv] : v.items()) {
    auto it = std::find_if(def.sub_attributes.begin(), def.sub_attributes.end(),
                           [&](const SubAttribute& s) { return iequals(s.name, key); });
    const std::string path = def.name + "." + key;
    if (it == def.sub_attributes.end()) {
      return violation(path, "sub_attribute",
                       "'" + def.name + "' has no sub-attribute '" + key + "'");
    }
    if (sv.is_null()) continue;
    auto check = [&](const nlohmann::json& e) {
      return check_scalar(path, it->type, it->allowed_values, "", it->case_exact, e);
    };
    if (it->multi_valued) {
      if (!sv.is_array()) return violation(path, "multi_valued", "'" + path + "' must be a list");
      for (const auto& e : sv) {
        if (auto bad = check(e)) return bad;
      }
    } else if (auto bad = check(sv)) {
      return bad;
    }
  }
  for (const auto& s : def.sub_attributes) {
    if (!s.required) continue;
    bool present = false;
    for (const auto& [key, sv] : v.items()) present |= iequals(key, s.name) && !sv.is_null();
    if (!present) {
      return violation(def.name + "." + s.name, "required",
                       "'" + def.name + "." + s.name + "' is required");
    }
  }
  return std::nullopt;
}

}  // namespace

bool is_datetime(std::string_view s) {
  static const RE2 re(
      R"(\d{4}-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])[Tt]([01]\d|2[0-3]):[0-5]\d:([0-5]\d|60)(\.\d{1,9})?([Zz]|[+-]([01]\d|2[0-3]):[0-5]\d))");
  return RE2::FullMatch(re2::StringPiece(s.data(), s.size()), re);
}

std::optional<ValueViolation> check_value(const AttributeDefinition& def,
                                          const nlohmann::json& value) {
  const bool empty = value.is_null() || (value.is_array() && value.empty());
  if (empty) {
    if (def.required) return violation(def.name, "required", "'" + def.name + "' is required");
    return std::nullopt;
  }
  if (def.multi_valued) {
    if (!value.is_array()) {
      return violation(def.name, "multi_valued", "'" + def.name + "' must be a list of values");
    }
    for (const auto& v : value) {
      if (auto bad = check_one(def, v)) return bad;
    }
    return std::nullopt;
  }
  if (value.is_array()) {
    return violation(def.name, "multi_valued", "'" + def.name + "' takes a single value");
  }
  return check_one(def, value);
}

Error to_error(const ValueViolation& v) {
  Error e(errc::CatalogInvalidValue, v.message);
  e.extra["attribute"] = v.attribute;
  e.extra["rule"] = v.rule;
  return e;
}

LoginValueDecision decide_login_value(const Catalog& effective, std::string_view attribute,
                                      const nlohmann::json& value, bool required_for_connection) {
  LoginValueDecision d;
  const AttributeDefinition* def = effective.find(attribute);
  if (!def) {
    d.violation = violation(std::string(attribute), "unknown_attribute",
                            "'" + std::string(attribute) + "' is not in the attribute catalog");
  } else {
    d.violation = check_value(*def, value);
    // A connection that requires the attribute needs a value, even when the catalog does not.
    if (!d.violation && required_for_connection &&
        (value.is_null() || (value.is_array() && value.empty()))) {
      d.violation =
          violation(def->name, "required", "'" + def->name + "' is required by this connection");
    }
  }
  if (!d.violation) return d;
  d.outcome = required_for_connection ? LoginValueOutcome::fail : LoginValueOutcome::drop;
  return d;
}

}  // namespace gh::catalog
