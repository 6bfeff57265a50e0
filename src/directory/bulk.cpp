#include "directory/bulk.h"

#include <algorithm>
#include <cctype>

namespace gh::directory {

namespace {

constexpr std::string_view kBulkIdPrefix = "bulkId:";

std::string upper(std::string s) {
  for (auto& c : s) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return s;
}

const nlohmann::json* member(const nlohmann::json& o, std::string_view name) {
  return o.is_object() ? find_member(o, name) : nullptr;
}

void collect(const nlohmann::json& v, std::vector<std::string>& out) {
  if (v.is_string()) {
    const auto& s = v.get_ref<const std::string&>();
    if (s.starts_with(kBulkIdPrefix)) {
      std::string id = s.substr(kBulkIdPrefix.size());
      if (std::find(out.begin(), out.end(), id) == out.end()) out.push_back(std::move(id));
    }
    return;
  }
  if (v.is_object() || v.is_array()) {
    for (const auto& e : v) collect(e, out);
  }
}

// Replaces references in place; the first unresolved one goes to `missing`.
void replace(nlohmann::json& v, const std::map<std::string, std::string>& ids,
             std::optional<std::string>& missing) {
  if (v.is_string()) {
    const auto& s = v.get_ref<const std::string&>();
    if (!s.starts_with(kBulkIdPrefix)) return;
    const std::string id = s.substr(kBulkIdPrefix.size());
    auto it = ids.find(id);
    if (it == ids.end()) {
      if (!missing) missing = id;
      return;
    }
    v = it->second;
    return;
  }
  if (v.is_object() || v.is_array()) {
    for (auto& e : v) replace(e, ids, missing);
  }
}

}  // namespace

ScimResult<BulkRequest> parse_bulk_request(const nlohmann::json& body) {
  if (!body.is_object()) return scim_fail(400, "invalidSyntax", "the body must be a JSON object");
  BulkRequest out;
  if (const auto* f = member(body, "failOnErrors"); f && !f->is_null()) {
    if (!f->is_number_integer() || f->get<int64_t>() < 1 || f->get<int64_t>() > 1'000'000) {
      return scim_fail(400, "invalidSyntax", "failOnErrors must be a positive integer");
    }
    out.fail_on_errors = static_cast<int>(f->get<int64_t>());
  }
  const auto* ops = member(body, "Operations");
  if (!ops || !ops->is_array()) {
    return scim_fail(400, "invalidSyntax", "a BulkRequest needs an Operations array");
  }
  if (ops->size() > kBulkMaxOperations) {
    return scim_fail(413, "tooMany",
                     "the request has " + std::to_string(ops->size()) +
                         " operations; maxOperations is " + std::to_string(kBulkMaxOperations));
  }
  std::vector<std::string> bulk_ids;
  for (size_t i = 0; i < ops->size(); ++i) {
    const auto& o = (*ops)[i];
    const std::string where = "Operations[" + std::to_string(i) + "]";
    if (!o.is_object()) return scim_fail(400, "invalidSyntax", where + " must be an object");
    BulkOperation op;
    const auto* method = member(o, "method");
    if (!method || !method->is_string()) {
      return scim_fail(400, "invalidSyntax", where + ".method is required");
    }
    op.method = upper(method->get<std::string>());
    if (op.method != "POST" && op.method != "PUT" && op.method != "PATCH" &&
        op.method != "DELETE") {
      return scim_fail(400, "invalidSyntax", where + ".method must be POST, PUT, PATCH or DELETE");
    }
    const auto* path = member(o, "path");
    if (!path || !path->is_string() || path->get<std::string>().empty()) {
      return scim_fail(400, "invalidSyntax", where + ".path is required");
    }
    op.path = path->get<std::string>();
    if (const auto* b = member(o, "bulkId"); b && !b->is_null()) {
      if (!b->is_string() || b->get<std::string>().empty() || b->get<std::string>().size() > 256) {
        return scim_fail(400, "invalidSyntax", where + ".bulkId must be a non-empty string");
      }
      op.bulk_id = b->get<std::string>();
      if (std::find(bulk_ids.begin(), bulk_ids.end(), op.bulk_id) != bulk_ids.end()) {
        return scim_fail(400, "invalidSyntax",
                         where + ".bulkId '" + op.bulk_id + "' is used twice in this request");
      }
      bulk_ids.push_back(op.bulk_id);
    }
    if (op.method == "POST" && op.bulk_id.empty()) {
      return scim_fail(400, "invalidSyntax", where + ": a POST needs a bulkId (RFC 7644 §3.7)");
    }
    if (const auto* v = member(o, "version"); v && v->is_string())
      op.version = v->get<std::string>();
    if (const auto* d = member(o, "data"); d && !d->is_null()) op.data = *d;
    if (op.method != "DELETE" && !op.data.is_object()) {
      return scim_fail(400, "invalidSyntax", where + ".data must be an object");
    }
    out.operations.push_back(std::move(op));
  }
  return out;
}

ScimResult<BulkTarget> bulk_target(const BulkOperation& op) {
  std::string p = op.path;
  if (p.empty() || p.front() != '/') p = "/" + p;
  BulkTarget t;
  std::string rest;
  if (p.starts_with("/Users")) {
    t.type = "User";
    rest = p.substr(6);
  } else if (p.starts_with("/Groups")) {
    t.type = "Group";
    rest = p.substr(7);
  } else {
    return scim_fail(400, "invalidPath", "'" + op.path + "' is not /Users or /Groups");
  }
  if (!rest.empty()) {
    if (rest.front() != '/' || rest.size() == 1 || rest.find('/', 1) != std::string::npos) {
      return scim_fail(400, "invalidPath", "'" + op.path + "' is not a resource path");
    }
    t.id = rest.substr(1);
  }
  if (op.method == "POST" && !t.id.empty()) {
    return scim_fail(400, "invalidPath", "a POST goes to /Users or /Groups");
  }
  if (op.method != "POST" && t.id.empty()) {
    return scim_fail(400, "invalidPath", "a " + op.method + " names the resource: /Users/{id}");
  }
  return t;
}

std::vector<std::string> bulk_references(const BulkOperation& op) {
  std::vector<std::string> out;
  collect(nlohmann::json(op.path.substr(op.path.rfind('/') + 1)), out);
  collect(op.data, out);
  return out;
}

std::optional<std::string> resolve_bulk_references(BulkOperation& op,
                                                   const std::map<std::string, std::string>& ids) {
  std::optional<std::string> missing;
  const size_t slash = op.path.rfind('/');
  nlohmann::json last = op.path.substr(slash + 1);
  replace(last, ids, missing);
  if (!missing) op.path = op.path.substr(0, slash + 1) + last.get<std::string>();
  replace(op.data, ids, missing);
  return missing;
}

}  // namespace gh::directory
