// Flags every command shares: --config FILE and the settings that commands commonly override.
// Precedence: TOML file < GATEHOUSE_* environment < flags (core/config.h). Below them, the
// helpers every admin subcommand (`gatehouse <noun> <verb>`, one cmd_<noun>.cpp each) uses to
// open what it works on, report failures and print results: use these in a new cmd_*.cpp
// rather than a copy.
#pragma once

#include <CLI/CLI.hpp>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>

#include "core/config.h"
#include "store/store.h"
#include "tenancy/sealing.h"
#include "tenancy/service.h"

namespace gh::app {

struct ConfigFlags {
  std::optional<std::string> config_file;
  std::map<std::string, std::string> overrides;
};

// Adds --config and --<setting> flags for the named settings (e.g. "data_dir" → --data-dir).
void add_config_flags(CLI::App* cmd, const std::shared_ptr<ConfigFlags>& flags,
                      const std::vector<std::string>& settings);

// Loads the configuration or prints why not and throws CLI::RuntimeError(2).
Config load_or_exit(const ConfigFlags& flags);

// Opens the configured store or exits (CLI::RuntimeError(3)); migrates when `migrate`.
std::unique_ptr<store::Store> open_store_or_exit(const Config& config, bool migrate);

// Prints an error to stderr as "error: <code>: <message>" and throws CLI::RuntimeError(code).
[[noreturn]] void exit_with(const Error& error, int exit_code = 1);

// ---- Admin subcommands -----------------------------------------------------------------------

// What an admin subcommand works on: the configuration, the store (opened and migrated) and the
// environment named by --env. A command adds its own services by extending it:
//   struct KeySession : CliSession { std::unique_ptr<tenancy::KeyService> keys; };
//   KeySession s{open_cli_session(a->flags, a->env)};
//   s.keys = std::make_unique<tenancy::KeyService>(*s.store, ...);
struct CliSession {
  Config config;
  std::unique_ptr<store::Store> store;
  store::Environment env;
};

// Loads the configuration (or exits 2), opens and migrates the store (or exits 3) and reads the
// environment `env_name` (or exits 1 with environment.not_found).
CliSession open_cli_session(const ConfigFlags& flags, const std::string& env_name);

// The TenancyService over the session's store, hashing secrets under the pepper (read from
// `pepper_file`, created on first use), or exits 2.
std::unique_ptr<tenancy::TenancyService> open_tenancy_or_exit(const CliSession& session);

// The Sealing (master key, data keys, customer-managed keys) over the session's store, or
// exits 2.
std::unique_ptr<tenancy::Sealing> open_sealing_or_exit(const CliSession& session);

// The actor every CLI mutation is audited with: type "cli", id $USER (else the numeric uid),
// source "local", no request id.
tenancy::Actor cli_actor();

// The value of `result`, or prints its error and exits 1 (exit_with).
template <class T>
T value_or_exit(Result<T> result) {
  if (!result) exit_with(result.error());
  return std::move(*result);
}

// Prints `j` to stdout, indented by 2, with a newline: what admin subcommands print.
void print_json(const nlohmann::json& j);

}  // namespace gh::app
