#include "authz/cedar/entities.h"

#include <algorithm>
#include <nlohmann/json.hpp>

#include "authz/cedar/json_value.h"

namespace gh::cedar {

namespace {

using nlohmann::json;

bool is_action_type(std::string_view type) {
  return type == "Action" || (type.size() > 8 && type.substr(type.size() - 8) == "::Action");
}

}  // namespace

Result<bool> Entities::add(Entity entity) {
  if (!entity.attrs) entity.attrs = std::make_shared<const Record>();
  if (!entity.tags) entity.tags = std::make_shared<const Record>();
  auto key = entity.uid;
  auto [it, inserted] = map_.emplace(std::move(key), std::move(entity));
  if (!inserted) return make_error("duplicate entity " + it->first.to_string());
  return true;
}

// Ancestors by depth-first search with memoisation; Cedar refuses hierarchies with cycles.
Result<bool> Entities::finalize(const EntityLimits& limits) {
  enum class Mark : uint8_t { kNone, kActive, kDone };
  std::unordered_map<const Entity*, Mark> marks;
  marks.reserve(map_.size());
  size_t total = 0;
  struct Frame {
    Entity* e;
    size_t next_parent;
  };
  for (auto& [uid, root] : map_) {
    if (marks[&root] == Mark::kDone) continue;
    std::vector<Frame> stack{{&root, 0}};
    marks[&root] = Mark::kActive;
    while (!stack.empty()) {
      Frame& f = stack.back();
      if (f.next_parent < f.e->parents.size()) {
        const EntityUid& p = f.e->parents[f.next_parent++];
        auto pit = map_.find(p);
        if (pit == map_.end()) continue;
        Mark& m = marks[&pit->second];
        if (m == Mark::kActive) {
          return make_error("the entity hierarchy has a cycle through " + p.to_string());
        }
        if (m == Mark::kNone) {
          m = Mark::kActive;
          stack.push_back({&pit->second, 0});
        }
        continue;
      }
      Entity* e = f.e;
      for (const auto& p : e->parents) {
        e->ancestors.insert(p);
        auto pit = map_.find(p);
        if (pit != map_.end()) {
          e->ancestors.insert(pit->second.ancestors.begin(), pit->second.ancestors.end());
        }
      }
      total += e->ancestors.size();
      if (total > limits.max_ancestor_pairs) {
        return make_error("the entity hierarchy is too large (more than " +
                          std::to_string(limits.max_ancestor_pairs) + " ancestor relations)");
      }
      marks[e] = Mark::kDone;
      stack.pop_back();
    }
  }
  return true;
}

Result<Entities> Entities::from_json_text(std::string_view text, const Schema* schema,
                                          const EntityLimits& limits) {
  json doc = json::parse(text, nullptr, false);
  if (doc.is_discarded()) return make_error("the entities file is not valid JSON");
  return from_json(doc, schema, limits);
}

Result<Entities> Entities::from_json(const json& doc, const Schema* schema,
                                     const EntityLimits& limits) {
  if (!doc.is_array()) return make_error("entities must be a JSON array of {uid, attrs, parents}");
  if (doc.size() > limits.max_entities) return make_error("too many entities");
  Entities out;
  out.map_.reserve(doc.size() + (schema ? schema->actions.size() : 0));
  size_t index = 0;
  for (const auto& item : doc) {
    std::string where = "entity #" + std::to_string(index++);
    if (!item.is_object() || !item.contains("uid"))
      return make_error(where + ": expected an object with \"uid\"");
    auto uid = uid_from_json(item["uid"]);
    if (!uid) return make_error(where + ": " + uid.error().message);
    where = "entity " + uid->to_string();
    Entity e;
    e.uid = std::move(*uid);
    bool action = is_action_type(e.uid.type);
    const EntityTypeDecl* decl = nullptr;
    if (schema != nullptr && !action) {
      decl = schema->entity_type(e.uid.type);
      if (decl == nullptr)
        return make_error(where + ": entity type " + e.uid.type + " is not declared in the schema");
      if (!decl->enum_ids.empty() && std::find(decl->enum_ids.begin(), decl->enum_ids.end(),
                                               e.uid.id) == decl->enum_ids.end()) {
        return make_error(where + ": \"" + e.uid.id + "\" is not one of the values of enum type " +
                          e.uid.type);
      }
    }
    for (const auto& [key, v] : item.items()) {
      if (key != "uid" && key != "attrs" && key != "parents" && key != "tags") {
        return make_error(where + ": unexpected field \"" + key + "\"");
      }
    }
    json empty = json::object();
    const json& attrs = item.contains("attrs") ? item["attrs"] : empty;
    auto av = value_from_json(attrs, decl ? decl->shape.get() : nullptr, limits.max_value_depth);
    if (!av) return make_error(where + ": " + av.error().message);
    if (av->kind() != Kind::kRecord) return make_error(where + ": \"attrs\" must be an object");
    e.attrs = std::make_shared<const Record>(av->as_record());
    if (item.contains("tags")) {
      const json& tags = item["tags"];
      if (!tags.is_object()) return make_error(where + ": \"tags\" must be an object");
      if (decl != nullptr && !decl->tags && !tags.empty()) {
        return make_error(where + ": entity type " + e.uid.type + " has no tags in the schema");
      }
      Record fields;
      for (const auto& [k, v] : tags.items()) {
        auto tv = value_from_json(v, decl ? decl->tags.get() : nullptr, limits.max_value_depth);
        if (!tv) return make_error(where + ": tag \"" + k + "\": " + tv.error().message);
        fields.emplace_back(k, std::move(*tv));
      }
      e.tags = std::make_shared<const Record>(Value::record(std::move(fields)).as_record());
    }
    if (item.contains("parents")) {
      const json& parents = item["parents"];
      if (!parents.is_array()) return make_error(where + ": \"parents\" must be an array");
      for (const auto& p : parents) {
        auto puid = uid_from_json(p);
        if (!puid) return make_error(where + ": parent: " + puid.error().message);
        if (schema != nullptr && !is_action_type(puid->type)) {
          if (!schema->entity_type(puid->type)) {
            return make_error(where + ": parent " + puid->to_string() +
                              " has a type the schema does not declare");
          }
          if (decl != nullptr && std::find(decl->parent_types.begin(), decl->parent_types.end(),
                                           puid->type) == decl->parent_types.end()) {
            return make_error(where + ": the schema does not allow a parent of type " + puid->type +
                              " for " + e.uid.type);
          }
        }
        e.parents.push_back(std::move(*puid));
      }
    }
    auto added = out.add(std::move(e));
    if (!added) return added.take_error();
  }
  if (schema != nullptr) {
    for (const auto& [uid, action] : schema->actions) {
      auto it = out.map_.find(uid);
      if (it != out.map_.end()) {
        for (const auto& p : action.parents) {
          if (std::find(it->second.parents.begin(), it->second.parents.end(), p) ==
              it->second.parents.end()) {
            it->second.parents.push_back(p);
          }
        }
        continue;
      }
      Entity e;
      e.uid = uid;
      e.parents = action.parents;
      auto added = out.add(std::move(e));
      if (!added) return added.take_error();
    }
  }
  auto done = out.finalize(limits);
  if (!done) return done.take_error();
  return out;
}

}  // namespace gh::cedar
