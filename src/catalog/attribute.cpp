#include "catalog/attribute.h"
#include "catalog/error_codes.h"

#include <re2/re2.h>

#include <algorithm>
#include <set>

namespace gh::catalog {

namespace {

Error invalid(std::string field, std::string message) {
  Error e(errc::CatalogInvalidAttribute, std::move(message));
  e.extra["field"] = std::move(field);
  return e;
}

constexpr std::string_view kPurposes[] = {"authentication",  "authorization", "provisioning",
                                          "personalization", "analytics",     "audit",
                                          "communication"};
constexpr std::string_view kVendors[] = {"okta", "entra_id", "google", "adfs", "ping", "generic"};
constexpr std::string_view kNameFormats[] = {
    "urn:oasis:names:tc:SAML:2.0:attrname-format:uri",
    "urn:oasis:names:tc:SAML:2.0:attrname-format:basic",
    "urn:oasis:names:tc:SAML:2.0:attrname-format:unspecified"};
constexpr size_t kMaxText = 1024;
constexpr size_t kMaxList = 256;

template <class T, size_t N>
bool one_of(std::string_view v, const T (&list)[N]) {
  return std::find(std::begin(list), std::end(list), v) != std::end(list);
}

// Field readers over one JSON object; each failure names the field by its path.
class Reader {
 public:
  Reader(const nlohmann::json& j, std::string prefix) : j_(j), prefix_(std::move(prefix)) {}

  Result<bool> only(std::initializer_list<std::string_view> allowed) const {
    for (const auto& [k, v] : j_.items()) {
      if (std::find(allowed.begin(), allowed.end(), k) == allowed.end()) {
        return fail(invalid(prefix_ + k, "Unknown field '" + prefix_ + k + "'"));
      }
    }
    return true;
  }
  Result<std::string> text(std::string_view f, bool required, size_t max = kMaxText) const {
    auto it = j_.find(std::string(f));
    if (it == j_.end() || it->is_null()) {
      if (required) return fail(invalid(path(f), "'" + path(f) + "' is required"));
      return std::string();
    }
    if (!it->is_string() || it->get_ref<const std::string&>().size() > max) {
      return fail(invalid(path(f), "'" + path(f) + "' must be a string of at most " +
                                       std::to_string(max) + " characters"));
    }
    return it->get<std::string>();
  }
  Result<bool> flag(std::string_view f, bool def) const {
    auto it = j_.find(std::string(f));
    if (it == j_.end() || it->is_null()) return def;
    if (!it->is_boolean()) return fail(invalid(path(f), "'" + path(f) + "' must be true or false"));
    return it->get<bool>();
  }
  Result<std::vector<std::string>> strings(std::string_view f, size_t max_len = kMaxText) const {
    std::vector<std::string> out;
    auto it = j_.find(std::string(f));
    if (it == j_.end() || it->is_null()) return out;
    if (!it->is_array() || it->size() > kMaxList) {
      return fail(invalid(path(f), "'" + path(f) + "' must be a list of strings"));
    }
    for (const auto& v : *it) {
      if (!v.is_string() || v.get_ref<const std::string&>().empty() ||
          v.get_ref<const std::string&>().size() > max_len) {
        return fail(invalid(path(f), "'" + path(f) + "' must be a list of non-empty strings"));
      }
      out.push_back(v.get<std::string>());
    }
    return out;
  }
  const nlohmann::json* child(std::string_view f) const {
    auto it = j_.find(std::string(f));
    return it == j_.end() || it->is_null() ? nullptr : &*it;
  }
  std::string path(std::string_view f) const { return prefix_ + std::string(f); }

 private:
  const nlohmann::json& j_;
  std::string prefix_;
};

bool is_valid_sub_name(std::string_view n) {
  if (n.empty() || n.size() > 64 || !std::isalpha(static_cast<unsigned char>(n[0]))) return false;
  return std::all_of(n.begin(), n.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '$';
  });
}

Result<DataType> read_type(const Reader& r, std::string_view field) {
  auto t = r.text(field, false, 16);
  if (!t) return fail(t.error());
  if (t->empty()) return DataType::string;
  auto parsed = parse_data_type(*t);
  if (!parsed) {
    return fail(invalid(r.path(field), "'" + r.path(field) +
                                           "' must be string, boolean, integer, datetime, "
                                           "reference or complex"));
  }
  return *parsed;
}

Result<SubAttribute> parse_sub(const nlohmann::json& j, const std::string& prefix) {
  if (!j.is_object()) return fail(invalid(prefix, "Each sub-attribute must be an object"));
  Reader r(j, prefix + ".");
  if (auto ok = r.only({"name", "description", "type", "multi_valued", "required", "case_exact",
                        "allowed_values"});
      !ok) {
    return fail(ok.error());
  }
  SubAttribute s;
  auto name = r.text("name", true, 64);
  if (!name) return fail(name.error());
  if (!is_valid_sub_name(*name)) {
    return fail(invalid(r.path("name"),
                        "Sub-attribute names are letters, digits and '_', "
                        "starting with a letter (SCIM style: givenName)"));
  }
  s.name = *name;
  auto desc = r.text("description", false);
  if (!desc) return fail(desc.error());
  s.description = *desc;
  auto type = read_type(r, "type");
  if (!type) return fail(type.error());
  if (*type == DataType::complex) {
    return fail(
        invalid(r.path("type"), "Sub-attributes cannot be complex (SCIM allows one level)"));
  }
  s.type = *type;
  for (auto [f, out] :
       {std::pair{"multi_valued", &s.multi_valued}, std::pair{"required", &s.required},
        std::pair{"case_exact", &s.case_exact}}) {
    auto v = r.flag(f, false);
    if (!v) return fail(v.error());
    *out = *v;
  }
  auto allowed = r.strings("allowed_values");
  if (!allowed) return fail(allowed.error());
  s.allowed_values = *allowed;
  return s;
}

Result<SourceMappings> parse_sources(const nlohmann::json& j) {
  if (!j.is_object()) return fail(invalid("sources", "'sources' must be an object"));
  Reader r(j, "sources.");
  if (auto ok = r.only({"saml", "oidc", "scim"}); !ok) return fail(ok.error());
  SourceMappings m;
  auto oidc = r.strings("oidc", 256);
  if (!oidc) return fail(oidc.error());
  m.oidc = *oidc;
  auto scim = r.strings("scim", 512);
  if (!scim) return fail(scim.error());
  m.scim = *scim;
  if (const auto* saml = r.child("saml")) {
    if (!saml->is_array() || saml->size() > kMaxList) {
      return fail(invalid("sources.saml", "'sources.saml' must be a list"));
    }
    for (size_t i = 0; i < saml->size(); ++i) {
      const std::string prefix = "sources.saml[" + std::to_string(i) + "]";
      if (!(*saml)[i].is_object()) return fail(invalid(prefix, "Each SAML source is an object"));
      Reader s((*saml)[i], prefix + ".");
      if (auto ok = s.only({"vendor", "name", "name_format"}); !ok) return fail(ok.error());
      SamlSource src;
      auto vendor = s.text("vendor", true, 32);
      if (!vendor) return fail(vendor.error());
      if (!one_of(*vendor, kVendors)) {
        return fail(invalid(s.path("vendor"),
                            "vendor must be okta, entra_id, google, adfs, ping or generic"));
      }
      auto name = s.text("name", true);
      if (!name) return fail(name.error());
      auto format = s.text("name_format", false, 128);
      if (!format) return fail(format.error());
      if (format->empty()) *format = std::string(kNameFormats[2]);
      if (!one_of(*format, kNameFormats)) {
        return fail(invalid(s.path("name_format"),
                            "name_format must be a SAML 2.0 attrname-format URN (uri, basic or "
                            "unspecified)"));
      }
      m.saml.push_back({*vendor, *name, *format});
    }
  }
  return m;
}

nlohmann::json strings_json(const std::vector<std::string>& v) {
  return v.empty() ? nlohmann::json::array() : nlohmann::json(v);
}

}  // namespace

std::string_view to_string(DataType t) {
  switch (t) {
    case DataType::string:
      return "string";
    case DataType::boolean:
      return "boolean";
    case DataType::integer:
      return "integer";
    case DataType::datetime:
      return "datetime";
    case DataType::reference:
      return "reference";
    case DataType::complex:
      return "complex";
  }
  return "string";
}

std::string_view to_string(Sensitivity s) {
  switch (s) {
    case Sensitivity::personal:
      return "personal";
    case Sensitivity::confidential:
      return "confidential";
    case Sensitivity::public_data:
      return "public";
  }
  return "personal";
}

std::optional<DataType> parse_data_type(std::string_view s) {
  for (auto t : {DataType::string, DataType::boolean, DataType::integer, DataType::datetime,
                 DataType::reference, DataType::complex}) {
    if (to_string(t) == s) return t;
  }
  return std::nullopt;
}

std::optional<Sensitivity> parse_sensitivity(std::string_view s) {
  for (auto v : {Sensitivity::personal, Sensitivity::confidential, Sensitivity::public_data}) {
    if (to_string(v) == s) return v;
  }
  return std::nullopt;
}

bool is_known_purpose(std::string_view purpose) { return one_of(purpose, kPurposes); }

bool is_valid_attribute_name(std::string_view n) {
  if (n.empty() || n.size() > 64 || n[0] < 'a' || n[0] > 'z') return false;
  return std::all_of(n.begin(), n.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_';
  });
}

const AttributeDefinition* Catalog::find(std::string_view name) const {
  for (const auto& a : attributes) {
    if (a.name == name) return &a;
  }
  return nullptr;
}

Result<AttributeDefinition> parse_attribute(const nlohmann::json& j) {
  if (!j.is_object()) return fail(invalid("", "An attribute definition is a JSON object"));
  Reader r(j, "");
  if (auto ok = r.only({"name", "display_name", "description", "type", "multi_valued",
                        "sub_attributes", "reference_types", "allowed_values", "pattern",
                        "case_exact", "purposes", "sensitivity", "required", "claim", "sources",
                        "deprecated", "replaced_by", "custom"});
      !ok) {
    return fail(ok.error());
  }
  AttributeDefinition a;
  auto name = r.text("name", true, 64);
  if (!name) return fail(name.error());
  if (!is_valid_attribute_name(*name)) {
    return fail(invalid("name",
                        "Attribute names are 1-64 characters: lowercase letters, digits and '_', "
                        "starting with a letter"));
  }
  a.name = *name;
  for (auto [f, out] :
       {std::pair{"display_name", &a.display_name}, std::pair{"description", &a.description},
        std::pair{"claim", &a.claim}, std::pair{"pattern", &a.pattern},
        std::pair{"replaced_by", &a.replaced_by}}) {
    auto v = r.text(f, false);
    if (!v) return fail(v.error());
    *out = *v;
  }
  if (a.display_name.empty()) a.display_name = a.name;
  auto type = read_type(r, "type");
  if (!type) return fail(type.error());
  a.type = *type;
  for (auto [f, out] : {std::pair{"multi_valued", &a.multi_valued},
                        std::pair{"case_exact", &a.case_exact}, std::pair{"required", &a.required},
                        std::pair{"deprecated", &a.deprecated}, std::pair{"custom", &a.custom}}) {
    auto v = r.flag(f, false);
    if (!v) return fail(v.error());
    *out = *v;
  }
  auto allowed = r.strings("allowed_values");
  if (!allowed) return fail(allowed.error());
  a.allowed_values = *allowed;
  auto refs = r.strings("reference_types", 64);
  if (!refs) return fail(refs.error());
  a.reference_types = *refs;
  auto purposes = r.strings("purposes", 64);
  if (!purposes) return fail(purposes.error());
  for (const auto& p : *purposes) {
    if (!is_known_purpose(p)) {
      return fail(invalid("purposes", "Unknown purpose '" + p +
                                          "': use authentication, authorization, provisioning, "
                                          "personalization, analytics, audit or communication"));
    }
  }
  a.purposes = *purposes;
  auto sensitivity = r.text("sensitivity", false, 16);
  if (!sensitivity) return fail(sensitivity.error());
  if (!sensitivity->empty()) {
    auto s = parse_sensitivity(*sensitivity);
    if (!s) {
      return fail(invalid("sensitivity", "'sensitivity' must be personal, confidential or public"));
    }
    a.sensitivity = *s;
  }
  if (const auto* subs = r.child("sub_attributes")) {
    if (!subs->is_array() || subs->size() > 64) {
      return fail(invalid("sub_attributes", "'sub_attributes' must be a list"));
    }
    std::set<std::string> seen;
    for (size_t i = 0; i < subs->size(); ++i) {
      auto s = parse_sub((*subs)[i], "sub_attributes[" + std::to_string(i) + "]");
      if (!s) return fail(s.error());
      if (!seen.insert(s->name).second) {
        return fail(invalid("sub_attributes", "Two sub-attributes are named '" + s->name + "'"));
      }
      a.sub_attributes.push_back(std::move(*s));
    }
  }
  if (const auto* sources = r.child("sources")) {
    auto m = parse_sources(*sources);
    if (!m) return fail(m.error());
    a.sources = std::move(*m);
  }

  // Rules that tie fields together.
  if (a.type == DataType::complex && a.sub_attributes.empty()) {
    return fail(invalid("sub_attributes", "A complex attribute needs its sub_attributes"));
  }
  if (a.type != DataType::complex && !a.sub_attributes.empty()) {
    return fail(invalid("sub_attributes", "Only complex attributes have sub_attributes"));
  }
  if (a.type != DataType::reference && !a.reference_types.empty()) {
    return fail(invalid("reference_types", "Only reference attributes have reference_types"));
  }
  const bool textual = a.type == DataType::string || a.type == DataType::reference;
  if (!textual && (!a.pattern.empty() || !a.allowed_values.empty())) {
    return fail(invalid(a.pattern.empty() ? "allowed_values" : "pattern",
                        "Only string and reference attributes have allowed_values or a pattern"));
  }
  if (!a.pattern.empty() && !a.allowed_values.empty()) {
    return fail(invalid("pattern", "Give allowed_values or a pattern, not both"));
  }
  if (!a.pattern.empty()) {
    RE2::Options options;
    options.set_log_errors(false);
    options.set_max_mem(1 << 20);  // a tenant-supplied pattern gets a bounded automaton
    RE2 re(a.pattern, options);
    if (!re.ok()) {
      Error e(errc::CatalogInvalidPattern, "The pattern is not valid RE2: " + re.error());
      e.extra["field"] = "pattern";
      return fail(std::move(e));
    }
  }
  if (!a.replaced_by.empty() && !a.deprecated) {
    return fail(invalid("replaced_by", "Only a deprecated attribute has replaced_by"));
  }
  if (a.replaced_by == a.name) {
    return fail(invalid("replaced_by", "An attribute cannot replace itself"));
  }
  return a;
}

nlohmann::json attribute_json(const AttributeDefinition& a) {
  nlohmann::json subs = nlohmann::json::array();
  for (const auto& s : a.sub_attributes) {
    subs.push_back({{"name", s.name},
                    {"description", s.description},
                    {"type", to_string(s.type)},
                    {"multi_valued", s.multi_valued},
                    {"required", s.required},
                    {"case_exact", s.case_exact},
                    {"allowed_values", strings_json(s.allowed_values)}});
  }
  nlohmann::json saml = nlohmann::json::array();
  for (const auto& s : a.sources.saml) {
    saml.push_back({{"vendor", s.vendor}, {"name", s.name}, {"name_format", s.name_format}});
  }
  nlohmann::json j = {
      {"name", a.name},
      {"display_name", a.display_name},
      {"description", a.description},
      {"type", to_string(a.type)},
      {"multi_valued", a.multi_valued},
      {"case_exact", a.case_exact},
      {"required", a.required},
      {"sensitivity", to_string(a.sensitivity)},
      {"purposes", strings_json(a.purposes)},
      {"allowed_values", strings_json(a.allowed_values)},
      {"pattern", a.pattern},
      {"claim", a.claim},
      {"sources",
       {{"saml", saml},
        {"oidc", strings_json(a.sources.oidc)},
        {"scim", strings_json(a.sources.scim)}}},
      {"deprecated", a.deprecated},
  };
  if (a.type == DataType::complex) j["sub_attributes"] = subs;
  if (a.type == DataType::reference) j["reference_types"] = strings_json(a.reference_types);
  if (a.deprecated && !a.replaced_by.empty()) j["replaced_by"] = a.replaced_by;
  if (a.custom) j["custom"] = true;
  return j;
}

Result<Catalog> parse_catalog(const nlohmann::json& j) {
  if (!j.is_object() || !j.contains("attributes") || !j["attributes"].is_array()) {
    return fail(invalid("attributes", "A catalog is an object with a list of attributes"));
  }
  Catalog c;
  if (j.contains("namespace") && j["namespace"].is_string()) c.name_space = j["namespace"];
  for (const auto& a : j["attributes"]) {
    auto def = parse_attribute(a);
    if (!def) return fail(def.error());
    c.attributes.push_back(std::move(*def));
  }
  return c;
}

nlohmann::json catalog_json(const Catalog& c) {
  nlohmann::json attrs = nlohmann::json::array();
  for (const auto& a : c.attributes) attrs.push_back(attribute_json(a));
  nlohmann::json j = {{"attributes", attrs}};
  if (!c.name_space.empty()) j["namespace"] = c.name_space;
  return j;
}

Result<bool> check_catalog(const Catalog& c) {
  std::set<std::string> names;
  for (const auto& a : c.attributes) {
    if (!names.insert(a.name).second) {
      return fail(errc::CatalogAttributeExists,
                  "The catalog already has an attribute named '" + a.name + "'");
    }
  }
  return true;
}

std::string qualified_custom_name(std::string_view name_space, std::string_view name) {
  return "org." + std::string(name_space) + "." + std::string(name);
}

std::string custom_extension_urn(std::string_view name_space) {
  return "urn:gatehouse:scim:schemas:extension:" + std::string(name_space) + ":2.0:User";
}

Catalog effective(const Catalog& environment, const Catalog* organization) {
  Catalog out = environment;
  out.name_space.clear();
  if (!organization) return out;
  out.name_space = organization->name_space;
  for (auto a : organization->attributes) {
    a.custom = true;
    if (a.sources.scim.empty()) {
      a.sources.scim.push_back(custom_extension_urn(organization->name_space) + ":" + a.name);
    }
    if (!a.replaced_by.empty() && organization->find(a.replaced_by)) {
      a.replaced_by = qualified_custom_name(organization->name_space, a.replaced_by);
    }
    a.name = qualified_custom_name(organization->name_space, a.name);
    out.attributes.push_back(std::move(a));
  }
  return out;
}

}  // namespace gh::catalog
