// `gatehouse policy authorize`: evaluate Cedar requests against a policy set and entities, in
// Cedar's JSON formats. The logic lives in authz/cedar/cli.cpp so tests call it without a process.
#include <iostream>

#include "app/command_registry.h"
#include "authz/cedar/cli.h"

namespace gh::app {

GATEHOUSE_REGISTER_COMMAND(policy, [](CLI::App& root) {
  auto* policy = root.add_subcommand("policy", "Cedar policies: authorize requests offline");
  policy->require_subcommand(1);

  auto args = std::make_shared<cedar::AuthorizeArgs>();
  auto schema = std::make_shared<std::string>();
  auto request = std::make_shared<std::string>();
  auto requests = std::make_shared<std::string>();
  auto* cmd = policy->add_subcommand(
      "authorize", "Decide Cedar requests; prints {decision, reasons, errors} as JSON");
  cmd->add_option("--policies", args->policies_file, "Cedar policy set (.cedar)")->required();
  cmd->add_option("--entities", args->entities_file, "Entities in Cedar's JSON format")->required();
  cmd->add_option("--schema", *schema,
                  "Schema (.cedarschema or JSON); attributes and context are read as it types "
                  "them");
  auto* one = cmd->add_option("--request", *request,
                              "One request: {principal, action, resource, "
                              "context}");
  auto* many = cmd->add_option("--requests", *requests, "A JSON array of requests");
  one->excludes(many);
  cmd->callback([=] {
    cedar::AuthorizeArgs a = *args;
    if (!schema->empty()) a.schema_file = *schema;
    if (!request->empty()) a.request_file = *request;
    if (!requests->empty()) a.requests_file = *requests;
    int code = cedar::run_authorize(a, std::cout, std::cerr);
    if (code != 0) throw CLI::RuntimeError(code);
  });
});

}  // namespace gh::app
