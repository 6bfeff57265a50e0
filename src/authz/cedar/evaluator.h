// Evaluation of Cedar expressions and policies, following cedar-spec's Spec/Evaluator.lean:
// `&&`, `||` and `if` short-circuit, every other operator evaluates its operands left to right,
// and a type mismatch, a missing attribute, an overflow or a bad extension argument is an error.
#pragma once

#include "authz/cedar/ast.h"
#include "authz/cedar/entities.h"
#include "authz/cedar/result.h"

namespace gh::cedar {

struct Request {
  Value principal;  // entity values
  Value action;
  Value resource;
  Value context;  // a record

  static Request make(EntityUid principal, EntityUid action, EntityUid resource, Value context);
};

// The request's own entities, looked up once per request instead of once per policy.
struct RequestEntities {
  const Entity* principal = nullptr;
  const Entity* action = nullptr;
  const Entity* resource = nullptr;
  static RequestEntities resolve(const Request& request, const Entities& entities);
};

Result<Value> evaluate(const Expr& expr, const Request& request, const Entities& entities);

// An extension function by its Cedar name (constructors and methods, receiver first), as used by
// the JSON form {"__extn": {"fn": "offset", "args": [...]}}.
Result<Value> call_extension(std::string_view fn, const std::vector<Value>& args);

// Whether the policy's scope and conditions hold (its effect is not applied).
Result<bool> satisfied(const Policy& policy, const Request& request, const Entities& entities,
                       const RequestEntities* resolved = nullptr);

}  // namespace gh::cedar
