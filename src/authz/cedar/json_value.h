// Cedar's JSON value format (https://docs.cedarpolicy.com/auth/entities-syntax.html): plain JSON
// for primitives, sets and records, plus the escapes {"__entity": {"type", "id"}} and
// {"__extn": {"fn", "arg"}}. With a schema type, the escapes may be left out: a string becomes
// an ipaddr/decimal/datetime/duration and {"type", "id"} an entity reference.
#pragma once

#include <nlohmann/json.hpp>

#include "authz/cedar/result.h"
#include "authz/cedar/schema.h"
#include "authz/cedar/value.h"

namespace gh::cedar {

Result<Value> value_from_json(const nlohmann::json& j, const SchemaType* type, int max_depth = 64);
Result<EntityUid> uid_from_json(const nlohmann::json& j);
nlohmann::json value_to_json(const Value& v);
nlohmann::json uid_to_json(const EntityUid& uid);

}  // namespace gh::cedar

namespace gh::cedar {

// A request context: a JSON object. Attributes the action's context type declares are read as
// typed; others are read with the plain rules (the validator, a later issue, will reject them).
Result<Value> context_from_json(const nlohmann::json& j, const SchemaType* context_type);

}  // namespace gh::cedar
