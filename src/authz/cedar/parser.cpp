#include "authz/cedar/parser.h"

#include <algorithm>
#include <cstdint>
#include <unordered_map>

#include "authz/cedar/lexer.h"

namespace gh::cedar {

namespace {

using detail::describe;
using detail::Lexer;
using detail::Tok;
using detail::Token;

void append_utf8(std::string& out, uint32_t cp) {
  if (cp < 0x80) {
    out += static_cast<char>(cp);
  } else if (cp < 0x800) {
    out += static_cast<char>(0xc0 | (cp >> 6));
    out += static_cast<char>(0x80 | (cp & 0x3f));
  } else if (cp < 0x10000) {
    out += static_cast<char>(0xe0 | (cp >> 12));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3f));
    out += static_cast<char>(0x80 | (cp & 0x3f));
  } else {
    out += static_cast<char>(0xf0 | (cp >> 18));
    out += static_cast<char>(0x80 | ((cp >> 12) & 0x3f));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3f));
    out += static_cast<char>(0x80 | (cp & 0x3f));
  }
}

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// Shared by plain strings and patterns: Rust-style escapes \n \r \t \\ \0 \' \" \xHH \u{H..}.
Result<std::vector<PatternElem>> unescape(std::string_view raw, bool pattern) {
  std::vector<PatternElem> out;
  out.reserve(raw.size());
  auto push_bytes = [&](const std::string& bytes) {
    for (char b : bytes) out.push_back({false, b});
  };
  for (size_t i = 0; i < raw.size(); ++i) {
    char c = raw[i];
    if (c == '*' && pattern) {
      out.push_back({true, 0});
      continue;
    }
    if (c != '\\') {
      out.push_back({false, c});
      continue;
    }
    if (++i >= raw.size()) return make_error("string ends with a lone backslash");
    char e = raw[i];
    switch (e) {
      case 'n':
        out.push_back({false, '\n'});
        break;
      case 'r':
        out.push_back({false, '\r'});
        break;
      case 't':
        out.push_back({false, '\t'});
        break;
      case '\\':
      case '\'':
      case '"':
        out.push_back({false, e});
        break;
      case '0':
        out.push_back({false, '\0'});
        break;
      case '*':
        if (!pattern) return make_error("the escape \\* is only allowed in `like` patterns");
        out.push_back({false, '*'});
        break;
      case 'x': {
        int hi = i + 1 < raw.size() ? hex_value(raw[i + 1]) : -1;
        int lo = i + 2 < raw.size() ? hex_value(raw[i + 2]) : -1;
        if (hi < 0 || lo < 0 || hi > 7)
          return make_error("invalid \\x escape (must be \\x00-\\x7f)");
        out.push_back({false, static_cast<char>(hi * 16 + lo)});
        i += 2;
        break;
      }
      case 'u': {
        if (i + 1 >= raw.size() || raw[i + 1] != '{')
          return make_error("invalid \\u escape, use \\u{...}");
        size_t j = i + 2;
        uint32_t cp = 0;
        int digits = 0;
        while (j < raw.size() && raw[j] != '}') {
          int h = hex_value(raw[j]);
          if (h < 0 || ++digits > 6) return make_error("invalid \\u{...} escape");
          cp = cp * 16 + static_cast<uint32_t>(h);
          ++j;
        }
        if (j >= raw.size() || digits == 0) return make_error("invalid \\u{...} escape");
        if (cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
          return make_error("\\u{...} escape is not a Unicode scalar value");
        std::string bytes;
        append_utf8(bytes, cp);
        push_bytes(bytes);
        i = j;
        break;
      }
      default:
        return make_error(std::string("unknown escape sequence \\") + e);
    }
  }
  return out;
}

struct MethodInfo {
  Op op;
  int arity;  // arguments besides the receiver
};

const std::unordered_map<std::string_view, MethodInfo>& methods() {
  static const std::unordered_map<std::string_view, MethodInfo> m = {
      {"contains", {Op::kContains, 1}},
      {"containsAll", {Op::kContainsAll, 1}},
      {"containsAny", {Op::kContainsAny, 1}},
      {"isEmpty", {Op::kIsEmpty, 0}},
      {"hasTag", {Op::kHasTag, 1}},
      {"getTag", {Op::kGetTag, 1}},
      {"isIpv4", {Op::kIsIpv4, 0}},
      {"isIpv6", {Op::kIsIpv6, 0}},
      {"isLoopback", {Op::kIsLoopback, 0}},
      {"isMulticast", {Op::kIsMulticast, 0}},
      {"isInRange", {Op::kIsInRange, 1}},
      {"lessThan", {Op::kDecLessThan, 1}},
      {"lessThanOrEqual", {Op::kDecLessThanOrEqual, 1}},
      {"greaterThan", {Op::kDecGreaterThan, 1}},
      {"greaterThanOrEqual", {Op::kDecGreaterThanOrEqual, 1}},
      {"offset", {Op::kOffset, 1}},
      {"durationSince", {Op::kDurationSince, 1}},
      {"toDate", {Op::kToDate, 0}},
      {"toTime", {Op::kToTime, 0}},
      {"toMilliseconds", {Op::kToMilliseconds, 0}},
      {"toSeconds", {Op::kToSeconds, 0}},
      {"toMinutes", {Op::kToMinutes, 0}},
      {"toHours", {Op::kToHours, 0}},
      {"toDays", {Op::kToDays, 0}},
  };
  return m;
}

const std::unordered_map<std::string_view, Op>& functions() {
  static const std::unordered_map<std::string_view, Op> f = {
      {"ip", Op::kIp},
      {"decimal", Op::kDecimal},
      {"datetime", Op::kDatetime},
      {"duration", Op::kDuration},
  };
  return f;
}

bool is_reserved(std::string_view id) {
  return id == "true" || id == "false" || id == "if" || id == "then" || id == "else" ||
         id == "in" || id == "is" || id == "like" || id == "has" || id == "__cedar";
}

class Parser {
 public:
  Parser(std::string_view src, const ParseLimits& limits) : lex_(src), limits_(limits) {
    tok_ = lex_.next();
    peek_ = lex_.next();
  }

  Result<PolicySet> policy_set() {
    PolicySet set;
    while (tok_.kind != Tok::kEnd) {
      auto policy = parse_policy(set.policies.size());
      if (!policy) return policy.take_error();
      set.policies.push_back(std::move(*policy));
    }
    return set;
  }

  Result<ExprPtr> single_expression() {
    auto e = expr();
    if (!e) return e;
    if (tok_.kind != Tok::kEnd)
      return error_here("expected end of expression, found " + describe(tok_));
    return e;
  }

  Result<EntityUid> single_entity() {
    auto uid = entity_ref("an entity reference");
    if (!uid) return uid;
    if (tok_.kind != Tok::kEnd)
      return error_here("unexpected " + describe(tok_) + " after entity reference");
    return uid;
  }

 private:
  Error error_at(const Token& t, std::string message) const {
    if (t.kind == Tok::kError && lex_.unterminated()) message = "unterminated string literal";
    return Error{std::move(message), t.line, t.column, "cedar.parse_error"};
  }
  Error error_here(std::string message) const { return error_at(tok_, std::move(message)); }

  void bump() {
    tok_ = peek_;
    peek_ = lex_.next();
  }
  Error reserved_error() const {
    std::string m = "'";
    m.append(tok_.text);
    m.append("' is a reserved word and cannot be used as a name here");
    return error_here(std::move(m));
  }
  bool is_ident(std::string_view word) const {
    return tok_.kind == Tok::kIdent && tok_.text == word;
  }
  bool accept(Tok kind) {
    if (tok_.kind != kind) return false;
    bump();
    return true;
  }
  std::optional<Error> expect(Tok kind, std::string_view what) {
    if (tok_.kind == kind) {
      bump();
      return std::nullopt;
    }
    return error_here("expected " + std::string(what) + ", found " + describe(tok_));
  }

  Result<Policy> parse_policy(size_t index) {
    Policy p;
    p.line = tok_.line;
    while (tok_.kind == Tok::kAt) {
      bump();
      if (tok_.kind != Tok::kIdent) return error_here("expected an annotation name after '@'");
      std::string key(tok_.text);
      Token key_tok = tok_;
      bump();
      std::string value;
      if (accept(Tok::kLParen)) {
        if (tok_.kind != Tok::kString)
          return error_here("expected a string as the annotation value");
        auto s = unescape_string(tok_.text);
        if (!s) return error_here(s.error().message);
        value = std::move(*s);
        bump();
        if (auto e = expect(Tok::kRParen, "')' after the annotation value")) return *e;
      }
      for (const auto& [k, v] : p.annotations) {
        if (k == key) return error_at(key_tok, "duplicate annotation @" + key);
      }
      p.annotations.emplace_back(std::move(key), std::move(value));
    }
    p.id = "policy" + std::to_string(index);
    for (const auto& [k, v] : p.annotations) {
      if (k == "id") p.id = v;
    }
    if (is_ident("permit")) {
      p.effect = Effect::kPermit;
    } else if (is_ident("forbid")) {
      p.effect = Effect::kForbid;
    } else {
      return error_here("expected 'permit' or 'forbid', found " + describe(tok_));
    }
    bump();
    if (auto e = expect(Tok::kLParen, "'(' to open the policy scope")) return *e;
    if (auto e = scope("principal", p.principal)) return *e;
    if (auto e = expect(Tok::kComma, "',' after the principal constraint")) return *e;
    if (auto e = scope("action", p.action)) return *e;
    if (auto e = expect(Tok::kComma, "',' after the action constraint")) return *e;
    if (auto e = scope("resource", p.resource)) return *e;
    if (tok_.kind == Tok::kComma && peek_.kind == Tok::kRParen) bump();
    if (auto e = expect(Tok::kRParen, "')' to close the policy scope")) return *e;
    while (is_ident("when") || is_ident("unless")) {
      Condition c;
      c.is_when = tok_.text == "when";
      bump();
      if (auto e = expect(Tok::kLBrace, "'{' to open the condition")) return *e;
      if (tok_.kind == Tok::kRBrace) return error_here("a condition body cannot be empty");
      auto body = expr();
      if (!body) return body.take_error();
      c.body = std::move(*body);
      if (auto e = expect(Tok::kRBrace, "'}' to close the condition")) return *e;
      p.conditions.push_back(std::move(c));
    }
    if (auto e = expect(Tok::kSemi, "';' at the end of the policy (or 'when'/'unless')")) return *e;
    return p;
  }

  std::optional<Error> scope(std::string_view var, ScopeConstraint& out) {
    if (!is_ident(var)) {
      return error_here("expected '" + std::string(var) + "' in the policy scope, found " +
                        describe(tok_));
    }
    bump();
    if (tok_.kind == Tok::kComma || tok_.kind == Tok::kRParen) return std::nullopt;
    bool is_action = var == "action";
    if (accept(Tok::kEqEq)) {
      auto uid = scope_entity();
      if (!uid) return uid.take_error();
      out.kind = ScopeConstraint::Kind::kEq;
      out.uids.push_back(std::move(*uid));
      return std::nullopt;
    }
    if (is_ident("is")) {
      if (is_action) return error_here("'is' is not allowed in the action scope");
      bump();
      auto type = path("an entity type after 'is'");
      if (!type) return type.take_error();
      out.type = std::move(*type);
      out.kind = ScopeConstraint::Kind::kIs;
      if (is_ident("in")) {
        bump();
        auto uid = scope_entity();
        if (!uid) return uid.take_error();
        out.kind = ScopeConstraint::Kind::kIsIn;
        out.uids.push_back(std::move(*uid));
      }
      return std::nullopt;
    }
    if (is_ident("in")) {
      bump();
      if (is_action && tok_.kind == Tok::kLBracket) {
        bump();
        out.kind = ScopeConstraint::Kind::kInList;
        while (tok_.kind != Tok::kRBracket) {
          auto uid = scope_entity();
          if (!uid) return uid.take_error();
          out.uids.push_back(std::move(*uid));
          if (!accept(Tok::kComma)) break;
        }
        if (auto e = expect(Tok::kRBracket, "']' to close the action list")) return e;
        return std::nullopt;
      }
      auto uid = scope_entity();
      if (!uid) return uid.take_error();
      out.kind = ScopeConstraint::Kind::kIn;
      out.uids.push_back(std::move(*uid));
      return std::nullopt;
    }
    return error_here("expected '==', 'in'" + std::string(is_action ? "" : ", 'is'") +
                      ", ',' or ')' after '" + std::string(var) + "', found " + describe(tok_));
  }

  Result<EntityUid> scope_entity() {
    if (tok_.kind == Tok::kQuestion) {
      return error_here("templates (?principal, ?resource) are not supported; link them first");
    }
    return entity_ref("an entity reference like Type::\"id\"");
  }

  // A `::`-separated path of identifiers; returns it joined.
  Result<std::string> path(std::string_view what) {
    if (tok_.kind != Tok::kIdent)
      return error_here("expected " + std::string(what) + ", found " + describe(tok_));
    if (is_reserved(tok_.text)) return reserved_error();
    std::string out(tok_.text);
    bump();
    while (tok_.kind == Tok::kColonColon && peek_.kind == Tok::kIdent) {
      bump();
      if (is_reserved(tok_.text)) return reserved_error();
      out += "::";
      out += tok_.text;
      bump();
    }
    return out;
  }

  Result<EntityUid> entity_ref(std::string_view what) {
    if (tok_.kind != Tok::kIdent)
      return error_here("expected " + std::string(what) + ", found " + describe(tok_));
    if (is_reserved(tok_.text)) return reserved_error();
    std::string type(tok_.text);
    bump();
    while (true) {
      if (tok_.kind != Tok::kColonColon) return error_here("expected '::' in " + std::string(what));
      bump();
      if (tok_.kind == Tok::kString) break;
      if (tok_.kind != Tok::kIdent) {
        return error_here("expected an identifier or a quoted id after '::', found " +
                          describe(tok_));
      }
      if (is_reserved(tok_.text)) return reserved_error();
      type += "::";
      type += tok_.text;
      bump();
    }
    auto id = unescape_string(tok_.text);
    if (!id) return error_here(id.error().message);
    bump();
    return EntityUid{std::move(type), std::move(*id)};
  }

  ExprPtr node(Op op, const Token& at) {
    auto e = std::make_unique<Expr>();
    e->op = op;
    e->line = at.line;
    e->column = at.column;
    return e;
  }
  ExprPtr binary(Op op, const Token& at, ExprPtr a, ExprPtr b) {
    auto e = node(op, at);
    e->args.push_back(std::move(a));
    e->args.push_back(std::move(b));
    return finish(std::move(e));
  }
  static ExprPtr finish(ExprPtr e) {
    for (const auto& a : e->args) e->height = std::max(e->height, a->height + 1);
    return e;
  }
  // Long operator chains build tall trees without recursing in the parser; cap the height so a
  // hostile policy cannot exhaust the evaluator's (or the destructor's) stack.
  bool too_tall(const ExprPtr& e) const { return e->height > limits_.max_height; }
  Error too_tall_error() const {
    return error_here("expression is too long or nested too deeply (more than " +
                      std::to_string(limits_.max_height) + " levels); split it");
  }

  struct DepthGuard {
    int& d;
    explicit DepthGuard(int& depth) : d(depth) { ++d; }
    ~DepthGuard() { --d; }
  };

  Result<ExprPtr> expr() {
    DepthGuard guard(depth_);
    if (depth_ > limits_.max_nesting) return error_here("expression is nested too deeply");
    if (is_ident("if")) {
      Token at = tok_;
      bump();
      auto c = expr();
      if (!c) return c;
      if (!is_ident("then")) return error_here("expected 'then', found " + describe(tok_));
      bump();
      auto t = expr();
      if (!t) return t;
      if (!is_ident("else")) return error_here("expected 'else', found " + describe(tok_));
      bump();
      auto f = expr();
      if (!f) return f;
      auto e = node(Op::kIf, at);
      e->args.push_back(std::move(*c));
      e->args.push_back(std::move(*t));
      e->args.push_back(std::move(*f));
      return finish(std::move(e));
    }
    return or_expr();
  }

  Result<ExprPtr> or_expr() {
    auto lhs = and_expr();
    if (!lhs) return lhs;
    ExprPtr e = std::move(*lhs);
    while (tok_.kind == Tok::kOrOr) {
      Token at = tok_;
      bump();
      auto rhs = and_expr();
      if (!rhs) return rhs;
      e = binary(Op::kOr, at, std::move(e), std::move(*rhs));
      if (too_tall(e)) return too_tall_error();
    }
    return e;
  }

  Result<ExprPtr> and_expr() {
    auto lhs = relation();
    if (!lhs) return lhs;
    ExprPtr e = std::move(*lhs);
    while (tok_.kind == Tok::kAndAnd) {
      Token at = tok_;
      bump();
      auto rhs = relation();
      if (!rhs) return rhs;
      e = binary(Op::kAnd, at, std::move(e), std::move(*rhs));
      if (too_tall(e)) return too_tall_error();
    }
    return e;
  }

  static bool relop(const Token& t, Op& op) {
    switch (t.kind) {
      case Tok::kEqEq:
        op = Op::kEq;
        return true;
      case Tok::kNe:
        op = Op::kNe;
        return true;
      case Tok::kLt:
        op = Op::kLt;
        return true;
      case Tok::kLe:
        op = Op::kLe;
        return true;
      case Tok::kGt:
        op = Op::kGt;
        return true;
      case Tok::kGe:
        op = Op::kGe;
        return true;
      case Tok::kIdent:
        if (t.text == "in") {
          op = Op::kIn;
          return true;
        }
        return false;
      default:
        return false;
    }
  }

  bool at_relation_op() const {
    Op op;
    return relop(tok_, op) || is_ident("has") || is_ident("like") || is_ident("is");
  }

  Result<ExprPtr> relation() {
    auto lhs = add();
    if (!lhs) return lhs;
    ExprPtr e = std::move(*lhs);
    Op op;
    Token at = tok_;
    if (relop(tok_, op)) {
      bump();
      auto rhs = add();
      if (!rhs) return rhs;
      e = binary(op, at, std::move(e), std::move(*rhs));
      if (too_tall(e)) return too_tall_error();
    } else if (is_ident("has")) {
      bump();
      std::vector<std::string> attrs;
      while (true) {
        if (tok_.kind == Tok::kIdent) {
          if (is_reserved(tok_.text)) return reserved_error();
          attrs.emplace_back(tok_.text);
        } else if (tok_.kind == Tok::kString && attrs.empty()) {
          auto s = unescape_string(tok_.text);
          if (!s) return error_here(s.error().message);
          attrs.push_back(std::move(*s));
        } else {
          return error_here("expected an attribute name after 'has', found " + describe(tok_));
        }
        bool quoted = tok_.kind == Tok::kString;
        bump();
        if (tok_.kind != Tok::kDot) break;
        if (quoted) return error_here("a quoted attribute after 'has' cannot start a path");
        if (static_cast<int>(attrs.size()) >= limits_.max_nesting)
          return error_here("attribute path after 'has' is too long");
        bump();
      }
      // `e has a.b.c` is `e has a && e.a has b && e.a.b has c`.
      ExprPtr result;
      for (size_t i = 0; i < attrs.size(); ++i) {
        ExprPtr target = clone(*e);
        for (size_t j = 0; j < i; ++j) {
          auto get = node(Op::kGetAttr, at);
          get->name = attrs[j];
          get->args.push_back(std::move(target));
          target = finish(std::move(get));
        }
        auto has = node(Op::kHas, at);
        has->name = attrs[i];
        has->args.push_back(std::move(target));
        has = finish(std::move(has));
        result = result ? binary(Op::kAnd, at, std::move(result), std::move(has)) : std::move(has);
      }
      e = finish(std::move(result));
    } else if (is_ident("like")) {
      bump();
      if (tok_.kind != Tok::kString)
        return error_here("expected a string pattern after 'like', found " + describe(tok_));
      auto pat = unescape_pattern(tok_.text);
      if (!pat) return error_here(pat.error().message);
      bump();
      auto like = node(Op::kLike, at);
      like->pattern = std::move(*pat);
      like->args.push_back(std::move(e));
      e = finish(std::move(like));
    } else if (is_ident("is")) {
      bump();
      auto type = path("an entity type after 'is'");
      if (!type) return type.take_error();
      auto is = node(Op::kIs, at);
      is->name = std::move(*type);
      if (is_ident("in")) {
        Token in_at = tok_;
        bump();
        auto rhs = add();
        if (!rhs) return rhs;
        ExprPtr target = clone(*e);
        is->args.push_back(std::move(e));
        e = binary(Op::kAnd, at, std::move(is),
                   binary(Op::kIn, in_at, std::move(target), std::move(*rhs)));
      } else {
        is->args.push_back(std::move(e));
        e = finish(std::move(is));
      }
    } else {
      return e;
    }
    if (at_relation_op()) {
      return error_here("comparison operators cannot be chained; add parentheses before " +
                        describe(tok_));
    }
    return e;
  }

  Result<ExprPtr> add() {
    auto lhs = mult();
    if (!lhs) return lhs;
    ExprPtr e = std::move(*lhs);
    while (tok_.kind == Tok::kPlus || tok_.kind == Tok::kMinus) {
      Token at = tok_;
      Op op = tok_.kind == Tok::kPlus ? Op::kAdd : Op::kSub;
      bump();
      auto rhs = mult();
      if (!rhs) return rhs;
      e = binary(op, at, std::move(e), std::move(*rhs));
      if (too_tall(e)) return too_tall_error();
    }
    return e;
  }

  Result<ExprPtr> mult() {
    auto lhs = unary();
    if (!lhs) return lhs;
    ExprPtr e = std::move(*lhs);
    while (tok_.kind == Tok::kStar) {
      Token at = tok_;
      bump();
      auto rhs = unary();
      if (!rhs) return rhs;
      e = binary(Op::kMul, at, std::move(e), std::move(*rhs));
      if (too_tall(e)) return too_tall_error();
    }
    return e;
  }

  Result<ExprPtr> unary() {
    std::vector<Token> ops;
    while (tok_.kind == Tok::kBang || tok_.kind == Tok::kMinus) {
      ops.push_back(tok_);
      if (ops.size() > 4) return error_here("too many unary operators in a row (at most 4)");
      bump();
    }
    // A '-' directly before an integer literal is part of the literal, so that
    // -9223372036854775808 is expressible.
    bool negative_literal =
        !ops.empty() && ops.back().kind == Tok::kMinus && tok_.kind == Tok::kInt;
    auto m = member(negative_literal);
    if (!m) return m;
    ExprPtr e = std::move(*m);
    if (negative_literal && e->op == Op::kLiteral && e->literal.kind() == Kind::kLong)
      ops.pop_back();
    for (auto it = ops.rbegin(); it != ops.rend(); ++it) {
      auto u = node(it->kind == Tok::kBang ? Op::kNot : Op::kNeg, *it);
      u->args.push_back(std::move(e));
      e = finish(std::move(u));
    }
    return e;
  }

  Result<ExprPtr> member(bool negative_literal) {
    auto p = primary(negative_literal);
    if (!p) return p;
    ExprPtr e = std::move(*p);
    if (negative_literal && (tok_.kind == Tok::kDot || tok_.kind == Tok::kLBracket)) {
      // `-1.foo` would bind the minus after the access; keep the literal positive and negate.
      return error_here("put parentheses around a negative number before an attribute or method");
    }
    while (true) {
      if (tok_.kind == Tok::kDot) {
        Token dot = tok_;
        bump();
        if (tok_.kind != Tok::kIdent)
          return error_here("expected an attribute or method name after '.', found " +
                            describe(tok_));
        if (is_reserved(tok_.text)) return reserved_error();
        std::string name(tok_.text);
        Token name_tok = tok_;
        bump();
        if (tok_.kind == Tok::kLParen) {
          auto it = methods().find(name);
          if (it == methods().end()) return error_at(name_tok, "unknown method '" + name + "'");
          bump();
          auto args = expr_list(Tok::kRParen, "')' to close the method arguments");
          if (!args) return args.take_error();
          // Extension methods with the wrong number of arguments fail at evaluation, as in Cedar;
          // the built-in set and tag methods are checked here.
          if (it->second.op < Op::kIp && static_cast<int>(args->size()) != it->second.arity) {
            return error_at(name_tok, "method '" + name + "' takes " +
                                          std::to_string(it->second.arity) + " argument(s), got " +
                                          std::to_string(args->size()));
          }
          auto call = node(it->second.op, name_tok);
          call->args.push_back(std::move(e));
          for (auto& a : *args) call->args.push_back(std::move(a));
          e = finish(std::move(call));
          if (too_tall(e)) return too_tall_error();
        } else {
          auto get = node(Op::kGetAttr, dot);
          get->name = std::move(name);
          get->args.push_back(std::move(e));
          e = finish(std::move(get));
        }
      } else if (tok_.kind == Tok::kLBracket) {
        Token br = tok_;
        bump();
        if (tok_.kind != Tok::kString)
          return error_here("expected a string attribute name inside [...], found " +
                            describe(tok_));
        auto s = unescape_string(tok_.text);
        if (!s) return error_here(s.error().message);
        bump();
        if (auto err = expect(Tok::kRBracket, "']' after the attribute name")) return *err;
        auto get = node(Op::kGetAttr, br);
        get->name = std::move(*s);
        get->args.push_back(std::move(e));
        e = finish(std::move(get));
        if (too_tall(e)) return too_tall_error();
      } else {
        return e;
      }
    }
  }

  Result<std::vector<ExprPtr>> expr_list(Tok close, std::string_view what) {
    std::vector<ExprPtr> out;
    if (accept(close)) return out;
    while (true) {
      auto e = expr();
      if (!e) return e.take_error();
      out.push_back(std::move(*e));
      if (accept(Tok::kComma)) {
        if (accept(close)) return out;  // Cedar allows a trailing comma
        continue;
      }
      if (auto err = expect(close, what)) return *err;
      return out;
    }
  }

  Result<ExprPtr> primary(bool negative_literal) {
    DepthGuard guard(depth_);
    if (depth_ > limits_.max_nesting) return error_here("expression is nested too deeply");
    Token at = tok_;
    switch (tok_.kind) {
      case Tok::kInt: {
        uint64_t n = 0;
        bool too_big = false;
        for (char c : tok_.text) {
          auto d = static_cast<uint64_t>(c - '0');
          if (n > (UINT64_MAX - d) / 10) {
            too_big = true;
            break;
          }
          n = n * 10 + d;
        }
        uint64_t limit = static_cast<uint64_t>(INT64_MAX) + (negative_literal ? 1 : 0);
        if (too_big || n > limit)
          return error_here("integer literal " + std::string(tok_.text) + " is out of range");
        bump();
        auto e = node(Op::kLiteral, at);
        int64_t v;
        if (negative_literal) {
          v = n == static_cast<uint64_t>(INT64_MAX) + 1 ? INT64_MIN : -static_cast<int64_t>(n);
        } else {
          v = static_cast<int64_t>(n);
        }
        e->literal = Value::integer(v);
        return e;
      }
      case Tok::kString: {
        auto s = unescape_string(tok_.text);
        if (!s) return error_here(s.error().message);
        bump();
        auto e = node(Op::kLiteral, at);
        e->literal = Value::string(std::move(*s));
        return e;
      }
      case Tok::kLParen: {
        bump();
        auto e = expr();
        if (!e) return e;
        if (auto err = expect(Tok::kRParen, "')'")) return *err;
        return e;
      }
      case Tok::kLBracket: {
        bump();
        auto items = expr_list(Tok::kRBracket, "',' or ']' in the set literal");
        if (!items) return items.take_error();
        auto e = node(Op::kSetLiteral, at);
        e->args = std::move(*items);
        return finish(std::move(e));
      }
      case Tok::kLBrace: {
        bump();
        auto e = node(Op::kRecordLiteral, at);
        while (tok_.kind != Tok::kRBrace) {
          std::string key;
          if (tok_.kind == Tok::kIdent) {
            if (is_reserved(tok_.text)) return reserved_error();
            key = std::string(tok_.text);
          } else if (tok_.kind == Tok::kString) {
            auto s = unescape_string(tok_.text);
            if (!s) return error_here(s.error().message);
            key = std::move(*s);
          } else {
            return error_here("expected a record key, found " + describe(tok_));
          }
          for (const auto& k : e->keys) {
            if (k == key) return error_here("duplicate key \"" + key + "\" in record literal");
          }
          bump();
          if (auto err = expect(Tok::kColon, "':' after the record key")) return *err;
          auto v = expr();
          if (!v) return v;
          e->keys.push_back(std::move(key));
          e->args.push_back(std::move(*v));
          if (!accept(Tok::kComma)) break;
        }
        if (auto err = expect(Tok::kRBrace, "',' or '}' in the record literal")) return *err;
        return finish(std::move(e));
      }
      case Tok::kIdent:
        break;
      case Tok::kQuestion:
        return error_here("template slots (?principal, ?resource) are not supported");
      default:
        return error_here("expected an expression, found " + describe(tok_));
    }
    std::string_view word = tok_.text;
    if (peek_.kind != Tok::kColonColon) {
      if (word == "true" || word == "false") {
        bump();
        auto e = node(Op::kLiteral, at);
        e->literal = Value::boolean(word == "true");
        return e;
      }
      static const std::pair<std::string_view, Var> kVars[] = {{"principal", Var::kPrincipal},
                                                               {"action", Var::kAction},
                                                               {"resource", Var::kResource},
                                                               {"context", Var::kContext}};
      for (const auto& [name, var] : kVars) {
        if (word == name) {
          bump();
          auto e = node(Op::kVar, at);
          e->var = var;
          return e;
        }
      }
      if (peek_.kind == Tok::kLParen) {
        auto it = functions().find(word);
        if (it == functions().end())
          return error_here("unknown function '" + std::string(word) + "'");
        bump();
        bump();
        auto args = expr_list(Tok::kRParen, "')' to close the function arguments");
        if (!args) return args.take_error();
        auto e = node(it->second, at);
        e->args = std::move(*args);
        return finish(std::move(e));
      }
      if (is_reserved(word)) return error_here("unexpected keyword '" + std::string(word) + "'");
      return error_here("unknown variable '" + std::string(word) +
                        "' (expected principal, action, resource or context)");
    }
    // A path: an entity literal Type::"id", or a namespaced extension function.
    if (is_reserved(tok_.text)) return reserved_error();
    std::string type(word);
    bump();
    while (tok_.kind == Tok::kColonColon) {
      bump();
      if (tok_.kind == Tok::kString) {
        auto id = unescape_string(tok_.text);
        if (!id) return error_here(id.error().message);
        bump();
        auto e = node(Op::kEntityLiteral, at);
        e->literal = Value::entity(EntityUid{std::move(type), std::move(*id)});
        return e;
      }
      if (tok_.kind != Tok::kIdent)
        return error_here("expected an identifier or a quoted id after '::', found " +
                          describe(tok_));
      if (is_reserved(tok_.text)) return reserved_error();
      type += "::";
      type += tok_.text;
      bump();
    }
    return error_at(
        at, "'" + type + "' is not an entity reference (missing ::\"id\") or a known function");
  }

  static ExprPtr clone(const Expr& e) {
    auto c = std::make_unique<Expr>();
    c->op = e.op;
    c->var = e.var;
    c->literal = e.literal;
    c->name = e.name;
    c->pattern = e.pattern;
    c->keys = e.keys;
    c->height = e.height;
    c->line = e.line;
    c->column = e.column;
    for (const auto& a : e.args) c->args.push_back(clone(*a));
    return c;
  }

  Lexer lex_;
  const ParseLimits& limits_;
  Token tok_;
  Token peek_;
  int depth_ = 0;
};

}  // namespace

Result<std::vector<PatternElem>> unescape_pattern(std::string_view raw) {
  return unescape(raw, true);
}

Result<std::string> unescape_string(std::string_view raw) {
  auto elems = unescape(raw, false);
  if (!elems) return elems.take_error();
  std::string out;
  out.reserve(elems->size());
  for (const auto& e : *elems) out += e.ch;
  return out;
}

Result<PolicySet> parse_policies(std::string_view text, const ParseLimits& limits) {
  if (text.size() > limits.max_text_bytes)
    return make_error("policy text is larger than the limit");
  Parser p(text, limits);
  return p.policy_set();
}

Result<ExprPtr> parse_expression(std::string_view text, const ParseLimits& limits) {
  if (text.size() > limits.max_text_bytes) return make_error("expression is larger than the limit");
  Parser p(text, limits);
  return p.single_expression();
}

Result<EntityUid> parse_entity_uid(std::string_view text) {
  ParseLimits limits;
  Parser p(text, limits);
  return p.single_entity();
}

}  // namespace gh::cedar
