// `gatehouse policy authorize`: the command's logic as a library function, so tests call it
// without a process. cmd_policy.cpp only wires the flags to it.
#pragma once

#include <iosfwd>
#include <optional>
#include <string>

#include <nlohmann/json_fwd.hpp>

#include "authz/cedar/authorizer.h"
#include "authz/cedar/schema.h"

namespace gh::cedar {

struct AuthorizeArgs {
  std::string policies_file;
  std::string entities_file;
  std::optional<std::string> schema_file;
  std::optional<std::string> request_file;   // one request object
  std::optional<std::string> requests_file;  // a JSON array of request objects
};

// Exit codes: 0 the answers were printed, 2 bad input (the message is on `err`).
int run_authorize(const AuthorizeArgs& args, std::ostream& out, std::ostream& err);

// One request in Cedar's JSON form, its context read as the schema types it (if any).
Result<Request> request_from_json(const nlohmann::json& j, const Schema* schema);

// {"decision", "reasons", "errors": [{"policy", "message"}]}
nlohmann::json response_to_json(const Response& r);

}  // namespace gh::cedar
