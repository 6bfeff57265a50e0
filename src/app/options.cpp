#include "app/options.h"

#include <unistd.h>

#include <iostream>

#include "core/log.h"
#include "tenancy/secrets.h"

namespace gh::app {

void add_config_flags(CLI::App* cmd, const std::shared_ptr<ConfigFlags>& flags,
                      const std::vector<std::string>& settings) {
  cmd->add_option_function<std::string>(
      "--config", [flags](const std::string& v) { flags->config_file = v; },
      "TOML configuration file (see docs/configuration.md)");
  for (const auto& name : settings) {
    std::string flag = "--" + name;
    std::replace(flag.begin(), flag.end(), '_', '-');
    std::string help = name;
    for (const auto& s : config_settings()) {
      if (s.name == name) help = s.description;
    }
    cmd->add_option_function<std::string>(
        flag, [flags, name](const std::string& v) { flags->overrides[name] = v; }, help);
  }
}

[[noreturn]] void exit_with(const Error& error, int exit_code) {
  std::cerr << "error: " << error.code_name() << ": " << error.text();
  if (!error.detail.empty()) std::cerr << " (" << error.detail << ")";
  std::cerr << "\n";
  throw CLI::RuntimeError(exit_code);
}

Config load_or_exit(const ConfigFlags& flags) {
  auto config = load_config(flags.config_file, gatehouse_environment(), flags.overrides);
  if (!config) exit_with(config.error(), 2);
  log::init(config->log_level);
  return *config;
}

std::unique_ptr<store::Store> open_store_or_exit(const Config& config, bool migrate) {
  store::StoreOptions options;
  options.url = config.store;
  options.sqlite_synchronous = config.sqlite_synchronous;
  options.pool_size = static_cast<int>(config.store_pool_size);
  auto store = store::open_store(options);
  if (!store) exit_with(store.error(), 3);
  if (migrate) {
    auto status = (*store)->migrate();
    if (!status) exit_with(status.error(), 3);
  }
  return std::move(*store);
}

CliSession open_cli_session(const ConfigFlags& flags, const std::string& env_name) {
  CliSession s;
  s.config = load_or_exit(flags);
  s.store = open_store_or_exit(s.config, true);
  s.env = value_or_exit(s.store->read<store::Environment>(
      [&](store::Repositories& r) { return r.environments().get(env_name); }));
  return s;
}

std::unique_ptr<tenancy::TenancyService> open_tenancy_or_exit(const CliSession& session) {
  auto pepper = tenancy::load_or_create_pepper(session.config);
  if (!pepper) exit_with(pepper.error(), 2);
  return std::make_unique<tenancy::TenancyService>(*session.store,
                                                   tenancy::SecretHasher(std::move(*pepper)));
}

std::unique_ptr<tenancy::Sealing> open_sealing_or_exit(const CliSession& session) {
  auto sealing = tenancy::Sealing::open(session.config, *session.store);
  if (!sealing) exit_with(sealing.error(), 2);
  return std::move(*sealing);
}

tenancy::Actor cli_actor() {
  const char* user = getenv("USER");
  return {"cli", user ? user : std::to_string(getuid()), "", "local"};
}

void print_json(const nlohmann::json& j) { std::cout << j.dump(2) << "\n"; }

}  // namespace gh::app
