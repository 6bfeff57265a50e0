#include "authz/cedar/evaluator.h"

#include <algorithm>

namespace gh::cedar {

namespace {

Error type_error(const char* what, const Value& got) {
  return make_error("cedar.type_error",
                    std::string("type error: ") + what + ", got " + kind_name(got.kind()));
}

Error overflow(const char* op) {
  return make_error("cedar.arith_bounds_error", std::string("integer overflow in ") + op);
}

// `like`: '*' matches any run of characters. Greedy matching that backtracks only to the last
// star is linear per star position, O(|s|·|p|) at worst, so hostile patterns stay bounded.
bool wildcard_match(const std::string& s, const std::vector<PatternElem>& p) {
  size_t si = 0, pi = 0, star = std::string::npos, mark = 0;
  while (si < s.size()) {
    if (pi < p.size() && !p[pi].wildcard && p[pi].ch == s[si]) {
      ++si;
      ++pi;
    } else if (pi < p.size() && p[pi].wildcard) {
      star = pi++;
      mark = si;
    } else if (star != std::string::npos) {
      pi = star + 1;
      si = ++mark;
    } else {
      return false;
    }
  }
  while (pi < p.size() && p[pi].wildcard) ++pi;
  return pi == p.size();
}

// Operands of the strict operators, receiver included.
int operand_count(Op op) {
  switch (op) {
    case Op::kIsEmpty:
    case Op::kIp:
    case Op::kDecimal:
    case Op::kDatetime:
    case Op::kDuration:
    case Op::kIsIpv4:
    case Op::kIsIpv6:
    case Op::kIsLoopback:
    case Op::kIsMulticast:
    case Op::kToDate:
    case Op::kToTime:
    case Op::kToMilliseconds:
    case Op::kToSeconds:
    case Op::kToMinutes:
    case Op::kToHours:
    case Op::kToDays:
    case Op::kNeg:
    case Op::kNot:
      return 1;
    default:
      return 2;
  }
}

bool set_contains(const ValueSet& set, const Value& v) {
  auto it = std::lower_bound(set.begin(), set.end(), v,
                             [](const Value& a, const Value& b) { return compare(a, b) < 0; });
  return it != set.end() && *it == v;
}

class Evaluator {
 public:
  Evaluator(const Request& req, const Entities& es, const RequestEntities* cache = nullptr)
      : req_(req), es_(es), cache_(cache) {}

  // The request's principal, action and resource are looked up once per request; every other
  // uid goes to the hash map.
  const Entity* lookup(const EntityUid& uid) const {
    if (cache_ != nullptr) {
      if (&uid == &req_.principal.as_entity()) return cache_->principal;
      if (&uid == &req_.resource.as_entity()) return cache_->resource;
      if (&uid == &req_.action.as_entity()) return cache_->action;
    }
    return es_.find(uid);
  }
  bool is_in(const EntityUid& a, const EntityUid& b) const {
    if (a == b) return true;
    const Entity* e = lookup(a);
    return e != nullptr && e->ancestors.count(b) != 0;
  }

  Result<Value> eval(const Expr& e) {
    switch (e.op) {
      case Op::kLiteral:
      case Op::kEntityLiteral:
        return e.literal;
      case Op::kVar:
        switch (e.var) {
          case Var::kPrincipal:
            return req_.principal;
          case Var::kAction:
            return req_.action;
          case Var::kResource:
            return req_.resource;
          case Var::kContext:
            return req_.context;
        }
        return req_.context;
      case Op::kIf: {
        auto c = eval_bool(*e.args[0], "the condition of 'if' must be a boolean");
        if (!c) return c.take_error();
        return eval(*e.args[*c ? 1 : 2]);
      }
      case Op::kAnd:
      case Op::kOr: {
        bool is_and = e.op == Op::kAnd;
        const char* msg = is_and ? "the operands of '&&' must be booleans"
                                 : "the operands of '||' must be booleans";
        auto a = eval_bool(*e.args[0], msg);
        if (!a) return a.take_error();
        if (*a != is_and) return Value::boolean(*a);
        auto b = eval_bool(*e.args[1], msg);
        if (!b) return b.take_error();
        return Value::boolean(*b);
      }
      case Op::kNot: {
        auto a = eval_bool(*e.args[0], "the operand of '!' must be a boolean");
        if (!a) return a.take_error();
        return Value::boolean(!*a);
      }
      case Op::kNeg: {
        auto a = eval(*e.args[0]);
        if (!a) return a;
        if (a->kind() != Kind::kLong) return type_error("unary '-' needs a long", *a);
        if (a->as_long() == INT64_MIN) return overflow("negation");
        return Value::integer(-a->as_long());
      }
      case Op::kLike: {
        auto a = eval(*e.args[0]);
        if (!a) return a;
        if (a->kind() != Kind::kString) return type_error("'like' needs a string", *a);
        return Value::boolean(wildcard_match(a->as_string(), e.pattern));
      }
      case Op::kIs: {
        auto a = eval(*e.args[0]);
        if (!a) return a;
        if (a->kind() != Kind::kEntity) return type_error("'is' needs an entity", *a);
        return Value::boolean(a->as_entity().type == e.name);
      }
      case Op::kHas:
      case Op::kGetAttr:
        return attribute(e);
      case Op::kSetLiteral: {
        ValueSet items;
        items.reserve(e.args.size());
        for (const auto& a : e.args) {
          auto v = eval(*a);
          if (!v) return v;
          items.push_back(std::move(*v));
        }
        return Value::set(std::move(items));
      }
      case Op::kRecordLiteral: {
        Record fields;
        fields.reserve(e.args.size());
        for (size_t i = 0; i < e.args.size(); ++i) {
          auto v = eval(*e.args[i]);
          if (!v) return v;
          fields.emplace_back(e.keys[i], std::move(*v));
        }
        return Value::record(std::move(fields));
      }
      default:
        break;
    }
    // Everything else evaluates all its operands first.
    Value args[2];
    size_t n = e.args.size();
    for (size_t i = 0; i < n; ++i) {
      auto v = eval(*e.args[i]);
      if (!v) return v;
      if (i < 2) args[i] = std::move(*v);
    }
    if (n != static_cast<size_t>(operand_count(e.op))) {
      return make_error("cedar.extension_error",
                        "wrong number of arguments to an extension function");
    }
    return apply(e.op, args[0], args[1]);
  }

  Result<Value> call(Op op, const std::vector<Value>& args) {
    if (args.size() != static_cast<size_t>(operand_count(op))) {
      return make_error("cedar.extension_error",
                        "wrong number of arguments to an extension function");
    }
    return apply(op, args.empty() ? Value() : args[0], args.size() < 2 ? Value() : args[1]);
  }

 private:
  Result<bool> eval_bool(const Expr& e, const char* msg) {
    auto v = eval(e);
    if (!v) return v.take_error();
    if (v->kind() != Kind::kBool) return type_error(msg, *v);
    return v->as_bool();
  }

  Result<Value> attribute(const Expr& e) {
    auto target = eval(*e.args[0]);
    if (!target) return target;
    bool has = e.op == Op::kHas;
    const Record* record = nullptr;
    if (target->kind() == Kind::kRecord) {
      record = &target->as_record();
    } else if (target->kind() == Kind::kEntity) {
      const Entity* entity = lookup(target->as_entity());
      if (entity == nullptr) {
        if (has) return Value::boolean(false);
        return make_error("cedar.entity_does_not_exist",
                          "entity " + target->as_entity().to_string() + " does not exist");
      }
      record = entity->attrs.get();
    } else {
      return type_error(has ? "'has' needs an entity or a record"
                            : "attribute access needs an entity or a record",
                        *target);
    }
    const Value* v = find_field(*record, e.name);
    if (has) return Value::boolean(v != nullptr);
    if (v == nullptr) {
      std::string owner =
          target->kind() == Kind::kEntity ? target->as_entity().to_string() : "record";
      return make_error("cedar.attr_does_not_exist",
                        owner + " has no attribute \"" + e.name + "\"");
    }
    return *v;
  }

  Result<Value> apply(Op op, const Value& a, const Value& b) {
    switch (op) {
      case Op::kEq:
        return Value::boolean(a == b);
      case Op::kNe:
        return Value::boolean(!(a == b));
      case Op::kLt:
      case Op::kLe:
      case Op::kGt:
      case Op::kGe: {
        int c;
        if (a.kind() == Kind::kLong && b.kind() == Kind::kLong) {
          c = a.as_long() < b.as_long() ? -1 : (a.as_long() > b.as_long() ? 1 : 0);
        } else if ((a.kind() == Kind::kDatetime || a.kind() == Kind::kDuration) &&
                   a.kind() == b.kind()) {
          c = compare(a, b);
        } else {
          return make_error(
              "cedar.type_error",
              std::string(
                  "type error: comparison needs two longs, two datetimes or two durations, got ") +
                  kind_name(a.kind()) + " and " + kind_name(b.kind()));
        }
        bool r = op == Op::kLt ? c < 0 : op == Op::kLe ? c <= 0 : op == Op::kGt ? c > 0 : c >= 0;
        return Value::boolean(r);
      }
      case Op::kAdd:
      case Op::kSub:
      case Op::kMul: {
        if (a.kind() != Kind::kLong) return type_error("arithmetic needs longs", a);
        if (b.kind() != Kind::kLong) return type_error("arithmetic needs longs", b);
        int64_t r;
        bool bad = op == Op::kAdd   ? __builtin_add_overflow(a.as_long(), b.as_long(), &r)
                   : op == Op::kSub ? __builtin_sub_overflow(a.as_long(), b.as_long(), &r)
                                    : __builtin_mul_overflow(a.as_long(), b.as_long(), &r);
        if (bad)
          return overflow(op == Op::kAdd   ? "addition"
                          : op == Op::kSub ? "subtraction"
                                           : "multiplication");
        return Value::integer(r);
      }
      case Op::kIn: {
        if (a.kind() != Kind::kEntity)
          return type_error("the left side of 'in' must be an entity", a);
        if (b.kind() == Kind::kEntity) return Value::boolean(is_in(a.as_entity(), b.as_entity()));
        if (b.kind() != Kind::kSet)
          return type_error("the right side of 'in' must be an entity or a set", b);
        bool found = false;
        for (const auto& x : b.as_set()) {
          if (x.kind() != Kind::kEntity)
            return type_error("the set on the right of 'in' must hold entities", x);
          if (!found && is_in(a.as_entity(), x.as_entity())) found = true;
        }
        return Value::boolean(found);
      }
      case Op::kContains:
        if (a.kind() != Kind::kSet) return type_error("contains() needs a set", a);
        return Value::boolean(set_contains(a.as_set(), b));
      case Op::kContainsAll:
      case Op::kContainsAny: {
        if (a.kind() != Kind::kSet) return type_error("containsAll()/containsAny() need a set", a);
        if (b.kind() != Kind::kSet)
          return type_error("containsAll()/containsAny() need a set argument", b);
        if (op == Op::kContainsAll) {
          for (const auto& x : b.as_set()) {
            if (!set_contains(a.as_set(), x)) return Value::boolean(false);
          }
          return Value::boolean(true);
        }
        for (const auto& x : b.as_set()) {
          if (set_contains(a.as_set(), x)) return Value::boolean(true);
        }
        return Value::boolean(false);
      }
      case Op::kIsEmpty:
        if (a.kind() != Kind::kSet) return type_error("isEmpty() needs a set", a);
        return Value::boolean(a.as_set().empty());
      case Op::kHasTag:
      case Op::kGetTag: {
        if (a.kind() != Kind::kEntity) return type_error("hasTag()/getTag() need an entity", a);
        if (b.kind() != Kind::kString) return type_error("a tag name must be a string", b);
        const Entity* entity = lookup(a.as_entity());
        if (op == Op::kHasTag) {
          return Value::boolean(entity != nullptr &&
                                find_field(*entity->tags, b.as_string()) != nullptr);
        }
        if (entity == nullptr)
          return make_error("cedar.entity_does_not_exist",
                            "entity " + a.as_entity().to_string() + " does not exist");
        const Value* v = find_field(*entity->tags, b.as_string());
        if (v == nullptr)
          return make_error("cedar.tag_does_not_exist",
                            a.as_entity().to_string() + " has no tag \"" + b.as_string() + "\"");
        return *v;
      }
      case Op::kIp:
      case Op::kDecimal:
      case Op::kDatetime:
      case Op::kDuration: {
        if (a.kind() != Kind::kString) return type_error("extension constructors need a string", a);
        const std::string& s = a.as_string();
        if (op == Op::kIp) {
          if (auto v = parse_ip(s)) return Value::ip(*v);
          return make_error("cedar.extension_error", "invalid IP address \"" + s + "\"");
        }
        if (op == Op::kDecimal) {
          if (auto v = parse_decimal(s)) return Value::decimal(*v);
          return make_error("cedar.extension_error", "invalid decimal \"" + s + "\"");
        }
        if (op == Op::kDatetime) {
          if (auto v = parse_datetime(s)) return Value::datetime(*v);
          return make_error("cedar.extension_error", "invalid datetime \"" + s + "\"");
        }
        if (auto v = parse_duration(s)) return Value::duration(*v);
        return make_error("cedar.extension_error", "invalid duration \"" + s + "\"");
      }
      case Op::kIsIpv4:
      case Op::kIsIpv6:
      case Op::kIsLoopback:
      case Op::kIsMulticast:
        if (a.kind() != Kind::kIp) return type_error("IP methods need an ipaddr", a);
        switch (op) {
          case Op::kIsIpv4:
            return Value::boolean(!a.as_ip().v6);
          case Op::kIsIpv6:
            return Value::boolean(a.as_ip().v6);
          case Op::kIsLoopback:
            return Value::boolean(a.as_ip().is_loopback());
          default:
            return Value::boolean(a.as_ip().is_multicast());
        }
      case Op::kIsInRange:
        if (a.kind() != Kind::kIp) return type_error("isInRange() needs an ipaddr", a);
        if (b.kind() != Kind::kIp) return type_error("isInRange() needs an ipaddr argument", b);
        return Value::boolean(a.as_ip().in_range(b.as_ip()));
      case Op::kDecLessThan:
      case Op::kDecLessThanOrEqual:
      case Op::kDecGreaterThan:
      case Op::kDecGreaterThanOrEqual: {
        if (a.kind() != Kind::kDecimal) return type_error("decimal comparison needs a decimal", a);
        if (b.kind() != Kind::kDecimal)
          return type_error("decimal comparison needs a decimal argument", b);
        int64_t x = a.as_decimal().scaled, y = b.as_decimal().scaled;
        bool r = op == Op::kDecLessThan          ? x < y
                 : op == Op::kDecLessThanOrEqual ? x <= y
                 : op == Op::kDecGreaterThan     ? x > y
                                                 : x >= y;
        return Value::boolean(r);
      }
      case Op::kOffset: {
        if (a.kind() != Kind::kDatetime) return type_error("offset() needs a datetime", a);
        if (b.kind() != Kind::kDuration) return type_error("offset() needs a duration argument", b);
        int64_t r;
        if (__builtin_add_overflow(a.as_datetime().ms, b.as_duration().ms, &r))
          return overflow("offset()");
        return Value::datetime(Datetime{r});
      }
      case Op::kDurationSince: {
        if (a.kind() != Kind::kDatetime) return type_error("durationSince() needs a datetime", a);
        if (b.kind() != Kind::kDatetime)
          return type_error("durationSince() needs a datetime argument", b);
        int64_t r;
        if (__builtin_sub_overflow(a.as_datetime().ms, b.as_datetime().ms, &r))
          return overflow("durationSince()");
        return Value::duration(Duration{r});
      }
      case Op::kToDate:
      case Op::kToTime: {
        if (a.kind() != Kind::kDatetime) return type_error("toDate()/toTime() need a datetime", a);
        constexpr int64_t kDay = 86400000;
        int64_t ms = a.as_datetime().ms;
        int64_t rem = ms % kDay;
        if (rem < 0) rem += kDay;
        if (op == Op::kToTime) return Value::duration(Duration{rem});
        // Floor to the day; cedar-spec reports overflow for the one value that cannot floor.
        int64_t day = ms / kDay;
        if (ms < 0 && ms % kDay != 0) --day;
        int64_t r;
        if (__builtin_mul_overflow(day, kDay, &r)) return overflow("toDate()");
        return Value::datetime(Datetime{r});
      }
      case Op::kToMilliseconds:
      case Op::kToSeconds:
      case Op::kToMinutes:
      case Op::kToHours:
      case Op::kToDays: {
        if (a.kind() != Kind::kDuration)
          return type_error("duration conversions need a duration", a);
        int64_t ms = a.as_duration().ms;
        switch (op) {
          case Op::kToMilliseconds:
            return Value::integer(ms);
          case Op::kToSeconds:
            return Value::integer(ms / 1000);
          case Op::kToMinutes:
            return Value::integer(ms / 1000 / 60);
          case Op::kToHours:
            return Value::integer(ms / 1000 / 60 / 60);
          default:
            return Value::integer(ms / 1000 / 60 / 60 / 24);
        }
      }
      default:
        return make_error("internal error: unexpected operator");
    }
  }

  const Request& req_;
  const Entities& es_;
  const RequestEntities* cache_;
};

bool scope_holds(const ScopeConstraint& c, const Value& v, const Evaluator& ev) {
  const EntityUid& uid = v.as_entity();
  switch (c.kind) {
    case ScopeConstraint::Kind::kAny:
      return true;
    case ScopeConstraint::Kind::kEq:
      return uid == c.uids[0];
    case ScopeConstraint::Kind::kIn:
      return ev.is_in(uid, c.uids[0]);
    case ScopeConstraint::Kind::kIs:
      return uid.type == c.type;
    case ScopeConstraint::Kind::kIsIn:
      return uid.type == c.type && ev.is_in(uid, c.uids[0]);
    case ScopeConstraint::Kind::kInList:
      for (const auto& u : c.uids) {
        if (ev.is_in(uid, u)) return true;
      }
      return false;
  }
  return false;
}

}  // namespace

Result<Value> call_extension(std::string_view fn, const std::vector<Value>& args) {
  static const std::pair<std::string_view, Op> kFunctions[] = {
      {"ip", Op::kIp},
      {"decimal", Op::kDecimal},
      {"datetime", Op::kDatetime},
      {"duration", Op::kDuration},
      {"isIpv4", Op::kIsIpv4},
      {"isIpv6", Op::kIsIpv6},
      {"isLoopback", Op::kIsLoopback},
      {"isMulticast", Op::kIsMulticast},
      {"isInRange", Op::kIsInRange},
      {"lessThan", Op::kDecLessThan},
      {"lessThanOrEqual", Op::kDecLessThanOrEqual},
      {"greaterThan", Op::kDecGreaterThan},
      {"greaterThanOrEqual", Op::kDecGreaterThanOrEqual},
      {"offset", Op::kOffset},
      {"durationSince", Op::kDurationSince},
      {"toDate", Op::kToDate},
      {"toTime", Op::kToTime},
      {"toMilliseconds", Op::kToMilliseconds},
      {"toSeconds", Op::kToSeconds},
      {"toMinutes", Op::kToMinutes},
      {"toHours", Op::kToHours},
      {"toDays", Op::kToDays},
  };
  for (const auto& [name, op] : kFunctions) {
    if (name == fn) {
      static const Request kNoRequest;
      static const Entities kNoEntities;
      return Evaluator(kNoRequest, kNoEntities).call(op, args);
    }
  }
  return make_error("cedar.extension_error",
                    "unknown extension function \"" + std::string(fn) + "\"");
}

Request Request::make(EntityUid principal, EntityUid action, EntityUid resource, Value context) {
  return Request{Value::entity(std::move(principal)), Value::entity(std::move(action)),
                 Value::entity(std::move(resource)), std::move(context)};
}

Result<Value> evaluate(const Expr& expr, const Request& request, const Entities& entities) {
  return Evaluator(request, entities).eval(expr);
}

RequestEntities RequestEntities::resolve(const Request& request, const Entities& entities) {
  return RequestEntities{entities.find(request.principal.as_entity()),
                         entities.find(request.action.as_entity()),
                         entities.find(request.resource.as_entity())};
}

Result<bool> satisfied(const Policy& policy, const Request& request, const Entities& entities,
                       const RequestEntities* resolved) {
  Evaluator ev(request, entities, resolved);
  if (!scope_holds(policy.principal, request.principal, ev) ||
      !scope_holds(policy.action, request.action, ev) ||
      !scope_holds(policy.resource, request.resource, ev)) {
    return false;
  }
  for (const auto& c : policy.conditions) {
    auto v = ev.eval(*c.body);
    if (!v) return v.take_error();
    if (v->kind() != Kind::kBool) {
      return type_error(c.is_when ? "a 'when' condition must be a boolean"
                                  : "an 'unless' condition must be a boolean",
                        *v);
    }
    if (v->as_bool() != c.is_when) return false;
  }
  return true;
}

}  // namespace gh::cedar
