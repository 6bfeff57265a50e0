// Cedar's authorization semantics (cedar-spec Spec/Authorizer.lean): deny by default, any
// satisfied forbid wins, otherwise any satisfied permit allows. A policy whose evaluation errors
// is skipped and reported. The answer names the determining policies and the erroring ones.
#pragma once

#include <string>
#include <vector>

#include "authz/cedar/ast.h"
#include "authz/cedar/entities.h"
#include "authz/cedar/evaluator.h"

namespace gh::cedar {

enum class Decision : uint8_t { kDeny, kAllow };

struct PolicyError {
  std::string policy_id;
  std::string message;
  const char* code = "";  // e.g. cedar.type_error (see Error)
};

struct Response {
  Decision decision = Decision::kDeny;
  std::vector<std::string> reasons;  // ids of the determining policies, in policy-set order
  std::vector<PolicyError> errors;   // ids of the policies that errored, in policy-set order
};

Response is_authorized(const PolicySet& policies, const Entities& entities, const Request& request);

}  // namespace gh::cedar
