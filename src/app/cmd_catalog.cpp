// `gatehouse catalog ...`: the attribute catalog of an environment (or, with --org, an
// organization's custom attributes): the same service as the admin API, audited with actor
// "cli".
#include <fstream>
#include <iostream>
#include <sstream>

#include "app/command_registry.h"
#include "app/options.h"
#include "catalog/error_codes.h"
#include "catalog/service.h"
#include "tenancy/secrets.h"

namespace gh::app {
namespace {

const std::vector<std::string> kFlags = {"data_dir", "store", "pepper_file", "log_level"};

struct CatalogSession : CliSession {
  std::unique_ptr<tenancy::TenancyService> tenancy;
  std::unique_ptr<catalog::CatalogService> catalog;
};

CatalogSession open_session(const ConfigFlags& flags, const std::string& env_name) {
  CatalogSession s{open_cli_session(flags, env_name)};
  s.tenancy = open_tenancy_or_exit(s);
  s.catalog = std::make_unique<catalog::CatalogService>(*s.store, *s.tenancy);
  return s;
}

nlohmann::json json_arg_or_exit(const std::string& text, const std::string& file,
                                const char* what) {
  std::string source = text;
  if (!file.empty()) {
    std::ifstream in(file == "-" ? "/dev/stdin" : file, std::ios::binary);
    if (!in) exit_with(Error(errc::ConfigInvalid, "Cannot read " + file), 2);
    std::stringstream ss;
    ss << in.rdbuf();
    source = ss.str();
  }
  auto j = nlohmann::json::parse(source, nullptr, false);
  if (!j.is_object()) {
    exit_with(Error(errc::RequestInvalidJson, std::string(what) + " must be a JSON object"), 2);
  }
  return j;
}

void print_change(const catalog::VersionedCatalog& v, const std::string& name) {
  nlohmann::json out = {{"version", v.version}};
  const bool organization = !v.catalog.name_space.empty();
  const catalog::Catalog shown =
      organization ? catalog::effective(catalog::Catalog{}, &v.catalog) : v.catalog;
  const std::string short_name = catalog::CatalogService::unqualified(v.catalog, name);
  const std::string full =
      organization ? catalog::qualified_custom_name(v.catalog.name_space, short_name) : short_name;
  if (const auto* a = shown.find(full)) out["attribute"] = catalog::attribute_json(*a);
  std::cout << out.dump(2) << "\n";
}

struct Args {
  ConfigFlags flags;
  std::string env = "sandbox";
  std::string org;
  std::string name;
  std::string json;
  std::string file;
  std::string replaced_by;
  int64_t version = 0;
  int64_t from = 0;
  int64_t to = 0;
  int64_t expected = -1;
  int limit = 20;
};

std::pair<CLI::App*, std::shared_ptr<Args>> sub(CLI::App* parent, const char* name,
                                                const char* help) {
  auto args = std::make_shared<Args>();
  auto flags = std::shared_ptr<ConfigFlags>(args, &args->flags);
  auto* cmd = parent->add_subcommand(name, help);
  add_config_flags(cmd, flags, kFlags);
  cmd->add_option("--env", args->env, "Environment (default sandbox)");
  cmd->add_option("--org", args->org,
                  "Organization id: its custom attributes (default: the environment's catalog)");
  return {cmd, args};
}

}  // namespace

GATEHOUSE_REGISTER_COMMAND(catalog, [](CLI::App& root) {
  auto* cat = root.add_subcommand("catalog", "The attribute catalog: definitions and versions");
  cat->require_subcommand(1);
  {
    auto [cmd, a] = sub(cat, "list",
                        "List the attributes (with --org: the environment's and the "
                        "organization's custom ones)");
    cmd->callback([a = a] {
      auto s = open_session(a->flags, a->env);
      auto own = value_or_exit(s.catalog->get(s.env, a->org));
      auto shown = value_or_exit(s.catalog->effective(s.env, a->org));
      nlohmann::json attrs = nlohmann::json::array();
      for (const auto& attr : shown.attributes) attrs.push_back(catalog::attribute_json(attr));
      std::cout << nlohmann::json{{"version", own.version}, {"attributes", attrs}}.dump(2) << "\n";
    });
  }
  {
    auto [cmd, a] = sub(cat, "show", "Show one attribute");
    cmd->add_option("name", a->name, "Attribute name")->required();
    cmd->callback([a = a] {
      auto s = open_session(a->flags, a->env);
      auto shown = value_or_exit(s.catalog->effective(s.env, a->org));
      const auto* attr = shown.find(a->name);
      if (!attr) {
        exit_with(Error(errc::CatalogAttributeNotFound,
                        "No attribute '" + a->name + "' in this catalog"));
      }
      std::cout << catalog::attribute_json(*attr).dump(2) << "\n";
    });
  }
  {
    auto [cmd, a] = sub(cat, "add", "Add an attribute (a JSON definition, see docs/catalog.md)");
    cmd->add_option("--json", a->json, "The definition as JSON");
    cmd->add_option("--file", a->file, "A file holding the definition ('-': stdin)");
    cmd->add_option("--expected-version", a->expected,
                    "Fail unless the catalog is at this version");
    cmd->callback([a = a] {
      auto def = json_arg_or_exit(a->json, a->file, "The definition");
      auto s = open_session(a->flags, a->env);
      print_change(
          value_or_exit(s.catalog->add_attribute(s.env, a->org, def, a->expected, cli_actor())),
          def.value("name", std::string()));
    });
  }
  {
    auto [cmd, a] = sub(cat, "update", "Change fields of an attribute (JSON merged over it)");
    cmd->add_option("name", a->name, "Attribute name")->required();
    cmd->add_option("--set", a->json, "The fields to change, as JSON")->required();
    cmd->add_option("--expected-version", a->expected,
                    "Fail unless the catalog is at this version");
    cmd->callback([a = a] {
      auto patch = json_arg_or_exit(a->json, "", "--set");
      auto s = open_session(a->flags, a->env);
      print_change(value_or_exit(s.catalog->update_attribute(s.env, a->org, a->name, patch,
                                                             a->expected, cli_actor())),
                   a->name);
    });
  }
  {
    auto [cmd, a] = sub(cat, "deprecate", "Deprecate an attribute, naming its replacement");
    cmd->add_option("name", a->name, "Attribute name")->required();
    cmd->add_option("--replaced-by", a->replaced_by, "The attribute to use instead");
    cmd->add_option("--expected-version", a->expected,
                    "Fail unless the catalog is at this version");
    cmd->callback([a = a] {
      auto s = open_session(a->flags, a->env);
      print_change(value_or_exit(s.catalog->deprecate_attribute(
                       s.env, a->org, a->name, a->replaced_by, a->expected, cli_actor())),
                   a->name);
    });
  }
  {
    auto [cmd, a] = sub(cat, "versions", "List the catalog's versions, newest first");
    cmd->add_option("--limit", a->limit, "How many (default 20)")->check(CLI::Range(1, 1000));
    cmd->add_option("--before", a->version, "Only versions below this one");
    cmd->callback([a = a] {
      auto s = open_session(a->flags, a->env);
      nlohmann::json out = nlohmann::json::array();
      for (const auto& row :
           value_or_exit(s.catalog->versions(s.env, a->org, a->version, a->limit))) {
        out.push_back(catalog::version_json(row));
      }
      std::cout << nlohmann::json{{"data", out}}.dump(2) << "\n";
    });
  }
  {
    auto [cmd, a] = sub(cat, "diff", "What changed between two versions");
    cmd->add_option("--from", a->from, "The older version (0: empty)")->required();
    cmd->add_option("--to", a->to, "The newer version")->required();
    cmd->callback([a = a] {
      auto s = open_session(a->flags, a->env);
      std::cout << value_or_exit(s.catalog->diff(s.env, a->org, a->from, a->to)).dump(2) << "\n";
    });
  }
});

}  // namespace gh::app
