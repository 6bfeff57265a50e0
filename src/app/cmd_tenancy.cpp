// `gatehouse org ...` and `gatehouse apikey ...`: the same operations as the admin API,
// through the same service (audited with actor "cli").
#include <iostream>

#include "app/command_registry.h"
#include "app/options.h"
#include "app/seed.h"
#include "tenancy/service.h"

namespace gh::app {
namespace {

const std::vector<std::string> kFlags = {"data_dir", "store", "pepper_file", "log_level"};

struct Session : CliSession {
  std::unique_ptr<tenancy::TenancyService> service;
};

Session open_session(const ConfigFlags& flags, const std::string& env_name) {
  Session s{open_cli_session(flags, env_name)};
  s.service = open_tenancy_or_exit(s);
  return s;
}

}  // namespace

GATEHOUSE_REGISTER_COMMAND(org, [](CLI::App& root) {
  auto* org = root.add_subcommand("org", "Manage organizations (tenants)");
  org->require_subcommand(1);
  struct Args {
    ConfigFlags flags;
    std::string env = "sandbox";
    std::string id, name, slug, status, metadata;
    int64_t if_version = -1;
    bool include_deleted = false;
    int limit = 100;
  };
  auto add = [&](const char* name, const char* help) {
    auto args = std::make_shared<Args>();
    auto flags = std::shared_ptr<ConfigFlags>(args, &args->flags);
    auto* cmd = org->add_subcommand(name, help);
    add_config_flags(cmd, flags, kFlags);
    cmd->add_option("--env", args->env, "Environment (default sandbox)");
    return std::pair{cmd, args};
  };
  {
    auto [cmd, a] = add("create", "Create an organization");
    cmd->add_option("--name", a->name, "Display name")->required();
    cmd->add_option("--slug", a->slug, "URL-safe unique name")->required();
    cmd->add_option("--metadata", a->metadata, "JSON object");
    cmd->callback([a = a] {
      auto s = open_session(a->flags, a->env);
      tenancy::OrganizationInput in{a->name, a->slug, std::nullopt, std::nullopt};
      if (!a->metadata.empty()) {
        auto m = nlohmann::json::parse(a->metadata, nullptr, false);
        if (!m.is_object())
          exit_with(Error(errc::RequestInvalidField, "--metadata must be a JSON object"));
        in.metadata = m;
      }
      print_json(tenancy::organization_json(
          value_or_exit(s.service->create_organization(s.env, in, cli_actor()))));
    });
  }
  {
    auto [cmd, a] = add("list", "List organizations");
    cmd->add_flag("--include-deleted", a->include_deleted, "Also list soft-deleted ones");
    cmd->add_option("--limit", a->limit, "At most this many (1-100)");
    cmd->callback([a = a] {
      auto s = open_session(a->flags, a->env);
      auto page = value_or_exit(
          s.store->read<store::PageOf<store::Organization>>([&](store::Repositories& r) {
            return r.organizations().list(s.env.id, {"", a->limit}, a->include_deleted);
          }));
      nlohmann::json out = nlohmann::json::array();
      for (const auto& o : page.items) out.push_back(tenancy::organization_json(o));
      print_json(out);
    });
  }
  {
    auto [cmd, a] = add("get", "Show an organization");
    cmd->add_option("id", a->id, "Organization id")->required();
    cmd->callback([a = a] {
      auto s = open_session(a->flags, a->env);
      print_json(tenancy::organization_json(value_or_exit(s.store->read<store::Organization>(
          [&](store::Repositories& r) { return r.organizations().get(s.env.id, a->id, true); }))));
    });
  }
  {
    auto [cmd, a] = add("update", "Change an organization");
    cmd->add_option("id", a->id, "Organization id")->required();
    cmd->add_option("--name", a->name, "Display name");
    cmd->add_option("--slug", a->slug, "Slug");
    cmd->add_option("--status", a->status, "active or suspended");
    cmd->add_option("--if-version", a->if_version, "Only if still at this version");
    cmd->callback([a = a] {
      auto s = open_session(a->flags, a->env);
      tenancy::OrganizationInput in;
      if (!a->name.empty()) in.name = a->name;
      if (!a->slug.empty()) in.slug = a->slug;
      if (!a->status.empty()) in.status = a->status;
      print_json(tenancy::organization_json(value_or_exit(
          s.service->update_organization(s.env, a->id, in, a->if_version, cli_actor()))));
    });
  }
  {
    auto [cmd, a] = add("delete", "Soft-delete an organization (restorable for 30 days)");
    cmd->add_option("id", a->id, "Organization id")->required();
    cmd->callback([a = a] {
      auto s = open_session(a->flags, a->env);
      print_json(tenancy::organization_json(
          value_or_exit(s.service->delete_organization(s.env, a->id, cli_actor()))));
    });
  }
  {
    auto [cmd, a] = add("restore", "Restore a soft-deleted organization");
    cmd->add_option("id", a->id, "Organization id")->required();
    cmd->callback([a = a] {
      auto s = open_session(a->flags, a->env);
      print_json(tenancy::organization_json(
          value_or_exit(s.service->restore_organization(s.env, a->id, cli_actor()))));
    });
  }
});

GATEHOUSE_REGISTER_COMMAND(apikey, [](CLI::App& root) {
  auto* apikey = root.add_subcommand("apikey", "Manage admin API keys");
  apikey->require_subcommand(1);
  struct Args {
    ConfigFlags flags;
    std::string env = "sandbox";
    std::string org, name, role, id;
  };
  auto add = [&](const char* name, const char* help) {
    auto args = std::make_shared<Args>();
    auto flags = std::shared_ptr<ConfigFlags>(args, &args->flags);
    auto* cmd = apikey->add_subcommand(name, help);
    add_config_flags(cmd, flags, kFlags);
    cmd->add_option("--env", args->env, "Environment (default sandbox)");
    cmd->add_option("--org", args->org, "Organization id (organization-scoped key)");
    return std::pair{cmd, args};
  };
  {
    auto [cmd, a] = add("create", "Create a key; its secret is printed once");
    cmd->add_option("--name", a->name, "What the key is for")->required();
    cmd->add_option("--role", a->role, "admin | read_only (environment), organization (--org)");
    cmd->callback([a = a] {
      auto s = open_session(a->flags, a->env);
      const std::string role =
          a->role.empty() ? (a->org.empty() ? "admin" : "organization") : a->role;
      auto issued =
          value_or_exit(s.service->create_api_key(s.env, {a->name, role, a->org, 0}, cli_actor()));
      auto j = tenancy::api_key_json(issued.key);
      j["secret"] = issued.token;
      print_json(j);
    });
  }
  {
    auto [cmd, a] = add("list", "List keys (never their secrets)");
    cmd->callback([a = a] {
      auto s = open_session(a->flags, a->env);
      auto keys = value_or_exit(s.store->read<std::vector<store::ApiKey>>(
          [&](store::Repositories& r) { return r.api_keys().list(s.env.id, a->org); }));
      nlohmann::json out = nlohmann::json::array();
      for (const auto& k : keys) out.push_back(tenancy::api_key_json(k));
      print_json(out);
    });
  }
  {
    auto [cmd, a] = add("revoke", "Revoke a key at once");
    cmd->add_option("id", a->id, "Key id")->required();
    cmd->callback([a = a] {
      auto s = open_session(a->flags, a->env);
      print_json(tenancy::api_key_json(
          value_or_exit(s.service->revoke_api_key(s.env, a->org, a->id, cli_actor()))));
    });
  }
});

namespace {
// seed-demo: a demo organization and an environment admin key, created once.
const RegisterSeedStep kTenancyStep(
    {200, "organization", [](SeedContext& ctx) -> Result<bool> {
       auto pepper = tenancy::load_or_create_pepper(ctx.config);
       if (!pepper) return fail(pepper.error());
       tenancy::TenancyService service(ctx.store, tenancy::SecretHasher(std::move(*pepper)));
       auto env = ctx.store.read<store::Environment>([&](store::Repositories& r) {
         return r.environments().get(ctx.demo["environment"].get<std::string>());
       });
       if (!env) return fail(env.error());
       const tenancy::Actor actor{"system", "seed-demo", "", "local"};
       if (!ctx.demo.contains("organization_id")) {
         auto existing = ctx.store.read<store::Organization>([&](store::Repositories& r) {
           return r.organizations().get_by_slug(env->id, "demo");
         });
         if (existing) {
           ctx.demo["organization_id"] = existing->id;
         } else {
           auto org = service.create_organization(
               *env, {std::string("Demo Company"), std::string("demo"), std::nullopt, std::nullopt},
               actor);
           if (!org) return fail(org.error());
           ctx.demo["organization_id"] = org->id;
         }
       }
       if (!ctx.demo.contains("admin_api_key")) {
         auto issued = service.create_api_key(*env, {"seed-demo admin key", "admin", "", 0}, actor);
         if (!issued) return fail(issued.error());
         ctx.demo["admin_api_key"] = issued->token;
       }
       ctx.demo["admin_api"] = ctx.config.public_url + "/api/v1/environments/" + env->name;
       return true;
     }});
}  // namespace

}  // namespace gh::app
