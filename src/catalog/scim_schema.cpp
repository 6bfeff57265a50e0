#include "catalog/scim_schema.h"

#include <algorithm>
#include <map>

namespace gh::catalog {

namespace {

bool iequals(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) ==
                  std::tolower(static_cast<unsigned char>(y));
         });
}

// One attribute or sub-attribute of a SCIM schema, with the catalog attribute behind it.
struct Node {
  std::string name;
  std::string type = "string";  // SCIM: string boolean integer dateTime reference complex
  bool multi = false;
  bool required = false;
  bool case_exact = false;
  std::string mutability = "readWrite";
  std::string returned = "default";
  std::string uniqueness = "none";
  std::string description;
  std::vector<std::string> canonical;
  std::vector<std::string> reference_types;
  std::vector<Node> subs;
  const AttributeDefinition* def = nullptr;  // the catalog attribute whose value this is
  std::string when_type;  // for emails[type eq "work"].value: applies to elements of this type
};

struct SchemaTree {
  std::string id;
  std::string name;
  std::string description;
  std::vector<Node> attrs;
};

std::string scim_type(DataType t) {
  switch (t) {
    case DataType::string:
      return "string";
    case DataType::boolean:
      return "boolean";
    case DataType::integer:
      return "integer";
    case DataType::datetime:
      return "dateTime";
    case DataType::reference:
      return "reference";
    case DataType::complex:
      return "complex";
  }
  return "string";
}

Node* find(std::vector<Node>& nodes, std::string_view name) {
  for (auto& n : nodes) {
    if (iequals(n.name, name)) return &n;
  }
  return nullptr;
}
const Node* find(const std::vector<Node>& nodes, std::string_view name) {
  for (const auto& n : nodes) {
    if (iequals(n.name, name)) return &n;
  }
  return nullptr;
}

Node leaf(std::string name, std::string type, std::string description = {}) {
  Node n;
  n.name = std::move(name);
  n.type = std::move(type);
  n.description = std::move(description);
  return n;
}

std::string describe(const AttributeDefinition& a) {
  std::string d = a.description.empty() ? a.display_name : a.description;
  if (a.deprecated) {
    d += a.replaced_by.empty() ? " (deprecated)" : " (deprecated: use " + a.replaced_by + ")";
  }
  return d;
}

// The node an attribute becomes when it is a whole SCIM attribute ("displayName", "manager").
Node whole(const AttributeDefinition& a, const std::string& name) {
  Node n = leaf(name, scim_type(a.type), describe(a));
  n.multi = a.multi_valued;
  n.required = a.required;
  n.case_exact = a.case_exact;
  n.def = &a;
  n.canonical = a.allowed_values;
  if (a.type == DataType::reference) {
    // RFC 7643: references to resources are complex (value, $ref, display); groups are
    // read-only on the User (§4.1.2), the manager is the enterprise extension's (§4.3).
    n.type = "complex";
    n.def = nullptr;
    Node value = leaf("value", "string", "The id of the referenced resource");
    value.case_exact = true;
    value.def = &a;
    Node ref = leaf("$ref", "reference", "The URI of the referenced resource");
    ref.reference_types = a.reference_types;
    ref.case_exact = true;
    n.subs = {value, ref};
    const bool group = std::find(a.reference_types.begin(), a.reference_types.end(), "Group") !=
                       a.reference_types.end();
    if (a.multi_valued) {
      n.subs.push_back(leaf("display", "string", "A name for the referenced resource"));
      n.subs.push_back(leaf("type", "string"));
      if (group) n.subs.back().canonical = {"direct", "indirect"};
    } else {
      n.subs.push_back(leaf("displayName", "string", "A name for the referenced resource"));
    }
    if (group) {
      n.mutability = "readOnly";
      for (auto& s : n.subs) s.mutability = "readOnly";
    }
    // A single reference's value gets the catalog's rules; a multi-valued one's every element.
    n.subs[0].def = &a;
    return n;
  }
  for (const auto& s : a.sub_attributes) {
    Node sub = leaf(s.name, scim_type(s.type), s.description);
    sub.multi = s.multi_valued;
    sub.required = s.required;
    sub.case_exact = s.case_exact;
    sub.canonical = s.allowed_values;
    n.subs.push_back(std::move(sub));
  }
  return n;
}

// Places one attribute at its SCIM path in the schema's attributes.
void place(std::vector<Node>& attrs, const AttributeDefinition& a, const std::string& path) {
  const size_t bracket = path.find('['), dot = path.find('.');
  const size_t end = std::min(bracket, dot);
  const std::string top = path.substr(0, end);
  if (top.empty()) return;
  if (end == std::string::npos) {
    if (find(attrs, top)) return;  // the first attribute placed at a path wins
    attrs.push_back(whole(a, top));
    return;
  }
  std::string filter_type, sub;
  if (end == bracket) {
    // top[type eq "work"].sub
    const size_t close = path.find(']', bracket);
    if (close == std::string::npos || close + 1 >= path.size() || path[close + 1] != '.') return;
    const std::string filter = path.substr(bracket + 1, close - bracket - 1);
    const size_t q1 = filter.find('"'), q2 = filter.rfind('"');
    if (filter.rfind("type eq ", 0) != 0 || q1 == std::string::npos || q2 <= q1) return;
    filter_type = filter.substr(q1 + 1, q2 - q1 - 1);
    sub = path.substr(close + 2);
  } else {
    sub = path.substr(dot + 1);
  }
  Node* parent = find(attrs, top);
  if (!parent) {
    Node n = leaf(top, "complex");
    n.multi = !filter_type.empty();
    if (n.multi) {
      // RFC 7643 §2.4: the sub-attributes of multi-valued attributes.
      n.subs = {leaf("value", "string"), leaf("display", "string"), leaf("type", "string"),
                leaf("primary", "boolean")};
      n.subs[1].mutability = "readOnly";
    }
    attrs.push_back(std::move(n));
    parent = &attrs.back();
  }
  if (parent->type != "complex") return;
  Node* target = find(parent->subs, sub);
  if (!target) {
    parent->subs.push_back(leaf(sub, scim_type(a.type)));
    target = &parent->subs.back();
  }
  if (target->def) return;
  target->type = scim_type(a.type == DataType::reference ? DataType::string : a.type);
  target->description = describe(a);
  target->case_exact = a.case_exact;
  target->required = a.required && filter_type.empty();
  target->canonical = a.allowed_values;
  target->def = &a;
  target->when_type = filter_type;
  if (!filter_type.empty()) {
    if (Node* type = find(parent->subs, "type")) {
      if (std::find(type->canonical.begin(), type->canonical.end(), filter_type) ==
          type->canonical.end()) {
        type->canonical.push_back(filter_type);
      }
    }
  }
  if (a.required) parent->required = true;
}

std::vector<SchemaTree> build(const Catalog& c) {
  SchemaTree core{std::string(kScimCoreUser), "User", "User Account", {}};
  SchemaTree enterprise{std::string(kScimEnterpriseUser), "EnterpriseUser", "Enterprise User", {}};
  std::map<std::string, SchemaTree> custom;
  for (const auto& a : c.attributes) {
    if (a.sources.scim.empty()) continue;
    const std::string& path = a.sources.scim.front();
    if (path.rfind("urn:", 0) == 0) {
      const size_t colon = path.rfind(':');
      const std::string urn = path.substr(0, colon), rest = path.substr(colon + 1);
      if (iequals(urn, kScimEnterpriseUser)) {
        place(enterprise.attrs, a, rest);
      } else if (!c.name_space.empty() && urn == custom_extension_urn(c.name_space)) {
        auto& t = custom[urn];
        t.id = urn;
        t.name = c.name_space;
        t.description = "Custom attributes of the organization '" + c.name_space + "'";
        place(t.attrs, a, rest);
      } else if (iequals(urn, kScimCoreUser)) {
        place(core.attrs, a, rest);
      }
      continue;
    }
    place(core.attrs, a, path);
  }
  // Protocol attributes every User has, whatever the catalog says (RFC 7643 §4.1).
  if (!find(core.attrs, "userName")) {
    Node n = leaf("userName", "string", "Unique identifier for the User");
    n.required = true;
    core.attrs.insert(core.attrs.begin(), n);
  }
  find(core.attrs, "userName")->uniqueness = "server";
  if (!find(core.attrs, "active")) {
    core.attrs.push_back(leaf("active", "boolean", "The User's administrative status"));
  }
  if (!find(core.attrs, "password")) {
    Node n = leaf("password", "string", "Never stored: Gatehouse users sign in at their IdP");
    n.mutability = "writeOnly";
    n.returned = "never";
    core.attrs.push_back(n);
  }
  if (!find(core.attrs, "roles")) {
    Node n = leaf("roles", "complex", "Roles are assigned in Gatehouse, not through SCIM");
    n.multi = true;
    n.mutability = "readOnly";
    n.subs = {leaf("value", "string"), leaf("display", "string"), leaf("type", "string"),
              leaf("primary", "boolean")};
    core.attrs.push_back(n);
  }
  std::vector<SchemaTree> out{core};
  if (!enterprise.attrs.empty()) out.push_back(enterprise);
  for (auto& [urn, t] : custom) out.push_back(t);
  return out;
}

nlohmann::json node_json(const Node& n) {
  nlohmann::json j = {{"name", n.name},
                      {"type", n.type},
                      {"multiValued", n.multi},
                      {"description", n.description},
                      {"required", n.required},
                      {"caseExact", n.case_exact},
                      {"mutability", n.mutability},
                      {"returned", n.returned},
                      {"uniqueness", n.uniqueness}};
  if (!n.canonical.empty()) j["canonicalValues"] = n.canonical;
  if (n.type == "reference") {
    j["referenceTypes"] =
        n.reference_types.empty() ? std::vector<std::string>{"external"} : n.reference_types;
  }
  if (n.type == "complex") {
    nlohmann::json subs = nlohmann::json::array();
    for (const auto& s : n.subs) subs.push_back(node_json(s));
    j["subAttributes"] = subs;
  }
  return j;
}

// The catalog's rules, applied where a value belongs to a catalog attribute.
void check_catalog_rules(const Node& n, const nlohmann::json& v, const std::string& path,
                         ScimCheck& out) {
  if (!n.def || n.def->type == DataType::complex) return;
  AttributeDefinition single = *n.def;
  single.multi_valued = false;
  single.required = false;
  if (single.type == DataType::reference) single.type = DataType::string;
  if (auto bad = check_value(single, v)) {
    // Named by the SCIM path the IdP sent, with the catalog attribute in the message.
    bad->message = "'" + path + "' (catalog attribute '" + n.def->name + "'): " + bad->message;
    bad->attribute = path;
    out.invalid.push_back(*bad);
  }
}

bool scim_type_ok(const Node& n, const nlohmann::json& v) {
  if (n.type == "string" || n.type == "reference") return v.is_string();
  if (n.type == "dateTime") return v.is_string() && is_datetime(v.get_ref<const std::string&>());
  if (n.type == "boolean") return v.is_boolean();
  if (n.type == "integer") return v.is_number_integer();
  if (n.type == "decimal") return v.is_number();
  if (n.type == "complex") return v.is_object();
  return true;
}

void check_node(const Node& n, const nlohmann::json& v, const std::string& path, ScimCheck& out);

void check_single(const Node& n, const nlohmann::json& v, const std::string& path, ScimCheck& out) {
  if (v.is_null()) return;
  if (!scim_type_ok(n, v)) {
    out.invalid.push_back(
        {path, "type", "'" + path + "' must be of SCIM type " + n.type + (n.multi ? "" : "")});
    return;
  }
  if (n.type != "complex") {
    check_catalog_rules(n, v, path, out);
    return;
  }
  std::string element_type;
  if (auto it = std::find_if(v.items().begin(), v.items().end(),
                             [](const auto& kv) { return iequals(kv.key(), "type"); });
      it != v.items().end() && it.value().is_string()) {
    element_type = it.value().get<std::string>();
  }
  for (const auto& [key, sv] : v.items()) {
    const Node* sub = find(n.subs, key);
    if (!sub) {
      out.ignored.push_back(path + "." + key);
      continue;
    }
    if (!sub->when_type.empty() && !element_type.empty() &&
        !iequals(sub->when_type, element_type)) {
      // emails[type eq "home"]: not the catalog's work email; SCIM types only.
      Node plain = *sub;
      plain.def = nullptr;
      check_node(plain, sv, path + "." + sub->name, out);
      continue;
    }
    check_node(*sub, sv, path + "." + sub->name, out);
  }
}

void check_node(const Node& n, const nlohmann::json& v, const std::string& path, ScimCheck& out) {
  if (n.mutability == "readOnly") {
    out.ignored.push_back(path);
    return;
  }
  const bool empty = v.is_null() || (v.is_array() && v.empty());
  if (empty) {
    if (n.required) out.invalid.push_back({path, "required", "'" + path + "' is required"});
    return;
  }
  if (n.multi) {
    if (!v.is_array()) {
      out.invalid.push_back({path, "multi_valued", "'" + path + "' must be a list"});
      return;
    }
    for (const auto& e : v) check_single(n, e, path, out);
    return;
  }
  if (v.is_array()) {
    out.invalid.push_back({path, "multi_valued", "'" + path + "' takes a single value"});
    return;
  }
  check_single(n, v, path, out);
}

void check_schema_attrs(const SchemaTree& t, const nlohmann::json& obj, const std::string& prefix,
                        ScimCheck& out) {
  for (const auto& [key, v] : obj.items()) {
    const Node* n = find(t.attrs, key);
    if (!n) {
      out.ignored.push_back(prefix + key);
      continue;
    }
    check_node(*n, v, prefix + n->name, out);
  }
  for (const auto& n : t.attrs) {
    if (!n.required) continue;
    bool present = false;
    for (const auto& [key, v] : obj.items()) present |= iequals(key, n.name);
    if (!present) {
      out.invalid.push_back({prefix + n.name, "required", "'" + n.name + "' is required"});
    }
  }
}

}  // namespace

std::vector<nlohmann::json> scim_schema_resources(const Catalog& effective,
                                                  std::string_view base_url) {
  std::vector<nlohmann::json> out;
  for (const auto& t : build(effective)) {
    nlohmann::json attrs = nlohmann::json::array();
    for (const auto& n : t.attrs) attrs.push_back(node_json(n));
    out.push_back(
        {{"schemas", {"urn:ietf:params:scim:schemas:core:2.0:Schema"}},
         {"id", t.id},
         {"name", t.name},
         {"description", t.description},
         {"attributes", attrs},
         {"meta",
          {{"resourceType", "Schema"}, {"location", std::string(base_url) + "/Schemas/" + t.id}}}});
  }
  return out;
}

nlohmann::json scim_schemas_list(const Catalog& effective, std::string_view base_url) {
  auto resources = scim_schema_resources(effective, base_url);
  return {{"schemas", {"urn:ietf:params:scim:api:messages:2.0:ListResponse"}},
          {"totalResults", resources.size()},
          {"itemsPerPage", resources.size()},
          {"startIndex", 1},
          {"Resources", resources}};
}

std::vector<std::string> scim_extension_urns(const Catalog& effective) {
  std::vector<std::string> out;
  for (const auto& t : build(effective)) {
    if (t.id != kScimCoreUser) out.push_back(t.id);
  }
  return out;
}

ScimCheck check_scim_user(const Catalog& effective, const nlohmann::json& resource) {
  ScimCheck out;
  if (!resource.is_object()) {
    out.invalid.push_back({"", "type", "A User resource is a JSON object"});
    return out;
  }
  const auto trees = build(effective);
  const SchemaTree& core = trees.front();
  nlohmann::json core_values = nlohmann::json::object();
  for (const auto& [key, v] : resource.items()) {
    if (key == "schemas" || key == "id" || iequals(key, "externalId") || key == "meta") continue;
    if (key.rfind("urn:", 0) == 0) {
      auto ext = std::find_if(trees.begin() + 1, trees.end(),
                              [&](const SchemaTree& t) { return iequals(t.id, key); });
      if (ext == trees.end()) {
        out.ignored.push_back(key);
      } else if (!v.is_object()) {
        if (!v.is_null()) out.invalid.push_back({key, "type", "'" + key + "' must be an object"});
      } else {
        check_schema_attrs(*ext, v, key + ":", out);
      }
      continue;
    }
    core_values[key] = v;
  }
  check_schema_attrs(core, core_values, "", out);
  return out;
}

nlohmann::json scim_invalid_value_error(const std::vector<ValueViolation>& invalid) {
  std::string detail;
  for (const auto& v : invalid) {
    detail += (detail.empty() ? "" : "; ") + v.message + " (" + v.rule + ")";
  }
  return {{"schemas", {"urn:ietf:params:scim:api:messages:2.0:Error"}},
          {"status", "400"},
          {"scimType", "invalidValue"},
          {"detail", detail}};
}

}  // namespace gh::catalog
