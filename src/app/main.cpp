#include <CLI/CLI.hpp>
#include <iostream>

#include "app/command_registry.h"

namespace gh::app {
std::vector<CommandRegistrar>& command_registrars() {
  static std::vector<CommandRegistrar> registrars;
  return registrars;
}

namespace {
std::function<int()>& deferred() {
  static std::function<int()> work;
  return work;
}
}  // namespace

void run_after_parse(std::function<int()> work) { deferred() = std::move(work); }
}  // namespace gh::app

int main(int argc, char** argv) {
  {
    CLI::App app{"Gatehouse: identity and access for B2B SaaS"};
    app.require_subcommand(1);
    for (auto& registrar : gh::app::command_registrars()) registrar(app);
    CLI11_PARSE(app, argc, argv);
  }
  gh::app::command_registrars().clear();
  gh::app::command_registrars().shrink_to_fit();
  auto work = std::move(gh::app::deferred());
  if (!work) return 0;
  try {
    return work();
  } catch (const CLI::RuntimeError& e) {  // exit_with() outside the parse: its exit code
    return e.get_exit_code();
  }
}
