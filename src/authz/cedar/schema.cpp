#include "authz/cedar/schema.h"

#include <nlohmann/json.hpp>
#include <set>

#include "authz/cedar/lexer.h"
#include "authz/cedar/parser.h"

namespace gh::cedar {

namespace {

using detail::describe;
using detail::Lexer;
using detail::Tok;
using detail::Token;

// A type as written, before names are resolved against the declarations.
struct RawType;
using RawTypePtr = std::shared_ptr<RawType>;
struct RawAttr {
  std::string name;
  bool required = true;
  RawTypePtr type;
};
struct RawType {
  enum class Kind { kName, kSet, kRecord } kind = Kind::kName;
  enum class Hint { kAny, kEntity, kBuiltin } hint = Hint::kAny;
  std::string name;
  RawTypePtr element;
  std::vector<RawAttr> attrs;
};

struct RawEntity {
  std::string ns;
  std::vector<std::string> names;
  std::vector<std::string> parents;
  RawTypePtr shape;
  RawTypePtr tags;
  std::vector<std::string> enum_ids;
};
struct RawActionRef {
  std::string type;  // empty: the action type of the declaring namespace
  std::string id;
};
struct RawAction {
  std::string ns;
  std::vector<std::string> names;
  std::vector<RawActionRef> parents;
  std::vector<std::string> principals, resources;
  RawTypePtr context;
};
struct RawSchema {
  std::map<std::string, std::pair<std::string, RawTypePtr>> common;  // full name → (ns, type)
  std::vector<RawEntity> entities;
  std::vector<RawAction> actions;
};

std::string qualify(const std::string& ns, const std::string& name) {
  return ns.empty() ? name : ns + "::" + name;
}

SchemaTypePtr builtin(std::string_view name) {
  using K = SchemaType::Kind;
  static const std::pair<std::string_view, K> kBuiltins[] = {
      {"Bool", K::kBool},         {"Boolean", K::kBool},      {"Long", K::kLong},
      {"String", K::kString},     {"ipaddr", K::kIp},         {"decimal", K::kDecimal},
      {"datetime", K::kDatetime}, {"duration", K::kDuration},
  };
  for (const auto& [n, k] : kBuiltins) {
    if (n == name) {
      auto t = std::make_shared<SchemaType>();
      t->kind = k;
      return t;
    }
  }
  return nullptr;
}

class Resolver {
 public:
  explicit Resolver(const RawSchema& raw) : raw_(raw) {
    for (const auto& e : raw.entities) {
      for (const auto& n : e.names) entity_names_.insert(qualify(e.ns, n));
    }
  }

  Result<Schema> run() {
    Schema schema;
    for (const auto& e : raw_.entities) {
      for (const auto& n : e.names) {
        EntityTypeDecl decl;
        decl.name = qualify(e.ns, n);
        for (const auto& p : e.parents) decl.parent_types.push_back(entity_name(p, e.ns));
        if (e.shape) {
          auto t = resolve(*e.shape, e.ns, 0);
          if (!t) return t.take_error();
          decl.shape = *t;
        } else {
          auto t = std::make_shared<SchemaType>();
          t->kind = SchemaType::Kind::kRecord;
          decl.shape = t;
        }
        if (e.tags) {
          auto t = resolve(*e.tags, e.ns, 0);
          if (!t) return t.take_error();
          decl.tags = *t;
        }
        decl.enum_ids = e.enum_ids;
        schema.entity_types[decl.name] = std::move(decl);
      }
    }
    for (const auto& a : raw_.actions) {
      std::string action_type = qualify(a.ns, "Action");
      for (const auto& n : a.names) {
        ActionDecl decl;
        decl.uid = EntityUid{action_type, n};
        for (const auto& p : a.parents) {
          std::string type = p.type.empty() ? action_type : p.type;
          if (type == "Action") type = action_type;
          decl.parents.push_back(EntityUid{type, p.id});
        }
        for (const auto& p : a.principals) decl.principal_types.push_back(entity_name(p, a.ns));
        for (const auto& r : a.resources) decl.resource_types.push_back(entity_name(r, a.ns));
        if (a.context) {
          auto t = resolve(*a.context, a.ns, 0);
          if (!t) return t.take_error();
          if ((*t)->kind != SchemaType::Kind::kRecord) {
            return make_error("the context of action \"" + n + "\" must be a record type");
          }
          decl.context = *t;
        } else {
          auto t = std::make_shared<SchemaType>();
          t->kind = SchemaType::Kind::kRecord;
          decl.context = t;
        }
        schema.actions[decl.uid] = std::move(decl);
      }
    }
    return schema;
  }

 private:
  std::string entity_name(const std::string& name, const std::string& ns) const {
    if (name.find("::") != std::string::npos) return name;
    std::string q = qualify(ns, name);
    if (entity_names_.count(q) || !entity_names_.count(name)) return q;
    return name;
  }

  Result<SchemaTypePtr> resolve(const RawType& t, const std::string& ns, int depth) {
    if (depth > 64)
      return make_error("schema types are nested too deeply (or a common type refers to itself)");
    switch (t.kind) {
      case RawType::Kind::kSet: {
        auto e = resolve(*t.element, ns, depth + 1);
        if (!e) return e;
        auto s = std::make_shared<SchemaType>();
        s->kind = SchemaType::Kind::kSet;
        s->element = *e;
        return SchemaTypePtr(s);
      }
      case RawType::Kind::kRecord: {
        auto r = std::make_shared<SchemaType>();
        r->kind = SchemaType::Kind::kRecord;
        for (const auto& a : t.attrs) {
          auto at = resolve(*a.type, ns, depth + 1);
          if (!at) return at;
          r->attrs[a.name] = AttributeType{*at, a.required};
        }
        return SchemaTypePtr(r);
      }
      case RawType::Kind::kName:
        break;
    }
    const std::string& name = t.name;
    if (name.rfind("__cedar::", 0) == 0) {
      if (auto b = builtin(std::string_view(name).substr(9))) return b;
      return make_error("unknown built-in type " + name);
    }
    if (t.hint == RawType::Hint::kBuiltin) {
      if (auto b = builtin(name)) return b;
      return make_error("unknown extension type " + name);
    }
    std::vector<std::string> candidates;
    if (name.find("::") != std::string::npos || ns.empty()) {
      candidates.push_back(name);
    } else {
      candidates.push_back(qualify(ns, name));
      candidates.push_back(name);
    }
    for (const auto& c : candidates) {
      if (t.hint != RawType::Hint::kEntity) {
        auto it = raw_.common.find(c);
        if (it != raw_.common.end())
          return resolve(*it->second.second, it->second.first, depth + 1);
      }
      if (entity_names_.count(c)) {
        auto e = std::make_shared<SchemaType>();
        e->kind = SchemaType::Kind::kEntity;
        e->entity_type = c;
        return SchemaTypePtr(e);
      }
    }
    if (t.hint != RawType::Hint::kEntity) {
      if (auto b = builtin(name)) return b;
    }
    return make_error("the schema refers to an undeclared type " + name);
  }

  const RawSchema& raw_;
  std::set<std::string> entity_names_;
};

// --- human-readable syntax -------------------------------------------------------------------

class TextParser {
 public:
  explicit TextParser(std::string_view src) : lex_(src) {
    tok_ = lex_.next();
    peek_ = lex_.next();
  }

  Result<RawSchema> run() {
    RawSchema raw;
    while (tok_.kind != Tok::kEnd) {
      skip_annotations();
      if (!err_.message.empty()) return err_;
      if (is("namespace")) {
        bump();
        auto ns = path();
        if (!ns) return ns.take_error();
        if (!expect(Tok::kLBrace, "'{' after the namespace name")) return err_;
        while (tok_.kind != Tok::kRBrace) {
          if (tok_.kind == Tok::kEnd) return error("expected '}' to close the namespace");
          if (!decl(*ns, raw)) return err_;
        }
        bump();
      } else if (!decl("", raw)) {
        return err_;
      }
    }
    return raw;
  }

 private:
  bool fail(std::string message) {
    err_ = Error{std::move(message), tok_.line, tok_.column, "cedar.invalid_schema"};
    return false;
  }
  Error error(std::string message) {
    fail(std::move(message));
    return err_;
  }
  void bump() {
    tok_ = peek_;
    peek_ = lex_.next();
  }
  bool is(std::string_view w) const { return tok_.kind == Tok::kIdent && tok_.text == w; }
  bool expect(Tok k, std::string_view what) {
    if (tok_.kind != k) return fail("expected " + std::string(what) + ", found " + describe(tok_));
    bump();
    return true;
  }

  void skip_annotations() {
    while (tok_.kind == Tok::kAt) {
      bump();
      if (tok_.kind != Tok::kIdent) {
        fail("expected an annotation name after '@'");
        return;
      }
      bump();
      if (tok_.kind == Tok::kLParen) {
        bump();
        if (tok_.kind != Tok::kString) {
          fail("expected a string annotation value");
          return;
        }
        bump();
        if (!expect(Tok::kRParen, "')' after the annotation value")) return;
      }
    }
  }

  Result<std::string> path() {
    if (tok_.kind != Tok::kIdent) return error("expected a name, found " + describe(tok_));
    std::string out(tok_.text);
    bump();
    while (tok_.kind == Tok::kColonColon && peek_.kind == Tok::kIdent) {
      bump();
      out += "::";
      out += tok_.text;
      bump();
    }
    return out;
  }

  bool name(std::string& out) {
    if (tok_.kind == Tok::kIdent) {
      out = std::string(tok_.text);
    } else if (tok_.kind == Tok::kString) {
      auto s = unescape_string(tok_.text);
      if (!s) return fail(s.error().message);
      out = std::move(*s);
    } else {
      return fail("expected a name, found " + describe(tok_));
    }
    bump();
    return true;
  }

  bool type_list(std::vector<std::string>& out) {
    if (tok_.kind == Tok::kLBracket) {
      bump();
      while (tok_.kind != Tok::kRBracket) {
        auto p = path();
        if (!p) return fail(p.error().message);
        out.push_back(std::move(*p));
        if (tok_.kind != Tok::kComma) break;
        bump();
      }
      return expect(Tok::kRBracket, "']' to close the type list");
    }
    auto p = path();
    if (!p) return fail(p.error().message);
    out.push_back(std::move(*p));
    return true;
  }

  RawTypePtr type(int depth) {
    if (depth > 64) {
      fail("schema type nested too deeply");
      return nullptr;
    }
    auto t = std::make_shared<RawType>();
    if (tok_.kind == Tok::kLBrace) {
      bump();
      t->kind = RawType::Kind::kRecord;
      while (tok_.kind != Tok::kRBrace) {
        skip_annotations();
        if (!err_.message.empty()) return nullptr;
        RawAttr a;
        if (!name(a.name)) return nullptr;
        if (tok_.kind == Tok::kQuestion) {
          a.required = false;
          bump();
        }
        if (!expect(Tok::kColon, "':' after the attribute name")) return nullptr;
        a.type = type(depth + 1);
        if (!a.type) return nullptr;
        t->attrs.push_back(std::move(a));
        if (tok_.kind != Tok::kComma) break;
        bump();
      }
      if (!expect(Tok::kRBrace, "'}' to close the record type")) return nullptr;
      return t;
    }
    if (is("Set") && peek_.kind == Tok::kLt) {
      bump();
      bump();
      t->kind = RawType::Kind::kSet;
      t->element = type(depth + 1);
      if (!t->element) return nullptr;
      if (!expect(Tok::kGt, "'>' to close Set<...>")) return nullptr;
      return t;
    }
    auto p = path();
    if (!p) {
      fail(p.error().message);
      return nullptr;
    }
    t->name = std::move(*p);
    return t;
  }

  bool action_ref(const std::string& ns, std::vector<RawActionRef>& out) {
    (void)ns;
    RawActionRef ref;
    if (tok_.kind == Tok::kString) {
      if (!name(ref.id)) return false;
      out.push_back(std::move(ref));
      return true;
    }
    if (tok_.kind != Tok::kIdent)
      return fail("expected an action reference, found " + describe(tok_));
    std::string p(tok_.text);
    bump();
    if (tok_.kind != Tok::kColonColon) {
      ref.id = std::move(p);
      out.push_back(std::move(ref));
      return true;
    }
    while (tok_.kind == Tok::kColonColon) {
      bump();
      if (tok_.kind == Tok::kString) {
        auto s = unescape_string(tok_.text);
        if (!s) return fail(s.error().message);
        ref.type = std::move(p);
        ref.id = std::move(*s);
        bump();
        out.push_back(std::move(ref));
        return true;
      }
      if (tok_.kind != Tok::kIdent)
        return fail("expected an action reference, found " + describe(tok_));
      p += "::";
      p += tok_.text;
      bump();
    }
    return fail("expected Type::\"id\" in the action reference");
  }

  bool decl(const std::string& ns, RawSchema& raw) {
    skip_annotations();
    if (!err_.message.empty()) return false;
    if (is("entity")) {
      bump();
      RawEntity e;
      e.ns = ns;
      do {
        if (tok_.kind == Tok::kComma) bump();
        if (tok_.kind != Tok::kIdent)
          return fail("expected an entity type name, found " + describe(tok_));
        e.names.emplace_back(tok_.text);
        bump();
      } while (tok_.kind == Tok::kComma);
      if (is("enum")) {
        bump();
        if (!expect(Tok::kLBracket, "'[' after enum")) return false;
        while (tok_.kind == Tok::kString) {
          auto s = unescape_string(tok_.text);
          if (!s) return fail(s.error().message);
          e.enum_ids.push_back(std::move(*s));
          bump();
          if (tok_.kind != Tok::kComma) break;
          bump();
        }
        if (!expect(Tok::kRBracket, "']' to close the enum")) return false;
      } else {
        if (is("in")) {
          bump();
          if (!type_list(e.parents)) return false;
        }
        if (tok_.kind == Tok::kEq) bump();
        if (tok_.kind == Tok::kLBrace) {
          e.shape = type(0);
          if (!e.shape) return false;
        }
        if (is("tags")) {
          bump();
          e.tags = type(0);
          if (!e.tags) return false;
        }
      }
      if (!expect(Tok::kSemi, "';' after the entity declaration")) return false;
      raw.entities.push_back(std::move(e));
      return true;
    }
    if (is("action")) {
      bump();
      RawAction a;
      a.ns = ns;
      do {
        if (tok_.kind == Tok::kComma) bump();
        std::string n;
        if (!name(n)) return false;
        a.names.push_back(std::move(n));
      } while (tok_.kind == Tok::kComma);
      if (is("in")) {
        bump();
        if (tok_.kind == Tok::kLBracket) {
          bump();
          while (tok_.kind != Tok::kRBracket) {
            if (!action_ref(ns, a.parents)) return false;
            if (tok_.kind != Tok::kComma) break;
            bump();
          }
          if (!expect(Tok::kRBracket, "']' to close the action list")) return false;
        } else if (!action_ref(ns, a.parents)) {
          return false;
        }
      }
      if (is("appliesTo")) {
        bump();
        if (!expect(Tok::kLBrace, "'{' after appliesTo")) return false;
        while (tok_.kind != Tok::kRBrace) {
          if (is("principal") || is("resource")) {
            bool principal = tok_.text == "principal";
            bump();
            if (!expect(Tok::kColon, "':'")) return false;
            if (!type_list(principal ? a.principals : a.resources)) return false;
          } else if (is("context")) {
            bump();
            if (!expect(Tok::kColon, "':'")) return false;
            a.context = type(0);
            if (!a.context) return false;
          } else {
            return fail("expected principal, resource or context in appliesTo, found " +
                        describe(tok_));
          }
          if (tok_.kind != Tok::kComma) break;
          bump();
        }
        if (!expect(Tok::kRBrace, "'}' to close appliesTo")) return false;
      }
      if (!expect(Tok::kSemi, "';' after the action declaration")) return false;
      raw.actions.push_back(std::move(a));
      return true;
    }
    if (is("type")) {
      bump();
      if (tok_.kind != Tok::kIdent) return fail("expected a type name after 'type'");
      std::string n(tok_.text);
      bump();
      if (!expect(Tok::kEq, "'=' in the type declaration")) return false;
      auto t = type(0);
      if (!t) return false;
      if (!expect(Tok::kSemi, "';' after the type declaration")) return false;
      raw.common[qualify(ns, n)] = {ns, t};
      return true;
    }
    return fail("expected 'entity', 'action', 'type' or 'namespace', found " + describe(tok_));
  }

  Lexer lex_;
  Token tok_;
  Token peek_;
  Error err_;
};

// --- JSON syntax ------------------------------------------------------------------------------

using nlohmann::json;

RawTypePtr json_type(const json& j, int depth, std::string& err) {
  if (depth > 64 || !j.is_object() || !j.contains("type") || !j["type"].is_string()) {
    err = "a schema type must be an object with a string \"type\"";
    return nullptr;
  }
  auto t = std::make_shared<RawType>();
  std::string kind = j["type"].get<std::string>();
  if (kind == "Set") {
    t->kind = RawType::Kind::kSet;
    if (!j.contains("element")) {
      err = "a Set type needs an \"element\"";
      return nullptr;
    }
    t->element = json_type(j["element"], depth + 1, err);
    return t->element ? t : nullptr;
  }
  if (kind == "Record") {
    t->kind = RawType::Kind::kRecord;
    if (j.contains("attributes")) {
      if (!j["attributes"].is_object()) {
        err = "\"attributes\" must be an object";
        return nullptr;
      }
      for (const auto& [k, v] : j["attributes"].items()) {
        RawAttr a;
        a.name = k;
        a.type = json_type(v, depth + 1, err);
        if (!a.type) return nullptr;
        if (v.contains("required") && v["required"].is_boolean())
          a.required = v["required"].get<bool>();
        t->attrs.push_back(std::move(a));
      }
    }
    return t;
  }
  if (kind == "Entity" || kind == "Extension" || kind == "EntityOrCommon") {
    if (!j.contains("name") || !j["name"].is_string()) {
      err = "a " + kind + " type needs a \"name\"";
      return nullptr;
    }
    t->name = j["name"].get<std::string>();
    t->hint = kind == "Entity"      ? RawType::Hint::kEntity
              : kind == "Extension" ? RawType::Hint::kBuiltin
                                    : RawType::Hint::kAny;
    return t;
  }
  t->name = kind;
  return t;
}

Result<RawSchema> json_schema(std::string_view text) {
  json doc = json::parse(text, nullptr, false);
  if (doc.is_discarded() || !doc.is_object()) return make_error("the schema is not a JSON object");
  RawSchema raw;
  std::string err;
  for (const auto& [ns, body] : doc.items()) {
    if (!body.is_object()) return make_error("namespace \"" + ns + "\" must be an object");
    if (body.contains("commonTypes")) {
      for (const auto& [n, t] : body["commonTypes"].items()) {
        auto rt = json_type(t, 0, err);
        if (!rt) return make_error("common type " + n + ": " + err);
        raw.common[qualify(ns, n)] = {ns, rt};
      }
    }
    if (body.contains("entityTypes")) {
      for (const auto& [n, e] : body["entityTypes"].items()) {
        RawEntity re;
        re.ns = ns;
        re.names.push_back(n);
        if (e.contains("memberOfTypes")) {
          for (const auto& p : e["memberOfTypes"]) {
            if (p.is_string()) re.parents.push_back(p.get<std::string>());
          }
        }
        if (e.contains("shape")) {
          re.shape = json_type(e["shape"], 0, err);
          if (!re.shape) return make_error("entity type " + n + ": " + err);
        }
        if (e.contains("tags")) {
          re.tags = json_type(e["tags"], 0, err);
          if (!re.tags) return make_error("entity type " + n + ": " + err);
        }
        if (e.contains("enum")) {
          for (const auto& id : e["enum"]) {
            if (id.is_string()) re.enum_ids.push_back(id.get<std::string>());
          }
        }
        raw.entities.push_back(std::move(re));
      }
    }
    if (body.contains("actions")) {
      for (const auto& [n, a] : body["actions"].items()) {
        RawAction ra;
        ra.ns = ns;
        ra.names.push_back(n);
        if (a.contains("memberOf")) {
          for (const auto& p : a["memberOf"]) {
            if (!p.is_object() || !p.contains("id") || !p["id"].is_string()) continue;
            RawActionRef ref;
            ref.id = p["id"].get<std::string>();
            if (p.contains("type") && p["type"].is_string())
              ref.type = p["type"].get<std::string>();
            ra.parents.push_back(std::move(ref));
          }
        }
        if (a.contains("appliesTo") && a["appliesTo"].is_object()) {
          const auto& ap = a["appliesTo"];
          for (const char* key : {"principalTypes", "resourceTypes"}) {
            if (!ap.contains(key)) continue;
            for (const auto& t : ap[key]) {
              if (t.is_string())
                (key[0] == 'p' ? ra.principals : ra.resources).push_back(t.get<std::string>());
            }
          }
          if (ap.contains("context")) {
            ra.context = json_type(ap["context"], 0, err);
            if (!ra.context) return make_error("action " + n + ": " + err);
          }
        }
        raw.actions.push_back(std::move(ra));
      }
    }
  }
  return raw;
}

}  // namespace

const EntityTypeDecl* Schema::entity_type(std::string_view name) const {
  auto it = entity_types.find(std::string(name));
  return it == entity_types.end() ? nullptr : &it->second;
}

const ActionDecl* Schema::action(const EntityUid& uid) const {
  auto it = actions.find(uid);
  return it == actions.end() ? nullptr : &it->second;
}

Result<Schema> parse_schema_text(std::string_view text) {
  TextParser p(text);
  auto raw = p.run();
  if (!raw) return raw.take_error();
  return Resolver(*raw).run();
}

Result<Schema> parse_schema_json(std::string_view text) {
  auto raw = json_schema(text);
  if (!raw) return raw.take_error();
  return Resolver(*raw).run();
}

Result<Schema> parse_schema(std::string_view text) {
  for (char c : text) {
    if (c == ' ' || c == '\n' || c == '\t' || c == '\r') continue;
    if (c == '{') return parse_schema_json(text);
    break;
  }
  return parse_schema_text(text);
}

}  // namespace gh::cedar
