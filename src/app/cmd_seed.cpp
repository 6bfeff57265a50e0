// `gatehouse seed-demo --data-dir DIR [--public-url URL]`: idempotent; prints one JSON object.
#include <sys/stat.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <iostream>

#include "app/command_registry.h"
#include "app/options.h"
#include "app/seed.h"

namespace gh::app {

std::vector<SeedStep>& seed_steps() {
  static std::vector<SeedStep> steps;
  return steps;
}

namespace {

const RegisterSeedStep kEnvironmentStep(
    {100, "environment", [](SeedContext& ctx) -> Result<bool> {
       const std::string name = "sandbox";
       auto env = ctx.store.transact<store::Environment>(
           [&](store::Repositories& repos) -> Result<store::Environment> {
             auto existing = repos.environments().get(name);
             if (existing || existing.error().code != errc::EnvironmentNotFound) return existing;
             auto created = repos.environments().create(
                 {.name = name, .display_name = "Sandbox", .kind = "sandbox"});
             if (created) repos.changed("environment", name);
             return created;
           });
       if (!env) return fail(env.error());
       ctx.demo["environment"] = env->name;
       ctx.demo["issuer"] = ctx.config.public_url + "/" + env->name;
       ctx.demo["public_url"] = ctx.config.public_url;
       return true;
     }});

Result<nlohmann::json> read_demo(const std::filesystem::path& file) {
  if (!std::filesystem::exists(file)) return nlohmann::json::object();
  std::ifstream in(file);
  auto j = nlohmann::json::parse(in, nullptr, false);
  if (j.is_discarded() || !j.is_object()) {
    return fail(errc::ConfigInvalid, file.string() +
                                         " is not a JSON object; remove it to "
                                         "re-seed");
  }
  return j;
}

Result<bool> write_demo(const std::filesystem::path& file, const nlohmann::json& demo) {
  const auto tmp = file.string() + ".tmp";
  {
    // Created 0600 from the start: it holds secrets.
    const mode_t old = umask(077);
    std::ofstream out(tmp, std::ios::trunc);
    umask(old);
    out << demo.dump(2) << "\n";
    if (!out) return fail(errc::ServerInternal, "cannot write " + tmp);
  }
  std::filesystem::permissions(
      tmp, std::filesystem::perms::owner_read | std::filesystem::perms::owner_write);
  std::filesystem::rename(tmp, file);
  return true;
}

}  // namespace

GATEHOUSE_REGISTER_COMMAND(seed_demo, [](CLI::App& root) {
  auto flags = std::make_shared<ConfigFlags>();
  auto* cmd = root.add_subcommand(
      "seed-demo", "Create the sandbox environment and demo data once; print them as JSON");
  add_config_flags(cmd, flags, {"data_dir", "public_url", "store", "log_level"});
  cmd->callback([flags] {
    Config config = load_or_exit(*flags);
    std::error_code ec;
    std::filesystem::create_directories(config.data_dir, ec);
    const auto file = std::filesystem::path(config.data_dir) / "demo.json";
    auto demo = read_demo(file);
    if (!demo) exit_with(demo.error(), 2);
    auto store = open_store_or_exit(config, true);
    auto steps = seed_steps();
    std::stable_sort(steps.begin(), steps.end(),
                     [](const SeedStep& a, const SeedStep& b) { return a.order < b.order; });
    const nlohmann::json before = *demo;
    SeedContext ctx{config, *store, *demo};
    for (const auto& step : steps) {
      auto r = step.run(ctx);
      if (!r) {
        Error e = r.error();
        e.message = std::string("seed step '") + step.name + "': " + e.text();
        exit_with(e, 3);
      }
    }
    if (*demo != before || !std::filesystem::exists(file)) {
      auto w = write_demo(file, *demo);
      if (!w) exit_with(w.error(), 3);
    }
    std::cout << demo->dump(2) << "\n";
  });
});

}  // namespace gh::app
