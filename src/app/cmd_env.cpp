// `gatehouse env create|list|update`: environments straight in the store (the admin API adds
// them over HTTP in the tenancy issue). Other nodes hear of changes through the store.
#include <iostream>

#include "app/command_registry.h"
#include "app/options.h"

namespace gh::app {
namespace {

nlohmann::json to_json(const store::Environment& e, const Config& config) {
  return {{"id", e.id},     {"name", e.name},       {"display_name", e.display_name},
          {"kind", e.kind}, {"version", e.version}, {"issuer", config.public_url + "/" + e.name}};
}

const std::vector<std::string> kFlags = {"data_dir", "store", "public_url", "log_level"};

void check_kind(const std::string& kind) {
  if (kind != "sandbox" && kind != "production") {
    exit_with(Error(errc::RequestInvalidField, "--kind must be sandbox or production"));
  }
}

}  // namespace

GATEHOUSE_REGISTER_COMMAND(env, [](CLI::App& root) {
  auto* env = root.add_subcommand("env", "Manage environments (sandbox, production, ...)");
  env->require_subcommand(1);

  {
    auto flags = std::make_shared<ConfigFlags>();
    auto name = std::make_shared<std::string>();
    auto kind = std::make_shared<std::string>("production");
    auto display = std::make_shared<std::string>();
    auto* cmd = env->add_subcommand("create", "Create an environment");
    add_config_flags(cmd, flags, kFlags);
    cmd->add_option("name", *name, "Environment name (lowercase letters, digits, '-')")->required();
    cmd->add_option("--kind", *kind, "sandbox or production (default production)");
    cmd->add_option("--display-name", *display, "Human-readable name");
    cmd->callback([=] {
      check_kind(*kind);
      Config config = load_or_exit(*flags);
      auto store = open_store_or_exit(config, true);
      auto created = store->transact<store::Environment>([&](store::Repositories& repos) {
        auto e =
            repos.environments().create({.name = *name, .display_name = *display, .kind = *kind});
        if (e) repos.changed("environment", e->name);
        return e;
      });
      if (!created) exit_with(created.error());
      std::cout << to_json(*created, config).dump(2) << "\n";
    });
  }

  {
    auto flags = std::make_shared<ConfigFlags>();
    auto* cmd = env->add_subcommand("list", "List environments");
    add_config_flags(cmd, flags, kFlags);
    cmd->callback([=] {
      Config config = load_or_exit(*flags);
      auto store = open_store_or_exit(config, true);
      auto list = store->read<std::vector<store::Environment>>(
          [](store::Repositories& repos) { return repos.environments().list(); });
      if (!list) exit_with(list.error());
      nlohmann::json out = nlohmann::json::array();
      for (const auto& e : *list) out.push_back(to_json(e, config));
      std::cout << out.dump(2) << "\n";
    });
  }

  {
    auto flags = std::make_shared<ConfigFlags>();
    auto name = std::make_shared<std::string>();
    auto kind = std::make_shared<std::string>();
    auto display = std::make_shared<std::string>();
    auto if_version = std::make_shared<int64_t>(0);
    auto* cmd = env->add_subcommand("update", "Change an environment's display name or kind");
    add_config_flags(cmd, flags, kFlags);
    cmd->add_option("name", *name, "Environment name")->required();
    cmd->add_option("--kind", *kind, "sandbox or production");
    cmd->add_option("--display-name", *display, "Human-readable name");
    cmd->add_option("--if-version", *if_version,
                    "Only if the environment is still at this version (optimistic concurrency)");
    cmd->callback([=] {
      if (!kind->empty()) check_kind(*kind);
      Config config = load_or_exit(*flags);
      auto store = open_store_or_exit(config, true);
      auto updated = store->transact<store::Environment>(
          [&](store::Repositories& repos) -> Result<store::Environment> {
            auto current = repos.environments().get(*name);
            if (!current) return current;
            store::Environment next = *current;
            if (!display->empty()) next.display_name = *display;
            if (!kind->empty()) next.kind = *kind;
            auto e =
                repos.environments().update(next, *if_version ? *if_version : current->version);
            if (e) repos.changed("environment", e->name);
            return e;
          });
      if (!updated) exit_with(updated.error());
      std::cout << to_json(*updated, config).dump(2) << "\n";
    });
  }
});

}  // namespace gh::app
