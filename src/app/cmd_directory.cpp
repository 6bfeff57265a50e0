// `gatehouse directory create|list|get|pause|resume|delete|token-create|token-list|
// token-revoke|requests`: the same operations as the admin API's directory routes, through the
// same service (audited with actor "cli"). Tokens are printed once, at creation.
#include <iostream>

#include "app/command_registry.h"
#include "app/options.h"
#include "directory/directory_service.h"

namespace gh::app {
namespace {

const std::vector<std::string> kFlags = {"data_dir",        "store",      "pepper_file",
                                         "master_key_file", "public_url", "log_level"};

struct DirectorySession : CliSession {
  std::unique_ptr<tenancy::TenancyService> tenancy;
  std::unique_ptr<tenancy::Sealing> sealing;
  std::unique_ptr<directory::DirectoryService> service;
};

DirectorySession open_directory_session(const ConfigFlags& flags, const std::string& env_name) {
  DirectorySession s{open_cli_session(flags, env_name)};
  s.tenancy = open_tenancy_or_exit(s);
  s.sealing = open_sealing_or_exit(s);
  s.service = std::make_unique<directory::DirectoryService>(*s.store, *s.tenancy, s.sealing.get());
  return s;
}

}  // namespace

GATEHOUSE_REGISTER_COMMAND(directory, [](CLI::App& root) {
  auto* dir = root.add_subcommand("directory", "Manage an organization's SCIM directories");
  dir->require_subcommand(1);
  struct Args {
    ConfigFlags flags;
    std::string env = "sandbox";
    std::string org, id, name, token;
    int64_t expires_in_days = 0;
  };
  auto add = [&](const char* name, const char* help, bool with_id) {
    auto args = std::make_shared<Args>();
    auto flags = std::shared_ptr<ConfigFlags>(args, &args->flags);
    auto* cmd = dir->add_subcommand(name, help);
    add_config_flags(cmd, flags, kFlags);
    cmd->add_option("--env", args->env, "Environment (default sandbox)");
    cmd->add_option("--org", args->org, "Organization id")->required();
    if (with_id) cmd->add_option("directory", args->id, "Directory id")->required();
    return std::pair{cmd, args};
  };
  auto print = [](const nlohmann::json& j) { std::cout << j.dump(2) << "\n"; };
  {
    auto [cmd, a] = add("create", "Create a directory; prints its SCIM base URL and token", false);
    cmd->add_option("--name", a->name, "Directory name")->required();
    cmd->add_option("--expires-in-days", a->expires_in_days, "Token lifetime (0: no expiry)");
    cmd->callback([a = a, print] {
      auto s = open_directory_session(a->flags, a->env);
      directory::NewDirectory in;
      in.name = a->name;
      const int64_t now = SystemClock::instance().now_ms();
      if (a->expires_in_days > 0) in.token_expires_at_ms = now + a->expires_in_days * 86400000LL;
      auto [d, t] = value_or_exit(s.service->create(s.env, a->org, in, cli_actor()));
      nlohmann::json j = directory::directory_json(d, s.config.public_url);
      j["token"] = directory::token_json(t.token, now);
      j["token"]["token"] = t.secret;
      print(j);
    });
  }
  {
    auto [cmd, a] = add("list", "List an organization's directories", false);
    cmd->callback([a = a, print] {
      auto s = open_directory_session(a->flags, a->env);
      nlohmann::json out = nlohmann::json::array();
      for (const auto& d : value_or_exit(s.service->list(s.env, a->org))) {
        out.push_back(directory::directory_json(d, s.config.public_url));
      }
      print(out);
    });
  }
  {
    auto [cmd, a] = add("get", "Show a directory", true);
    cmd->callback([a = a, print] {
      auto s = open_directory_session(a->flags, a->env);
      print(directory::directory_json(value_or_exit(s.service->get(s.env, a->org, a->id)),
                                      s.config.public_url));
    });
  }
  for (const auto& [verb, status] : {std::pair{"pause", "paused"}, std::pair{"resume", "active"}}) {
    auto [cmd, a] = add(verb,
                        verb == std::string("pause") ? "Pause a directory (SCIM answers 403)"
                                                     : "Resume a paused directory",
                        true);
    cmd->callback([a = a, print, status = std::string(status)] {
      auto s = open_directory_session(a->flags, a->env);
      print(directory::directory_json(
          value_or_exit(s.service->set_status(s.env, a->org, a->id, status, cli_actor())),
          s.config.public_url));
    });
  }
  {
    auto [cmd, a] = add("delete", "Delete a directory with its tokens, resources and log", true);
    cmd->callback([a = a, print] {
      auto s = open_directory_session(a->flags, a->env);
      print(directory::directory_json(
          value_or_exit(s.service->remove(s.env, a->org, a->id, cli_actor())),
          s.config.public_url));
    });
  }
  {
    auto [cmd, a] = add("token-create", "Add a token (for rotation); printed once", true);
    cmd->add_option("--name", a->name, "Token name")->required();
    cmd->add_option("--expires-in-days", a->expires_in_days, "Token lifetime (0: no expiry)");
    cmd->callback([a = a, print] {
      auto s = open_directory_session(a->flags, a->env);
      const int64_t now = SystemClock::instance().now_ms();
      auto t = value_or_exit(s.service->issue_token(
          s.env, a->org, a->id, a->name,
          a->expires_in_days > 0 ? now + a->expires_in_days * 86400000LL : 0, cli_actor()));
      nlohmann::json j = directory::token_json(t.token, now);
      j["token"] = t.secret;
      print(j);
    });
  }
  {
    auto [cmd, a] = add("token-list", "List a directory's tokens (never their secrets)", true);
    cmd->callback([a = a, print] {
      auto s = open_directory_session(a->flags, a->env);
      nlohmann::json out = nlohmann::json::array();
      const int64_t now = SystemClock::instance().now_ms();
      for (const auto& t : value_or_exit(s.service->tokens(s.env, a->org, a->id))) {
        out.push_back(directory::token_json(t, now));
      }
      print(out);
    });
  }
  {
    auto [cmd, a] = add("token-revoke", "Revoke a token", true);
    cmd->add_option("--token", a->token, "Token id")->required();
    cmd->callback([a = a, print] {
      auto s = open_directory_session(a->flags, a->env);
      print(directory::token_json(
          value_or_exit(s.service->revoke_token(s.env, a->org, a->id, a->token, cli_actor())),
          SystemClock::instance().now_ms()));
    });
  }
  {
    auto [cmd, a] = add("requests", "Show the directory's SCIM request log (newest first)", true);
    cmd->callback([a = a, print] {
      auto s = open_directory_session(a->flags, a->env);
      print(value_or_exit(s.service->request_log(s.env, a->org, a->id, 0, 50)));
    });
  }
});

}  // namespace gh::app
