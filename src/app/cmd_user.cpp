// `gatehouse user list|show|bindings|suspend|activate`: the same operations as the admin API's
// user routes, through the same service (audited with actor "cli"; suspending revokes the
// user's sessions).
#include <iostream>

#include "app/command_registry.h"
#include "app/options.h"
#include "identity/identity_service.h"
#include "sessions/session_service.h"

namespace gh::app {
namespace {

const std::vector<std::string> kFlags = {"data_dir", "store", "pepper_file", "log_level"};

struct UserSession : CliSession {
  std::unique_ptr<tenancy::TenancyService> tenancy;
  std::unique_ptr<identity::IdentityService> service;
};

UserSession open_user_session(const ConfigFlags& flags, const std::string& env_name) {
  UserSession s{open_cli_session(flags, env_name)};
  s.tenancy = open_tenancy_or_exit(s);
  s.service = std::make_unique<identity::IdentityService>(*s.store, *s.tenancy);
  return s;
}

}  // namespace

GATEHOUSE_REGISTER_COMMAND(user, [](CLI::App& root) {
  auto* user = root.add_subcommand("user", "Inspect an organization's users and suspend them");
  user->require_subcommand(1);
  struct Args {
    ConfigFlags flags;
    std::string env = "sandbox";
    std::string org, id, after;
    int limit = 100;
  };
  auto add = [&](const char* name, const char* help, bool with_id) {
    auto args = std::make_shared<Args>();
    auto flags = std::shared_ptr<ConfigFlags>(args, &args->flags);
    auto* cmd = user->add_subcommand(name, help);
    add_config_flags(cmd, flags, kFlags);
    cmd->add_option("--env", args->env, "Environment (default sandbox)");
    cmd->add_option("--org", args->org, "Organization id")->required();
    if (with_id) cmd->add_option("user", args->id, "User id")->required();
    return std::pair{cmd, args};
  };
  {
    auto [cmd, a] = add("list", "List an organization's users (one page)", false);
    cmd->add_option("--after", a->after, "Cursor: the next_cursor of the previous page");
    cmd->add_option("--limit", a->limit, "Page size, 1-100 (default 100)")
        ->check(CLI::Range(1, 100));
    cmd->callback([a = a] {
      auto s = open_user_session(a->flags, a->env);
      auto page = value_or_exit(s.service->list_users(s.env, a->org, {a->after, a->limit}));
      nlohmann::json items = nlohmann::json::array();
      for (const auto& u : page.items) items.push_back(identity::user_json(u));
      nlohmann::json out = {{"data", items}};
      out["next_cursor"] = page.next.empty() ? nlohmann::json(nullptr) : nlohmann::json(page.next);
      std::cout << out.dump(2) << "\n";
    });
  }
  {
    auto [cmd, a] = add("show", "Show a user with its identity bindings", true);
    cmd->callback([a = a] {
      auto s = open_user_session(a->flags, a->env);
      auto j = identity::user_json(value_or_exit(s.service->get_user(s.env, a->org, a->id)));
      j["bindings"] = nlohmann::json::array();
      for (const auto& b : value_or_exit(s.service->bindings(s.env, a->org, a->id))) {
        j["bindings"].push_back(identity::binding_json(b));
      }
      std::cout << j.dump(2) << "\n";
    });
  }
  {
    auto [cmd, a] = add("bindings", "List a user's identity bindings", true);
    cmd->callback([a = a] {
      auto s = open_user_session(a->flags, a->env);
      nlohmann::json out = nlohmann::json::array();
      for (const auto& b : value_or_exit(s.service->bindings(s.env, a->org, a->id))) {
        out.push_back(identity::binding_json(b));
      }
      std::cout << out.dump(2) << "\n";
    });
  }
  for (auto [name, state, help] :
       {std::tuple{"suspend", "suspended", "Suspend a user and revoke their sessions"},
        std::tuple{"activate", "active", "Reactivate a suspended user"}}) {
    auto [cmd, a] = add(name, help, true);
    cmd->callback([a = a, state = std::string(state)] {
      auto s = open_user_session(a->flags, a->env);
      std::cout << identity::user_json(value_or_exit(s.service->set_state(s.env, a->org, a->id,
                                                                          state, 0, cli_actor())))
                       .dump(2)
                << "\n";
    });
  }
});

}  // namespace gh::app
