#include "authz/cedar/cli.h"

#include <fstream>
#include <nlohmann/json.hpp>
#include <ostream>
#include <sstream>

#include "authz/cedar/json_value.h"
#include "authz/cedar/parser.h"

namespace gh::cedar {

namespace {

using nlohmann::json;

Result<std::string> read_file(const std::string& path, const char* what) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return make_error(std::string("cannot read the ") + what + " file " + path);
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

Result<json> read_json(const std::string& path, const char* what) {
  auto text = read_file(path, what);
  if (!text) return text.take_error();
  json doc = json::parse(*text, nullptr, false);
  if (doc.is_discarded())
    return make_error(std::string("the ") + what + " file " + path + " is not valid JSON");
  return doc;
}

}  // namespace

Result<Request> request_from_json(const json& j, const Schema* schema) {
  if (!j.is_object()) return make_error("a request must be a JSON object");
  EntityUid uids[3];
  const char* names[] = {"principal", "action", "resource"};
  for (int i = 0; i < 3; ++i) {
    if (!j.contains(names[i]))
      return make_error(std::string("the request has no \"") + names[i] + "\"");
    // Also the Cedar CLI's string form, "User::\"alice\"".
    auto uid = j[names[i]].is_string() ? parse_entity_uid(j[names[i]].get<std::string>())
                                       : uid_from_json(j[names[i]]);
    if (!uid) return make_error(std::string("request ") + names[i] + ": " + uid.error().describe());
    uids[i] = std::move(*uid);
  }
  const SchemaType* context_type = nullptr;
  if (schema != nullptr) {
    if (const ActionDecl* a = schema->action(uids[1])) context_type = a->context.get();
  }
  Value context = Value::record(Record{});
  if (j.contains("context") && !j["context"].is_null()) {
    auto c = context_from_json(j["context"], context_type);
    if (!c) return c.take_error();
    context = std::move(*c);
  }
  return Request::make(std::move(uids[0]), std::move(uids[1]), std::move(uids[2]),
                       std::move(context));
}

json response_to_json(const Response& r) {
  json errors = json::array();
  for (const auto& e : r.errors)
    errors.push_back({{"policy", e.policy_id}, {"message", e.message}, {"code", e.code}});
  return json{{"decision", r.decision == Decision::kAllow ? "allow" : "deny"},
              {"reasons", r.reasons},
              {"errors", errors}};
}

int run_authorize(const AuthorizeArgs& args, std::ostream& out, std::ostream& err) {
  auto fail = [&](const std::string& message) {
    err << "gatehouse policy authorize: " << message << "\n";
    return 2;
  };
  if (args.request_file.has_value() == args.requests_file.has_value()) {
    return fail("give exactly one of --request FILE or --requests FILE");
  }
  std::optional<Schema> schema;
  if (args.schema_file) {
    auto text = read_file(*args.schema_file, "schema");
    if (!text) return fail(text.error().message);
    auto s = parse_schema(*text);
    if (!s) return fail("schema " + *args.schema_file + ":" + s.error().describe());
    schema = std::move(*s);
  }
  auto policy_text = read_file(args.policies_file, "policies");
  if (!policy_text) return fail(policy_text.error().message);
  auto policies = parse_policies(*policy_text);
  if (!policies) return fail("policies " + args.policies_file + ":" + policies.error().describe());
  auto entity_doc = read_json(args.entities_file, "entities");
  if (!entity_doc) return fail(entity_doc.error().message);
  auto entities = Entities::from_json(*entity_doc, schema ? &*schema : nullptr);
  if (!entities) return fail("entities " + args.entities_file + ": " + entities.error().message);

  bool many = args.requests_file.has_value();
  auto request_doc = read_json(many ? *args.requests_file : *args.request_file, "request");
  if (!request_doc) return fail(request_doc.error().message);
  if (many && !request_doc->is_array()) return fail("--requests expects a JSON array of requests");
  std::vector<Request> requests;
  if (many) {
    size_t i = 0;
    for (const auto& j : *request_doc) {
      auto r = request_from_json(j, schema ? &*schema : nullptr);
      if (!r) return fail("request #" + std::to_string(i) + ": " + r.error().message);
      requests.push_back(std::move(*r));
      ++i;
    }
  } else {
    auto r = request_from_json(*request_doc, schema ? &*schema : nullptr);
    if (!r) return fail("request: " + r.error().message);
    requests.push_back(std::move(*r));
  }
  json answers = json::array();
  for (const auto& r : requests)
    answers.push_back(response_to_json(is_authorized(*policies, *entities, r)));
  out << (many ? answers.dump() : answers[0].dump()) << "\n";
  return 0;
}

}  // namespace gh::cedar
