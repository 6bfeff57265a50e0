#include "directory/patch.h"

namespace gh::directory {

namespace {

// The key of `name` in `object` as stored (case-insensitive), or `name` itself when absent.
std::string key_of(const nlohmann::json& object, std::string_view name) {
  if (object.is_object()) {
    for (auto it = object.begin(); it != object.end(); ++it) {
      if (lower(it.key()) == lower(name)) return it.key();
    }
  }
  return std::string(name);
}

bool is_readonly(const std::string& lowercase_attr) {
  return lowercase_attr == "id" || lowercase_attr == "meta" || lowercase_attr == "groups";
}

void coerce_bool(nlohmann::json& v) {
  if (!v.is_string()) return;
  const std::string s = lower(v.get<std::string>());
  if (s == "true") v = true;
  if (s == "false") v = false;
}

// Elements equal for add's de-duplication: same "value" when both have one, else equal JSON.
bool same_element(const nlohmann::json& a, const nlohmann::json& b) {
  if (a.is_object() && b.is_object()) {
    const auto* va = find_member(a, "value");
    const auto* vb = find_member(b, "value");
    if (va && vb) return *va == *vb;
  }
  return a == b;
}

// A conjunction of eq comparisons as the attributes of a new element, if the filter is one.
bool eq_conjunction(const Filter& f, nlohmann::json& out) {
  if (f.kind == Filter::Kind::and_) {
    return eq_conjunction(f.kids[0], out) && eq_conjunction(f.kids[1], out);
  }
  if (f.kind == Filter::Kind::compare && f.op == "eq" && f.path.sub.empty() && f.path.urn.empty()) {
    out[f.path.attr] = f.value;
    return true;
  }
  return false;
}

void merge_into(nlohmann::json& target, const nlohmann::json& value) {
  for (auto it = value.begin(); it != value.end(); ++it) {
    target[key_of(target, it.key())] = it.value();
  }
}

// The primary element wins: when several claim primary, the last one set keeps it.
void fix_primary(nlohmann::json& arr, const nlohmann::json* chosen) {
  if (!arr.is_array()) return;
  int primaries = 0;
  for (auto& e : arr) {
    if (!e.is_object()) continue;
    if (auto* p = const_cast<nlohmann::json*>(find_member(e, "primary"))) {
      coerce_bool(*p);
      if (p->is_boolean() && p->get<bool>()) ++primaries;
    }
  }
  if (primaries <= 1) return;
  const nlohmann::json* keep = chosen;
  if (!keep) {
    for (auto& e : arr) {
      const auto* p = e.is_object() ? find_member(e, "primary") : nullptr;
      if (p && p->is_boolean() && p->get<bool>()) keep = &e;
    }
  }
  for (auto& e : arr) {
    if (!e.is_object() || &e == keep) continue;
    if (auto* p = const_cast<nlohmann::json*>(find_member(e, "primary"))) *p = false;
  }
}

class Patcher {
 public:
  Patcher(nlohmann::json& r, const CaseExact& ce) : r_(r), ce_(ce) {}

  ScimResult<bool> op(const std::string& op, const std::optional<std::string>& path,
                      const nlohmann::json* value) {
    if (!path) return pathless(op, value);
    auto parsed = parse_patch_path(*path);
    if (!parsed.path) return scim_fail(400, "invalidPath", parsed.error.detail);
    return with_path(op, *parsed.path, value);
  }

 private:
  ScimResult<bool> pathless(const std::string& op, const nlohmann::json* value) {
    if (op == "remove") return scim_fail(400, "noTarget", "remove needs a path");
    if (!value || !value->is_object()) {
      return scim_fail(400, "invalidValue", op + " without a path needs an object value");
    }
    for (auto it = value->begin(); it != value->end(); ++it) {
      const std::string& k = it.key();
      const std::string lk = lower(k);
      if (lk.starts_with("urn:") && it.value().is_object()) {
        // {"urn:...:enterprise:2.0:User": {"employeeNumber": "1"}}
        nlohmann::json& ext = r_[key_of(r_, k)];
        if (!ext.is_object()) ext = nlohmann::json::object();
        if (op == "replace") {
          merge_into(ext, it.value());
        } else {
          for (auto s = it.value().begin(); s != it.value().end(); ++s) {
            auto done = add_to(ext, s.key(), s.value());
            if (!done) return done;
          }
        }
        continue;
      }
      if (is_readonly(lk)) {
        // Okta's group rename carries the id; a different id is an attempt to change it.
        if (lk == "id" && find_member(r_, "id") && *find_member(r_, "id") != it.value()) {
          return scim_fail(400, "mutability", "id is read-only");
        }
        continue;
      }
      if (lk.find('.') != std::string::npos || lk.starts_with("urn:")) {
        auto done = op_path(op, k, &it.value());
        if (!done) return done;
        continue;
      }
      if (op == "replace") {
        r_[key_of(r_, k)] = it.value();
      } else {
        auto done = add_to(r_, k, it.value());
        if (!done) return done;
      }
    }
    return true;
  }

  ScimResult<bool> op_path(const std::string& op, const std::string& path,
                           const nlohmann::json* value) {
    auto parsed = parse_patch_path(path);
    if (!parsed.path) return scim_fail(400, "invalidPath", parsed.error.detail);
    return with_path(op, *parsed.path, value);
  }

  // add: multi-valued attributes gain the new values (no duplicates), complex ones merge,
  // anything else is set.
  ScimResult<bool> add_to(nlohmann::json& container, const std::string& name,
                          const nlohmann::json& value) {
    const std::string k = key_of(container, name);
    auto it = container.find(k);
    if (it != container.end() && it->is_array()) {
      const nlohmann::json items = value.is_array() ? value : nlohmann::json::array({value});
      const nlohmann::json* chosen = nullptr;
      for (const auto& v : items) {
        bool dup = false;
        for (auto& e : *it) {
          if (same_element(e, v)) {
            if (v.is_object() && e.is_object()) merge_into(e, v);
            dup = true;
            break;
          }
        }
        if (!dup) it->push_back(v);
      }
      if (!items.empty() && items.back().is_object()) {
        const auto* p = find_member(items.back(), "primary");
        nlohmann::json pb = p ? *p : nlohmann::json(false);
        coerce_bool(pb);
        if (pb == true) {
          for (auto& e : *it) {
            if (same_element(e, items.back())) chosen = &e;
          }
        }
      }
      fix_primary(*it, chosen);
      return true;
    }
    if (it != container.end() && it->is_object() && value.is_object()) {
      merge_into(*it, value);
      return true;
    }
    container[k] = value;
    return true;
  }

  ScimResult<bool> with_path(const std::string& op, const PatchPath& pp,
                             const nlohmann::json* value) {
    const std::string lattr = lower(pp.path.attr);
    if (is_readonly(lattr) && pp.path.urn.empty()) {
      return scim_fail(400, "mutability", pp.path.attr + " is read-only");
    }
    if (op == "remove" && pp.path.urn.empty() && pp.path.sub.empty() && !pp.filter &&
        (lattr == "username" || lattr == "displayname") && !value) {
      return scim_fail(400, "mutability", pp.path.attr + " is required and cannot be removed");
    }
    if (op != "remove" && !value) return scim_fail(400, "invalidValue", op + " needs a value");
    // The object the attribute lives in: the resource or its extension.
    nlohmann::json* root = &r_;
    if (!pp.path.urn.empty() && lower(pp.path.urn).find(":core:") == std::string::npos) {
      const std::string k = key_of(r_, pp.path.urn);
      if (!r_.contains(k)) {
        if (op == "remove") return true;
        r_[k] = nlohmann::json::object();
      }
      root = &r_[k];
      if (!root->is_object()) *root = nlohmann::json::object();
    }
    const std::string k = key_of(*root, pp.path.attr);
    if (!pp.filter) {
      if (pp.path.sub.empty()) {
        if (op == "add") return add_to(*root, pp.path.attr, *value);
        if (op == "replace") {
          (*root)[k] = *value;
          if ((*root)[k].is_array()) fix_primary((*root)[k], nullptr);
          return true;
        }
        // remove
        auto it = root->find(k);
        if (it == root->end()) return true;
        if (value && it->is_array() && !value->is_null()) {
          // Entra: the value array names the members to remove; only those go.
          const nlohmann::json items = value->is_array() ? *value : nlohmann::json::array({*value});
          nlohmann::json kept = nlohmann::json::array();
          for (auto& e : *it) {
            bool named = false;
            for (const auto& v : items) named = named || same_element(e, v);
            if (!named) kept.push_back(e);
          }
          *it = std::move(kept);
          return true;
        }
        root->erase(k);
        return true;
      }
      // name.givenName
      auto it = root->find(k);
      if (op == "remove") {
        if (it == root->end()) return true;
        auto erase_sub = [&](nlohmann::json& o) {
          if (o.is_object()) o.erase(key_of(o, pp.path.sub));
        };
        if (it->is_array()) {
          for (auto& e : *it) erase_sub(e);
        } else {
          erase_sub(*it);
        }
        return true;
      }
      if (it == root->end() || it->is_null()) {
        (*root)[k] = nlohmann::json::object();
        it = root->find(k);
      }
      if (it->is_array()) {
        for (auto& e : *it) {
          if (e.is_object()) e[key_of(e, pp.path.sub)] = *value;
        }
        return true;
      }
      if (!it->is_object()) {
        return scim_fail(400, "invalidPath", pp.path.attr + " has no sub-attributes");
      }
      (*it)[key_of(*it, pp.path.sub)] = *value;
      return true;
    }
    // A filtered path: members[value eq "x"], emails[type eq "work"].value.
    auto it = root->find(k);
    std::vector<size_t> hits;
    if (it != root->end() && it->is_array()) {
      for (size_t i = 0; i < it->size(); ++i) {
        if (matches_element(*pp.filter, (*it)[i], pp.path.attr, ce_)) hits.push_back(i);
      }
    }
    if (op == "remove") {
      if (hits.empty()) return true;
      if (pp.sub_after.empty()) {
        nlohmann::json kept = nlohmann::json::array();
        size_t h = 0;
        for (size_t i = 0; i < it->size(); ++i) {
          if (h < hits.size() && hits[h] == i) {
            ++h;
            continue;
          }
          kept.push_back((*it)[i]);
        }
        *it = std::move(kept);
      } else {
        for (size_t i : hits) {
          auto& e = (*it)[i];
          if (e.is_object()) e.erase(key_of(e, pp.sub_after));
        }
      }
      return true;
    }
    if (hits.empty()) {
      nlohmann::json element = nlohmann::json::object();
      if (!eq_conjunction(*pp.filter, element)) {
        return scim_fail(400, "noTarget",
                         "no value of " + pp.path.attr + " matches " + print_filter(*pp.filter));
      }
      if (!pp.sub_after.empty()) {
        element[pp.sub_after] = *value;
      } else if (value->is_object()) {
        merge_into(element, *value);
      } else {
        return scim_fail(400, "invalidValue", "the value for a filtered path must be an object");
      }
      if (it == root->end() || !it->is_array()) {
        (*root)[k] = nlohmann::json::array();
        it = root->find(k);
      }
      it->push_back(element);
      const auto* p = find_member(it->back(), "primary");
      fix_primary(*it, p && *p == true ? &it->back() : nullptr);
      return true;
    }
    for (size_t i : hits) {
      auto& e = (*it)[i];
      if (!pp.sub_after.empty()) {
        if (!e.is_object()) return scim_fail(400, "invalidPath", "the value has no sub-attributes");
        e[key_of(e, pp.sub_after)] = *value;
      } else if (value->is_object() && e.is_object()) {
        merge_into(e, *value);
      } else {
        e = *value;
      }
    }
    fix_primary(*it, nullptr);
    return true;
  }

  nlohmann::json& r_;
  const CaseExact& ce_;
};

void normalize_multi(nlohmann::json& arr) {
  for (auto& e : arr) {
    if (!e.is_object()) continue;
    if (auto* p = const_cast<nlohmann::json*>(find_member(e, "primary"))) coerce_bool(*p);
    if (auto it = e.find("$ref"); it != e.end() && it->is_null()) e.erase(it);
  }
}

}  // namespace

void normalize_resource(nlohmann::json& resource) {
  if (!resource.is_object()) return;
  for (auto it = resource.begin(); it != resource.end();) {
    if (it->is_null() || (it->is_array() && it->empty() && lower(it.key()) != "members")) {
      it = resource.erase(it);
      continue;
    }
    if (lower(it.key()) == "active") coerce_bool(*it);
    if (it->is_array()) normalize_multi(*it);
    if (it->is_object() && lower(it.key()).starts_with("urn:")) {
      for (auto s = it->begin(); s != it->end();) {
        if (s->is_null()) {
          s = it->erase(s);
        } else {
          ++s;
        }
      }
    }
    ++it;
  }
}

ScimResult<nlohmann::json> apply_patch(const nlohmann::json& resource, const nlohmann::json& body,
                                       const CaseExact& case_exact) {
  if (!body.is_object()) return scim_fail(400, "invalidSyntax", "the body must be a JSON object");
  if (const auto* schemas = find_member(body, "schemas")) {
    bool ok = false;
    if (schemas->is_array()) {
      for (const auto& s : *schemas)
        ok = ok || (s.is_string() && s.get<std::string>() == kPatchOpUrn);
    }
    if (!ok) {
      return scim_fail(400, "invalidSyntax", "schemas must include " + std::string(kPatchOpUrn));
    }
  }
  const auto* ops = find_member(body, "Operations");
  if (!ops || !ops->is_array() || ops->empty()) {
    return scim_fail(400, "invalidSyntax", "Operations must be a non-empty array");
  }
  if (ops->size() > kMaxPatchOperations) {
    return scim_fail(400, "tooMany",
                     "at most " + std::to_string(kMaxPatchOperations) + " operations");
  }
  nlohmann::json out = resource;
  Patcher patcher(out, case_exact);
  size_t index = 0;
  for (const auto& o : *ops) {
    const std::string where = "Operations[" + std::to_string(index++) + "]: ";
    if (!o.is_object()) return scim_fail(400, "invalidSyntax", where + "not an object");
    const auto* opv = find_member(o, "op");
    if (!opv || !opv->is_string()) return scim_fail(400, "invalidSyntax", where + "op is missing");
    const std::string op = lower(opv->get<std::string>());
    if (op != "add" && op != "remove" && op != "replace") {
      return scim_fail(400, "invalidSyntax",
                       where + "op must be add, remove or replace, not '" +
                           opv->get<std::string>().substr(0, 40) + "'");
    }
    std::optional<std::string> path;
    if (const auto* p = find_member(o, "path"); p && !p->is_null()) {
      if (!p->is_string()) return scim_fail(400, "invalidPath", where + "path must be a string");
      path = p->get<std::string>();
      if (path->empty()) path.reset();
    }
    const auto* value = find_member(o, "value");
    auto done = patcher.op(op, path, value);
    if (!done) {
      ScimError e = done.error();
      e.detail = where + e.detail;
      return tl::unexpected<ScimError>(e);
    }
  }
  normalize_resource(out);
  return out;
}

}  // namespace gh::directory
