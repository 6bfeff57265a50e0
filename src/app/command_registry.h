// Subcommands register themselves here, so that adding `gatehouse <noun> ...` touches one file
// (src/app/cmd_<noun>.cpp) and never main.cpp.
#pragma once

#include <CLI/CLI.hpp>
#include <functional>
#include <vector>

namespace gh::app {

// Called once with the root CLI11 app; the registrar adds its subcommand(s) and callbacks.
// A callback that fails throws CLI::RuntimeError(exit_code) after printing its message.
using CommandRegistrar = std::function<void(CLI::App& root)>;

std::vector<CommandRegistrar>& command_registrars();

// A command that runs for long (serve) hands main() its work instead of running inside the
// parse: main() then frees the whole CLI11 tree (~0.7 MB of option objects) before running it.
// The function returns the process's exit code.
void run_after_parse(std::function<int()> work);

struct RegisterCommand {
  explicit RegisterCommand(CommandRegistrar registrar) {
    command_registrars().push_back(std::move(registrar));
  }
};

}  // namespace gh::app

// Use once per cmd_*.cpp at namespace scope:
//   GATEHOUSE_REGISTER_COMMAND(policy, [](CLI::App& root) { ... });
// Variadic so that commas inside the lambda (structured bindings) need no parentheses.
#define GATEHOUSE_REGISTER_COMMAND(name, ...) \
  static const ::gh::app::RegisterCommand gatehouse_register_command_##name { __VA_ARGS__ }
