#include <CLI/CLI.hpp>
#include <iostream>

#include "app/command_registry.h"

namespace gh::app {
std::vector<CommandRegistrar>& command_registrars() {
  static std::vector<CommandRegistrar> registrars;
  return registrars;
}
}  // namespace gh::app

int main(int argc, char** argv) {
  CLI::App app{"Gatehouse: identity and access for B2B SaaS"};
  app.require_subcommand(1);
  for (auto& registrar : gh::app::command_registrars()) registrar(app);
  CLI11_PARSE(app, argc, argv);
  return 0;
}
