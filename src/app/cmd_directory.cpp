// `gatehouse directory create|list|get|pause|resume|delete|token-create|token-list|
// token-revoke|requests|reconciliation`: the same operations as the admin API's directory
// routes, through the same service (audited with actor "cli"). Tokens are printed once, at
// creation. Also the seed-demo step that gives the demo organization a directory.
#include <algorithm>
#include <iostream>

#include "app/command_registry.h"
#include "app/options.h"
#include "app/seed.h"
#include "directory/directory_service.h"
#include "directory/error_codes.h"
#include "tenancy/secrets.h"

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
  {
    auto [cmd, a] = add("reconciliation", "Show the directory's reconciliation report", true);
    cmd->add_option("--untouched-days", a->expires_in_days, "Users untouched for N days (30)");
    a->expires_in_days = 30;
    cmd->callback([a = a, print] {
      auto s = open_directory_session(a->flags, a->env);
      print(value_or_exit(s.service->reconciliation(
          s.env, a->org, a->id, static_cast<int>(std::clamp<int64_t>(a->expires_in_days, 0, 3650)),
          50)));
    });
  }
});

namespace {
// seed-demo: the demo organization gets a SCIM directory. Its token is created once and kept
// in demo.json like the demo client secret (a new one is issued only when the record lost it);
// scim_base_url follows the current public_url.
const RegisterSeedStep kDirectoryStep(
    {400, "scim directory", [](SeedContext& ctx) -> Result<bool> {
       auto pepper = tenancy::load_or_create_pepper(ctx.config);
       if (!pepper) return fail(pepper.error());
       tenancy::TenancyService tenancy(ctx.store, tenancy::SecretHasher(std::move(*pepper)));
       directory::DirectoryService service(ctx.store, tenancy, nullptr);
       auto env = ctx.store.read<store::Environment>([&](store::Repositories& r) {
         return r.environments().get(ctx.demo["environment"].get<std::string>());
       });
       if (!env) return fail(env.error());
       const std::string org = ctx.demo["organization_id"].get<std::string>();
       const tenancy::Actor actor{"system", "seed-demo", "", "local"};
       const std::string name = "Demo directory";
       std::optional<store::Directory> dir;
       if (ctx.demo.contains("scim_directory_id")) {
         auto d = service.get(*env, org, ctx.demo["scim_directory_id"].get<std::string>());
         if (d) {
           dir = *d;
         } else if (d.error().code != errc::DirectoryNotFound) {
           return fail(d.error());
         }
       }
       if (!dir) {
         auto all = service.list(*env, org);
         if (!all) return fail(all.error());
         for (const auto& d : *all) {
           if (d.name == name) dir = d;
         }
         ctx.demo.erase("scim_token");
       }
       if (!dir) {
         auto created = service.create(*env, org, {name, "seed-demo", 0}, actor);
         if (!created) return fail(created.error());
         dir = created->first;
         ctx.demo["scim_token"] = created->second.secret;
       } else if (!ctx.demo.contains("scim_token")) {
         auto issued = service.issue_token(*env, org, dir->id, "seed-demo", 0, actor);
         if (!issued) return fail(issued.error());
         ctx.demo["scim_token"] = issued->secret;
       }
       ctx.demo["scim_directory_id"] = dir->id;
       ctx.demo["scim_base_url"] =
           directory::directory_json(*dir, ctx.config.public_url)["scim_base_url"];
       return true;
     }});
}  // namespace

}  // namespace gh::app
