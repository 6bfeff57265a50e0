// Flags every command shares: --config FILE and the settings that commands commonly override.
// Precedence: TOML file < GATEHOUSE_* environment < flags (core/config.h).
#pragma once

#include <CLI/CLI.hpp>
#include <map>
#include <memory>
#include <optional>
#include <string>

#include "core/config.h"
#include "store/store.h"

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

}  // namespace gh::app
