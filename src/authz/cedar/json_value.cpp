#include "authz/cedar/json_value.h"

#include "authz/cedar/evaluator.h"

namespace gh::cedar {

namespace {

using nlohmann::json;
using K = SchemaType::Kind;

const char* json_kind(const json& j) {
  switch (j.type()) {
    case json::value_t::null:
      return "null";
    case json::value_t::boolean:
      return "a boolean";
    case json::value_t::number_integer:
    case json::value_t::number_unsigned:
      return "an integer";
    case json::value_t::number_float:
      return "a non-integer number";
    case json::value_t::string:
      return "a string";
    case json::value_t::array:
      return "an array";
    case json::value_t::object:
      return "an object";
    default:
      return "an unsupported JSON value";
  }
}

const char* type_name(K k) {
  switch (k) {
    case K::kBool:
      return "Bool";
    case K::kLong:
      return "Long";
    case K::kString:
      return "String";
    case K::kEntity:
      return "an entity";
    case K::kSet:
      return "Set";
    case K::kRecord:
      return "a record";
    case K::kIp:
      return "ipaddr";
    case K::kDecimal:
      return "decimal";
    case K::kDatetime:
      return "datetime";
    case K::kDuration:
      return "duration";
  }
  return "?";
}

Result<Value> extension(std::string_view fn, const std::string& arg) {
  if (fn == "ip" || fn == "ipaddr") {
    if (auto v = parse_ip(arg)) return Value::ip(*v);
    return make_error("invalid IP address \"" + arg + "\"");
  }
  if (fn == "decimal") {
    if (auto v = parse_decimal(arg)) return Value::decimal(*v);
    return make_error("invalid decimal \"" + arg + "\"");
  }
  if (fn == "datetime") {
    if (auto v = parse_datetime(arg)) return Value::datetime(*v);
    return make_error("invalid datetime \"" + arg + "\"");
  }
  if (fn == "duration") {
    if (auto v = parse_duration(arg)) return Value::duration(*v);
    return make_error("invalid duration \"" + arg + "\"");
  }
  return make_error("unknown extension function \"" + std::string(fn) + "\"");
}

Result<Value> convert(const json& j, const SchemaType* type, int depth);

Result<Value> extn_object(const json& body, int depth) {
  if (body.is_object() && body.contains("fn") && body["fn"].is_string() && body.contains("args") &&
      body["args"].is_array()) {
    std::vector<Value> args;
    for (const auto& a : body["args"]) {
      auto v = convert(a, nullptr, depth - 1);
      if (!v) return v;
      args.push_back(std::move(*v));
    }
    auto r = call_extension(body["fn"].get<std::string>(), args);
    if (!r) return make_error("extension value: " + r.error().message);
    return r;
  }
  if (!body.is_object() || !body.contains("fn") || !body["fn"].is_string() ||
      !body.contains("arg")) {
    return make_error(
        "__extn must be {\"fn\": ..., \"arg\": ...} or {\"fn\": ..., \"args\": [...]}");
  }
  if (!body["arg"].is_string()) {
    auto v = convert(body["arg"], nullptr, depth - 1);
    if (!v) return v;
    auto r = call_extension(body["fn"].get<std::string>(), {*v});
    if (!r) return make_error("extension value: " + r.error().message);
    return r;
  }
  const json& arg = body["arg"];
  if (!arg.is_string()) return make_error("the argument of an extension value must be a string");
  return extension(body["fn"].get<std::string>(), arg.get<std::string>());
}

Result<Value> convert(const json& j, const SchemaType* type, int depth) {
  if (depth <= 0) return make_error("value is nested too deeply");
  if (type != nullptr) {
    switch (type->kind) {
      case K::kEntity: {
        auto uid = uid_from_json(j);
        if (!uid)
          return make_error(std::string("expected an entity reference, got ") + json_kind(j));
        if (uid->type != type->entity_type) {
          return make_error("expected an entity of type " + type->entity_type + ", got " +
                            uid->type);
        }
        return Value::entity(std::move(*uid));
      }
      case K::kIp:
      case K::kDecimal:
      case K::kDatetime:
      case K::kDuration: {
        Result<Value> v = make_error("");
        if (j.is_string()) {
          v = extension(type_name(type->kind), j.get<std::string>());
        } else if (j.is_object() && j.contains("__extn")) {
          v = extn_object(j["__extn"], depth);
        } else if (j.is_object() && j.contains("fn")) {
          v = extn_object(j, depth);
        } else {
          return make_error(std::string("expected ") + type_name(type->kind) + ", got " +
                            json_kind(j));
        }
        if (!v) return v;
        static constexpr Kind kWant[] = {Kind::kIp, Kind::kDecimal, Kind::kDatetime,
                                         Kind::kDuration};
        if (v->kind() != kWant[static_cast<int>(type->kind) - static_cast<int>(K::kIp)]) {
          return make_error(std::string("expected ") + type_name(type->kind) + ", got " +
                            kind_name(v->kind()));
        }
        return v;
      }
      case K::kSet: {
        if (!j.is_array()) return make_error(std::string("expected a set, got ") + json_kind(j));
        ValueSet items;
        items.reserve(j.size());
        for (const auto& e : j) {
          auto v = convert(e, type->element.get(), depth - 1);
          if (!v) return v;
          items.push_back(std::move(*v));
        }
        return Value::set(std::move(items));
      }
      case K::kRecord: {
        if (!j.is_object())
          return make_error(std::string("expected a record, got ") + json_kind(j));
        Record fields;
        for (const auto& [k, v] : j.items()) {
          auto it = type->attrs.find(k);
          if (it == type->attrs.end())
            return make_error("attribute \"" + k + "\" is not declared in the schema");
          auto cv = convert(v, it->second.type.get(), depth - 1);
          if (!cv) return make_error("attribute \"" + k + "\": " + cv.error().message);
          fields.emplace_back(k, std::move(*cv));
        }
        for (const auto& [name, at] : type->attrs) {
          if (at.required && !j.contains(name)) {
            return make_error("required attribute \"" + name + "\" is missing");
          }
        }
        return Value::record(std::move(fields));
      }
      case K::kBool:
        if (!j.is_boolean()) return make_error(std::string("expected Bool, got ") + json_kind(j));
        break;
      case K::kLong:
        if (!j.is_number_integer())
          return make_error(std::string("expected Long, got ") + json_kind(j));
        break;
      case K::kString:
        if (!j.is_string()) return make_error(std::string("expected String, got ") + json_kind(j));
        break;
    }
  }
  switch (j.type()) {
    case json::value_t::boolean:
      return Value::boolean(j.get<bool>());
    case json::value_t::number_integer:
      return Value::integer(j.get<int64_t>());
    case json::value_t::number_unsigned: {
      auto u = j.get<uint64_t>();
      if (u > static_cast<uint64_t>(INT64_MAX))
        return make_error("integer is out of the 64-bit range");
      return Value::integer(static_cast<int64_t>(u));
    }
    case json::value_t::string:
      return Value::string(j.get<std::string>());
    case json::value_t::array: {
      ValueSet items;
      items.reserve(j.size());
      for (const auto& e : j) {
        auto v = convert(e, nullptr, depth - 1);
        if (!v) return v;
        items.push_back(std::move(*v));
      }
      return Value::set(std::move(items));
    }
    case json::value_t::object: {
      if (j.size() == 1 && j.contains("__entity")) {
        auto uid = uid_from_json(j["__entity"]);
        if (!uid) return uid.take_error();
        return Value::entity(std::move(*uid));
      }
      if (j.size() == 1 && j.contains("__extn")) return extn_object(j["__extn"], depth);
      Record fields;
      fields.reserve(j.size());
      for (const auto& [k, v] : j.items()) {
        auto cv = convert(v, nullptr, depth - 1);
        if (!cv) return make_error("attribute \"" + k + "\": " + cv.error().message);
        fields.emplace_back(k, std::move(*cv));
      }
      return Value::record(std::move(fields));
    }
    default:
      return make_error(std::string("unsupported value: ") + json_kind(j));
  }
}

}  // namespace

Result<Value> value_from_json(const json& j, const SchemaType* type, int max_depth) {
  return convert(j, type, max_depth);
}

Result<EntityUid> uid_from_json(const json& j) {
  const json* body = &j;
  if (j.is_object() && j.size() == 1 && j.contains("__entity")) body = &j["__entity"];
  if (!body->is_object() || !body->contains("type") || !body->contains("id") ||
      !(*body)["type"].is_string() || !(*body)["id"].is_string()) {
    return make_error("an entity reference must be {\"type\": \"...\", \"id\": \"...\"}");
  }
  return EntityUid{(*body)["type"].get<std::string>(), (*body)["id"].get<std::string>()};
}

json uid_to_json(const EntityUid& uid) { return json{{"type", uid.type}, {"id", uid.id}}; }

json value_to_json(const Value& v) {
  switch (v.kind()) {
    case Kind::kBool:
      return v.as_bool();
    case Kind::kLong:
      return v.as_long();
    case Kind::kString:
      return v.as_string();
    case Kind::kEntity:
      return json{{"__entity", uid_to_json(v.as_entity())}};
    case Kind::kSet: {
      json a = json::array();
      for (const auto& e : v.as_set()) a.push_back(value_to_json(e));
      return a;
    }
    case Kind::kRecord: {
      json o = json::object();
      for (const auto& [k, e] : v.as_record()) o[k] = value_to_json(e);
      return o;
    }
    case Kind::kIp:
      return json{{"__extn", {{"fn", "ip"}, {"arg", v.as_ip().to_string()}}}};
    case Kind::kDecimal:
      return json{{"__extn", {{"fn", "decimal"}, {"arg", v.as_decimal().to_string()}}}};
    case Kind::kDatetime:
      return json{{"__extn", {{"fn", "datetime"}, {"arg", std::to_string(v.as_datetime().ms)}}}};
    case Kind::kDuration:
      return json{
          {"__extn", {{"fn", "duration"}, {"arg", std::to_string(v.as_duration().ms) + "ms"}}}};
  }
  return nullptr;
}

}  // namespace gh::cedar

namespace gh::cedar {

Result<Value> context_from_json(const nlohmann::json& j, const SchemaType* context_type) {
  if (!j.is_object()) return make_error("the context must be a JSON object");
  Record fields;
  fields.reserve(j.size());
  for (const auto& [k, v] : j.items()) {
    const SchemaType* t = nullptr;
    if (context_type != nullptr) {
      auto it = context_type->attrs.find(k);
      if (it != context_type->attrs.end()) t = it->second.type.get();
    }
    auto cv = value_from_json(v, t);
    if (!cv) return make_error("context attribute \"" + k + "\": " + cv.error().message);
    fields.emplace_back(k, std::move(*cv));
  }
  return Value::record(std::move(fields));
}

}  // namespace gh::cedar
