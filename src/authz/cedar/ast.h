// The abstract syntax of Cedar policies, after parsing and the desugarings the language reference
// describes (`has a.b` → `has a && .a has b`, `is T in e` → `is T && in e`).
#pragma once

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "authz/cedar/value.h"

namespace gh::cedar {

enum class Var : uint8_t { kPrincipal, kAction, kResource, kContext };

// Extension functions and methods, one per entry of cedar-spec's ExtFun plus the built-in
// methods on sets and entities.
enum class Op : uint8_t {
  kLiteral,
  kVar,
  kEntityLiteral,
  kIf,
  kAnd,
  kOr,
  kNot,
  kNeg,
  kEq,
  kNe,
  kLt,
  kLe,
  kGt,
  kGe,
  kAdd,
  kSub,
  kMul,
  kIn,
  kHas,      // name = attribute
  kGetAttr,  // name = attribute
  kLike,     // pattern
  kIs,       // name = entity type
  kSetLiteral,
  kRecordLiteral,  // keys parallel to args
  // methods on sets and entities
  kContains,
  kContainsAll,
  kContainsAny,
  kIsEmpty,
  kHasTag,
  kGetTag,
  // extension constructors and methods
  kIp,
  kIsIpv4,
  kIsIpv6,
  kIsLoopback,
  kIsMulticast,
  kIsInRange,
  kDecimal,
  kDecLessThan,
  kDecLessThanOrEqual,
  kDecGreaterThan,
  kDecGreaterThanOrEqual,
  kDatetime,
  kDuration,
  kOffset,
  kDurationSince,
  kToDate,
  kToTime,
  kToMilliseconds,
  kToSeconds,
  kToMinutes,
  kToHours,
  kToDays,
};

// One element of a `like` pattern: a wildcard or a literal byte. Matching bytes is equivalent to
// matching Unicode scalars because UTF-8 is self-synchronising.
struct PatternElem {
  bool wildcard = false;
  char ch = 0;
  bool operator==(const PatternElem&) const = default;
};

struct Expr {
  Op op = Op::kLiteral;
  Var var = Var::kPrincipal;
  Value literal;                     // kLiteral, kEntityLiteral
  std::string name;                  // attribute for kHas/kGetAttr, type for kIs
  std::vector<PatternElem> pattern;  // kLike
  std::vector<std::string> keys;     // kRecordLiteral
  std::vector<std::unique_ptr<Expr>> args;
  int height = 1;  // 1 + the tallest operand; bounded by the parser so evaluation stays shallow
  int line = 0;
  int column = 0;
};

using ExprPtr = std::unique_ptr<Expr>;

// A scope constraint on principal, action or resource.
struct ScopeConstraint {
  enum class Kind : uint8_t { kAny, kEq, kIn, kIs, kIsIn, kInList };
  Kind kind = Kind::kAny;
  std::string type;             // kIs, kIsIn
  std::vector<EntityUid> uids;  // one for kEq/kIn/kIsIn, any number for kInList
};

struct Condition {
  bool is_when = true;
  ExprPtr body;
};

enum class Effect : uint8_t { kPermit, kForbid };

struct Policy {
  std::string id;  // @id annotation, else policy<N> by position
  Effect effect = Effect::kPermit;
  std::vector<std::pair<std::string, std::string>> annotations;
  ScopeConstraint principal, action, resource;
  std::vector<Condition> conditions;
  int line = 0;
};

struct PolicySet {
  std::vector<Policy> policies;
};

}  // namespace gh::cedar
