#include "directory/filter.h"

#include <cctype>

namespace gh::directory {

std::string lower(std::string_view s) {
  std::string out(s);
  for (auto& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

std::string AttrPath::str() const {
  std::string out;
  if (!urn.empty()) out = urn + ":";
  out += attr;
  if (!sub.empty()) out += "." + sub;
  return out;
}

namespace {

bool is_name_char(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_';
}

// ATTRNAME = ALPHA *(nameChar), plus "$ref".
bool valid_name(std::string_view n) {
  if (n == "$ref") return true;
  if (n.empty() || !std::isalpha(static_cast<unsigned char>(n[0]))) return false;
  for (char c : n) {
    if (!is_name_char(c)) return false;
  }
  return true;
}

bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(a[i])) !=
        std::tolower(static_cast<unsigned char>(b[i]))) {
      return false;
    }
  }
  return true;
}

std::optional<AttrPath> split_path(std::string_view w) {
  AttrPath p;
  std::string_view tail = w;
  if (w.size() > 4 && iequals(w.substr(0, 4), "urn:")) {
    const size_t colon = w.rfind(':');
    p.urn = std::string(w.substr(0, colon));
    tail = w.substr(colon + 1);
    for (char c : p.urn) {
      if (static_cast<unsigned char>(c) <= 0x20 || static_cast<unsigned char>(c) >= 0x7f) {
        return std::nullopt;
      }
    }
  }
  const size_t dot = tail.find('.');
  p.attr = std::string(tail.substr(0, dot));
  if (dot != std::string_view::npos) {
    p.sub = std::string(tail.substr(dot + 1));
    if (!valid_name(p.sub)) return std::nullopt;
  }
  if (!valid_name(p.attr)) return std::nullopt;
  return p;
}

bool is_compare_op(const std::string& op) {
  return op == "eq" || op == "ne" || op == "co" || op == "sw" || op == "ew" || op == "gt" ||
         op == "ge" || op == "lt" || op == "le";
}

class Parser {
 public:
  explicit Parser(std::string_view s, std::string scim_type)
      : s_(s), scim_type_(std::move(scim_type)) {}

  std::optional<Filter> filter() {
    auto f = parse_or(0);
    if (!f) return std::nullopt;
    skip();
    if (i_ != s_.size()) return error("unexpected '" + std::string(s_.substr(i_, 20)) + "'");
    return f;
  }

  std::optional<PatchPath> patch_path() {
    PatchPath p;
    const std::string w = word();
    auto path = split_path(w);
    if (!path) return error_t<PatchPath>("'" + w + "' is not an attribute path");
    p.path = *path;
    if (peek() == '[') {
      if (!p.path.sub.empty()) return error_t<PatchPath>("a value filter follows the attribute");
      ++i_;
      auto inner = parse_or(1);
      if (!inner) return std::nullopt;
      skip();
      if (peek() != ']') return error_t<PatchPath>("missing ']'");
      ++i_;
      p.filter = std::move(*inner);
      if (peek() == '.') {
        ++i_;
        p.sub_after = word();
        if (!valid_name(p.sub_after)) {
          return error_t<PatchPath>("'" + p.sub_after + "' is not a sub-attribute name");
        }
      }
    }
    if (i_ != s_.size()) {
      return error_t<PatchPath>("unexpected '" + std::string(s_.substr(i_, 20)) + "'");
    }
    return p;
  }

  ParseError err;

 private:
  std::optional<Filter> error(const std::string& why) { return error_t<Filter>(why); }
  template <class T>
  std::optional<T> error_t(const std::string& why) {
    if (err.detail.empty()) {
      err.scim_type = scim_type_;
      err.detail = why + " at offset " + std::to_string(i_);
    }
    return std::nullopt;
  }

  void skip() {
    while (i_ < s_.size() && (s_[i_] == ' ' || s_[i_] == '\t')) ++i_;
  }
  char peek() const { return i_ < s_.size() ? s_[i_] : '\0'; }
  static bool stops(char c) {
    return c == ' ' || c == '\t' || c == '(' || c == ')' || c == '[' || c == ']' || c == '"';
  }
  // A run of characters up to a space, a bracket or a quote; for attribute paths also up to a
  // '.' that follows a ']' (handled by the caller).
  std::string word() {
    const size_t start = i_;
    while (i_ < s_.size() && !stops(s_[i_])) ++i_;
    return std::string(s_.substr(start, i_ - start));
  }
  std::string peek_word() {
    const size_t save = i_;
    skip();
    std::string w = word();
    i_ = save;
    return w;
  }

  std::optional<Filter> parse_or(int depth) {
    auto left = parse_and(depth);
    if (!left) return std::nullopt;
    while (iequals(peek_word(), "or")) {
      skip();
      word();
      auto right = parse_and(depth);
      if (!right) return std::nullopt;
      Filter f;
      f.kind = Filter::Kind::or_;
      f.kids.push_back(std::move(*left));
      f.kids.push_back(std::move(*right));
      left = std::move(f);
    }
    return left;
  }

  std::optional<Filter> parse_and(int depth) {
    auto left = parse_unary(depth);
    if (!left) return std::nullopt;
    while (iequals(peek_word(), "and")) {
      skip();
      word();
      auto right = parse_unary(depth);
      if (!right) return std::nullopt;
      Filter f;
      f.kind = Filter::Kind::and_;
      f.kids.push_back(std::move(*left));
      f.kids.push_back(std::move(*right));
      left = std::move(f);
    }
    return left;
  }

  std::optional<Filter> parse_unary(int depth) {
    if (depth > kMaxFilterDepth) return error("the filter nests too deeply");
    skip();
    if (peek() == '(') {
      ++i_;
      auto f = parse_or(depth + 1);
      if (!f) return std::nullopt;
      skip();
      if (peek() != ')') return error("missing ')'");
      ++i_;
      return f;
    }
    const size_t save = i_;
    std::string w = word();
    if (w.empty())
      return error(i_ >= s_.size() ? "the filter ends early" : "expected an attribute");
    if (iequals(w, "not")) {
      skip();
      if (peek() == '(') {
        ++i_;
        auto inner = parse_or(depth + 1);
        if (!inner) return std::nullopt;
        skip();
        if (peek() != ')') return error("missing ')'");
        ++i_;
        Filter f;
        f.kind = Filter::Kind::not_;
        f.kids.push_back(std::move(*inner));
        return f;
      }
      i_ = save;
      w = word();
    }
    auto path = split_path(w);
    if (!path) return error("'" + w.substr(0, 60) + "' is not an attribute path");
    if (peek() == '[') {
      if (!path->sub.empty()) return error("a value filter follows the attribute, not its sub");
      if (in_value_path_) return error("value filters do not nest");
      ++i_;
      in_value_path_ = true;
      auto inner = parse_or(depth + 1);
      in_value_path_ = false;
      if (!inner) return std::nullopt;
      skip();
      if (peek() != ']') return error("missing ']'");
      ++i_;
      Filter f;
      f.kind = Filter::Kind::value_path;
      f.path = *path;
      f.kids.push_back(std::move(*inner));
      if (peek() == '.') {
        // emails[type eq "work"].value eq "x" (Entra's matching filter).
        ++i_;
        const std::string sub = word();
        if (!valid_name(sub)) return error("'" + sub + "' is not a sub-attribute name");
        auto tail = attr_expression(AttrPath{"", sub, ""});
        if (!tail) return std::nullopt;
        f.kids.push_back(std::move(*tail));
      }
      return f;
    }
    return attr_expression(*path);
  }

  std::optional<Filter> attr_expression(AttrPath path) {
    skip();
    const std::string op = lower(word());
    Filter f;
    f.path = std::move(path);
    if (op == "pr") {
      f.kind = Filter::Kind::present;
      return f;
    }
    if (!is_compare_op(op)) {
      return error(op.empty() ? "expected an operator after '" + f.path.str() + "'"
                              : "'" + op.substr(0, 20) + "' is not an operator");
    }
    f.kind = Filter::Kind::compare;
    f.op = op;
    skip();
    auto v = value();
    if (!v) return std::nullopt;
    f.value = std::move(*v);
    return f;
  }

  std::optional<nlohmann::json> value() {
    if (peek() == '"') {
      const size_t start = i_++;
      while (i_ < s_.size() && s_[i_] != '"') {
        if (s_[i_] == '\\') ++i_;
        ++i_;
      }
      if (i_ >= s_.size()) return error_t<nlohmann::json>("unterminated string");
      ++i_;
      auto j = nlohmann::json::parse(s_.substr(start, i_ - start), nullptr, false);
      if (j.is_discarded() || !j.is_string()) {
        return error_t<nlohmann::json>("invalid string literal");
      }
      return j;
    }
    const std::string w = word();
    if (w.empty()) return error_t<nlohmann::json>("expected a value");
    if (w == "true") return nlohmann::json(true);
    if (w == "false") return nlohmann::json(false);
    if (w == "null") return nlohmann::json(nullptr);
    if (w[0] == '-' || std::isdigit(static_cast<unsigned char>(w[0]))) {
      auto j = nlohmann::json::parse(w, nullptr, false);
      if (!j.is_discarded() && j.is_number() && !std::isinf(j.get<double>())) return j;
    }
    // Entra's unquoted values: printable ASCII taken as a string.
    for (char c : w) {
      if (static_cast<unsigned char>(c) < 0x21 || static_cast<unsigned char>(c) > 0x7e) {
        return error_t<nlohmann::json>("an unquoted value must be printable ASCII");
      }
    }
    return nlohmann::json(w);
  }

  std::string_view s_;
  size_t i_ = 0;
  std::string scim_type_;
  bool in_value_path_ = false;
};

}  // namespace

FilterParse parse_filter(std::string_view text) {
  FilterParse out;
  if (text.size() > kMaxFilterLength) {
    out.error = {"invalidFilter",
                 "the filter is longer than " + std::to_string(kMaxFilterLength) + " characters"};
    return out;
  }
  Parser p(text, "invalidFilter");
  out.filter = p.filter();
  if (!out.filter) out.error = p.err;
  return out;
}

PathParse parse_patch_path(std::string_view text) {
  PathParse out;
  if (text.empty() || text.size() > kMaxFilterLength) {
    out.error = {"invalidPath", "the path is empty or too long"};
    return out;
  }
  Parser p(text, "invalidPath");
  out.path = p.patch_path();
  if (!out.path) out.error = p.err;
  return out;
}

std::string print_filter(const Filter& f) {
  auto wrap = [](const Filter& k) {
    return (k.kind == Filter::Kind::and_ || k.kind == Filter::Kind::or_)
               ? "(" + print_filter(k) + ")"
               : print_filter(k);
  };
  switch (f.kind) {
    case Filter::Kind::compare:
      return f.path.str() + " " + f.op + " " + f.value.dump();
    case Filter::Kind::present:
      return f.path.str() + " pr";
    case Filter::Kind::and_:
      return wrap(f.kids[0]) + " and " + wrap(f.kids[1]);
    case Filter::Kind::or_:
      return wrap(f.kids[0]) + " or " + wrap(f.kids[1]);
    case Filter::Kind::not_:
      return "not (" + print_filter(f.kids[0]) + ")";
    case Filter::Kind::value_path: {
      std::string out = f.path.str() + "[" + print_filter(f.kids[0]) + "]";
      if (f.kids.size() == 2) out += "." + print_filter(f.kids[1]);
      return out;
    }
  }
  return {};
}

std::string print_patch_path(const PatchPath& p) {
  std::string out = p.path.str();
  if (p.filter) out += "[" + print_filter(*p.filter) + "]";
  if (!p.sub_after.empty()) out += "." + p.sub_after;
  return out;
}

bool default_case_exact(const std::string& path) {
  return path == "id" || path == "externalid" || path.ends_with("$ref") ||
         path == "members.value" || path == "groups.value" || path == "meta.version";
}

const nlohmann::json* find_member(const nlohmann::json& object, std::string_view name) {
  if (!object.is_object()) return nullptr;
  if (auto it = object.find(std::string(name)); it != object.end()) return &*it;
  for (auto it = object.begin(); it != object.end(); ++it) {
    if (iequals(it.key(), name)) return &it.value();
  }
  return nullptr;
}

const nlohmann::json* path_root(const nlohmann::json& resource, const AttrPath& path) {
  if (path.urn.empty()) return &resource;
  if (lower(path.urn).find(":core:") != std::string::npos) return &resource;
  return find_member(resource, path.urn);
}

namespace {

bool present(const nlohmann::json* v) {
  if (!v || v->is_null()) return false;
  if (v->is_string()) return !v->get_ref<const std::string&>().empty();
  if (v->is_array() || v->is_object()) return !v->empty();
  return true;
}

bool compare_one(const nlohmann::json& have, const std::string& op, const nlohmann::json& want,
                 bool case_exact) {
  if (want.is_null()) return op == "eq" ? have.is_null() : op == "ne" ? !have.is_null() : false;
  if (have.is_string() && want.is_string()) {
    std::string a = have.get<std::string>(), b = want.get<std::string>();
    if (!case_exact) {
      a = lower(a);
      b = lower(b);
    }
    if (op == "eq") return a == b;
    if (op == "ne") return a != b;
    if (op == "co") return a.find(b) != std::string::npos;
    if (op == "sw") return a.starts_with(b);
    if (op == "ew") return a.ends_with(b);
    if (op == "gt") return a > b;
    if (op == "ge") return a >= b;
    if (op == "lt") return a < b;
    if (op == "le") return a <= b;
    return false;
  }
  if (have.is_number() && want.is_number()) {
    const double a = have.get<double>(), b = want.get<double>();
    if (op == "eq") return a == b;
    if (op == "ne") return a != b;
    if (op == "gt") return a > b;
    if (op == "ge") return a >= b;
    if (op == "lt") return a < b;
    if (op == "le") return a <= b;
    return false;
  }
  if (have.is_boolean() && want.is_boolean()) {
    if (op == "eq") return have == want;
    if (op == "ne") return have != want;
    return false;
  }
  // Booleans sent as strings ("True") by some clients compare with booleans.
  if (have.is_boolean() && want.is_string()) {
    const std::string b = lower(want.get<std::string>());
    if (b != "true" && b != "false") return op == "ne";
    return compare_one(have, op, nlohmann::json(b == "true"), true);
  }
  return op == "ne";
}

// The values an attribute path names in one object: a multi-valued complex attribute without
// a sub-attribute stands for its elements' "value".
void collect(const nlohmann::json* v, const std::string& sub,
             std::vector<const nlohmann::json*>& out) {
  if (!v || v->is_null()) return;
  if (v->is_array()) {
    for (const auto& e : *v) collect(&e, sub, out);
    return;
  }
  if (v->is_object()) {
    if (const auto* s = find_member(*v, sub.empty() ? "value" : sub)) {
      if (!s->is_null()) out.push_back(s);
    }
    return;
  }
  if (sub.empty()) out.push_back(v);
}

bool attr_matches(const Filter& f, const nlohmann::json* root, const std::string& canonical,
                  const CaseExact& case_exact) {
  const nlohmann::json* v = root ? find_member(*root, f.path.attr) : nullptr;
  if (f.kind == Filter::Kind::present) {
    if (f.path.sub.empty()) return present(v);
    std::vector<const nlohmann::json*> vals;
    collect(v, f.path.sub, vals);
    for (const auto* x : vals) {
      if (present(x)) return true;
    }
    return false;
  }
  std::vector<const nlohmann::json*> vals;
  collect(v, f.path.sub, vals);
  const bool exact = case_exact(canonical);
  if (f.op == "ne") {
    for (const auto* x : vals) {
      if (compare_one(*x, "eq", f.value, exact)) return false;
    }
    return !f.value.is_null() || !vals.empty();
  }
  if (f.value.is_null() && f.op == "eq") return vals.empty();
  for (const auto* x : vals) {
    if (compare_one(*x, f.op, f.value, exact)) return true;
  }
  return false;
}

std::string canonical_path(const AttrPath& p) {
  std::string out;
  if (!p.urn.empty() && lower(p.urn).find(":core:") == std::string::npos) out = lower(p.urn) + ":";
  out += lower(p.attr);
  if (!p.sub.empty()) out += "." + lower(p.sub);
  return out;
}

}  // namespace

bool matches_element(const Filter& f, const nlohmann::json& element, const std::string& attr,
                     const CaseExact& case_exact) {
  switch (f.kind) {
    case Filter::Kind::and_:
      return matches_element(f.kids[0], element, attr, case_exact) &&
             matches_element(f.kids[1], element, attr, case_exact);
    case Filter::Kind::or_:
      return matches_element(f.kids[0], element, attr, case_exact) ||
             matches_element(f.kids[1], element, attr, case_exact);
    case Filter::Kind::not_:
      return !matches_element(f.kids[0], element, attr, case_exact);
    case Filter::Kind::value_path:
      return false;
    case Filter::Kind::compare:
    case Filter::Kind::present: {
      const std::string canonical = lower(attr) + "." + lower(f.path.attr);
      if (!element.is_object()) {
        // A multi-valued attribute of simple values: "value" is the value itself.
        if (lower(f.path.attr) != "value") return false;
        nlohmann::json wrapper = {{"value", element}};
        return attr_matches(f, &wrapper, canonical, case_exact);
      }
      return attr_matches(f, &element, canonical, case_exact);
    }
  }
  return false;
}

bool matches(const Filter& f, const nlohmann::json& resource, const CaseExact& case_exact) {
  switch (f.kind) {
    case Filter::Kind::and_:
      return matches(f.kids[0], resource, case_exact) && matches(f.kids[1], resource, case_exact);
    case Filter::Kind::or_:
      return matches(f.kids[0], resource, case_exact) || matches(f.kids[1], resource, case_exact);
    case Filter::Kind::not_:
      return !matches(f.kids[0], resource, case_exact);
    case Filter::Kind::value_path: {
      const nlohmann::json* root = path_root(resource, f.path);
      const nlohmann::json* v = root ? find_member(*root, f.path.attr) : nullptr;
      if (!v || v->is_null()) return false;
      const std::string attr = canonical_path(AttrPath{f.path.urn, f.path.attr, ""});
      auto check = [&](const nlohmann::json& e) {
        if (!matches_element(f.kids[0], e, attr, case_exact)) return false;
        return f.kids.size() < 2 || matches_element(f.kids[1], e, attr, case_exact);
      };
      if (v->is_array()) {
        for (const auto& e : *v) {
          if (check(e)) return true;
        }
        return false;
      }
      return check(*v);
    }
    case Filter::Kind::compare:
    case Filter::Kind::present:
      return attr_matches(f, path_root(resource, f.path), canonical_path(f.path), case_exact);
  }
  return false;
}

}  // namespace gh::directory
