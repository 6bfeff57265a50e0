// Cedar policy text → PolicySet. Errors name the line and column (1-based) and say what was
// expected, e.g. `3:14: expected ')' to close the scope, found 'when'`.
#pragma once

#include <string_view>

#include "authz/cedar/ast.h"
#include "authz/cedar/result.h"

namespace gh::cedar {

struct ParseLimits {
  size_t max_text_bytes = 16 << 20;  // a policy file larger than this is refused
  int max_nesting = 200;             // parentheses, sets, records, unary chains, ...
  int max_height = 256;              // depth of the expression tree, e.g. a chain `a || b || ...`
};

Result<PolicySet> parse_policies(std::string_view text, const ParseLimits& limits = {});

// A single expression (used by tests and by the differential generator's checks).
Result<ExprPtr> parse_expression(std::string_view text, const ParseLimits& limits = {});

// Parses an entity reference in policy syntax, e.g. `NS::User::"alice"`.
Result<EntityUid> parse_entity_uid(std::string_view text);

// Unescapes a Cedar string literal body (no quotes). With `pattern`, `\*` becomes a literal star
// and a bare `*` a wildcard; otherwise `\*` is an error.
Result<std::vector<PatternElem>> unescape_pattern(std::string_view raw);
Result<std::string> unescape_string(std::string_view raw);

}  // namespace gh::cedar
