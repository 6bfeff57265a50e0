// The entity store: Cedar's JSON entity format (uid, attrs, parents, tags) read once into typed
// values, with the transitive closure of `parents` computed up front so that `in` is one hash
// lookup at evaluation time.
#pragma once

#include <memory>
#include <string_view>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "authz/cedar/result.h"
#include "authz/cedar/schema.h"
#include "authz/cedar/value.h"

namespace gh::cedar {

struct Entity {
  EntityUid uid;
  std::shared_ptr<const Record> attrs;
  std::shared_ptr<const Record> tags;
  std::vector<EntityUid> parents;
  std::unordered_set<EntityUid, EntityUidHash> ancestors;  // transitive, excluding itself
};

// Bounds that keep a hostile entity file from taking unbounded time or memory.
struct EntityLimits {
  size_t max_entities = 1 << 20;
  size_t max_ancestor_pairs = 1 << 24;  // total size of all ancestor sets
  int max_value_depth = 64;             // nesting of sets and records in attribute values
};

class Entities {
 public:
  const Entity* find(const EntityUid& uid) const {
    auto it = map_.find(uid);
    return it == map_.end() ? nullptr : &it->second;
  }
  // Cedar's `in` on two entities: equal, or `b` is an ancestor of `a`.
  bool is_in(const EntityUid& a, const EntityUid& b) const {
    if (a == b) return true;
    const Entity* e = find(a);
    return e != nullptr && e->ancestors.count(b) != 0;
  }
  size_t size() const { return map_.size(); }

  // Cedar's JSON entity list. With a schema, attribute and tag values are read as the schema
  // types them, entity types must be declared, and the schema's actions (with their hierarchy)
  // are added.
  static Result<Entities> from_json_text(std::string_view text, const Schema* schema,
                                         const EntityLimits& limits = {});
  static Result<Entities> from_json(const nlohmann::json& doc, const Schema* schema,
                                    const EntityLimits& limits = {});

  // Programmatic construction (tests, benchmarks): add entities, then finalize() once.
  Result<bool> add(Entity entity);
  Result<bool> finalize(const EntityLimits& limits = {});

 private:
  std::unordered_map<EntityUid, Entity, EntityUidHash> map_;
};

}  // namespace gh::cedar
