// `gatehouse app ...` (applications, their client secrets and grants) and `gatehouse resource
// ...` (resources and their permissions): the same service as the admin API, audited with actor
// "cli". Also the seed-demo step that adds the demo resource and application.
#include <iostream>

#include "app/command_registry.h"
#include "app/options.h"
#include "app/seed.h"
#include "oauth/application_service.h"
#include "oauth/error_codes.h"
#include "tenancy/secrets.h"

namespace gh::app {
namespace {

const std::vector<std::string> kFlags = {"data_dir", "store", "pepper_file", "log_level"};

struct AppSession : CliSession {
  std::unique_ptr<tenancy::TenancyService> tenancy;
  std::unique_ptr<oauth::ApplicationService> apps;
};

AppSession open_session(const ConfigFlags& flags, const std::string& env_name) {
  AppSession s{open_cli_session(flags, env_name)};
  s.tenancy = open_tenancy_or_exit(s);
  s.apps = std::make_unique<oauth::ApplicationService>(*s.store, *s.tenancy);
  return s;
}

nlohmann::json json_or_exit(const std::string& text) {
  auto j = nlohmann::json::parse(text.empty() ? std::string("{}") : text, nullptr, false);
  if (!j.is_object()) {
    exit_with(Error(errc::RequestInvalidJson, "--json must be a JSON object"), 2);
  }
  return j;
}

struct Args {
  ConfigFlags flags;
  std::string env = "sandbox";
  std::string org;
  std::string id, second;
  std::string json;
  std::string name, type, identifier;
  std::vector<std::string> redirect_uris, grant_types, permissions;
  int64_t expires_in_s = 0;
  int limit = 100;
};

std::pair<CLI::App*, std::shared_ptr<Args>> sub(CLI::App* parent, const char* name,
                                                const char* help, bool with_org = true) {
  auto args = std::make_shared<Args>();
  auto flags = std::shared_ptr<ConfigFlags>(args, &args->flags);
  auto* cmd = parent->add_subcommand(name, help);
  add_config_flags(cmd, flags, kFlags);
  cmd->add_option("--env", args->env, "Environment (default sandbox)");
  if (with_org) {
    cmd->add_option("--org", args->org,
                    "Organization id (its machine clients; default: the environment's)");
  }
  return {cmd, args};
}

void print(const nlohmann::json& j) { std::cout << j.dump(2) << "\n"; }

}  // namespace

GATEHOUSE_REGISTER_COMMAND(app, [](CLI::App& root) {
  auto* app = root.add_subcommand("app", "OAuth applications, their client secrets and grants");
  app->require_subcommand(1);
  {
    auto [cmd, a] = sub(app, "create", "Create an application; prints its first secret once");
    cmd->add_option("--name", a->name, "Display name")->required();
    cmd->add_option("--type", a->type, "confidential (default) or public");
    cmd->add_option("--redirect-uri", a->redirect_uris, "Redirect URI (repeatable)");
    cmd->add_option("--grant-type", a->grant_types, "Grant type (repeatable)");
    cmd->add_option("--json", a->json, "Further settings as a JSON object");
    cmd->callback([a = a] {
      auto s = open_session(a->flags, a->env);
      auto body = json_or_exit(a->json);
      body["name"] = a->name;
      if (!a->type.empty()) body["type"] = a->type;
      if (!a->redirect_uris.empty()) body["redirect_uris"] = a->redirect_uris;
      if (!a->grant_types.empty()) body["grant_types"] = a->grant_types;
      auto created = value_or_exit(s.apps->create(s.env, a->org, body, cli_actor()));
      auto out = oauth::application_json(created.app);
      if (created.client_secret) out["client_secret"] = *created.client_secret;
      print(out);
    });
  }
  {
    auto [cmd, a] = sub(app, "list", "List applications");
    cmd->add_option("--limit", a->limit, "At most this many (default 100)");
    cmd->callback([a = a] {
      auto s = open_session(a->flags, a->env);
      auto page = value_or_exit(s.apps->list(s.env, a->org, {.after = "", .limit = a->limit}));
      nlohmann::json items = nlohmann::json::array();
      for (const auto& x : page.items) items.push_back(oauth::application_json(x));
      print({{"data", items}});
    });
  }
  {
    auto [cmd, a] = sub(app, "get", "Show an application");
    cmd->add_option("id", a->id, "Application id")->required();
    cmd->callback([a = a] {
      auto s = open_session(a->flags, a->env);
      print(oauth::application_json(value_or_exit(s.apps->get(s.env, a->org, a->id))));
    });
  }
  {
    auto [cmd, a] = sub(app, "update", "Change settings (a JSON object of the fields to change)");
    cmd->add_option("id", a->id, "Application id")->required();
    cmd->add_option("--json", a->json, "Fields to change")->required();
    cmd->callback([a = a] {
      auto s = open_session(a->flags, a->env);
      auto current = value_or_exit(s.apps->get(s.env, a->org, a->id));
      print(oauth::application_json(value_or_exit(s.apps->update(
          s.env, a->org, a->id, json_or_exit(a->json), current.version, cli_actor()))));
    });
  }
  {
    auto [cmd, a] = sub(app, "delete", "Delete an application (its secrets and grants too)");
    cmd->add_option("id", a->id, "Application id")->required();
    cmd->callback([a = a] {
      auto s = open_session(a->flags, a->env);
      print(oauth::application_json(
          value_or_exit(s.apps->remove(s.env, a->org, a->id, cli_actor()))));
    });
  }
  auto* secret = app->add_subcommand("secret", "Client secrets of a confidential application");
  secret->require_subcommand(1);
  {
    auto [cmd, a] = sub(secret, "add", "Add a client secret (printed once)");
    cmd->add_option("id", a->id, "Application id")->required();
    cmd->add_option("--expires-in-s", a->expires_in_s, "Expire after this many seconds");
    cmd->callback([a = a] {
      auto s = open_session(a->flags, a->env);
      const int64_t now = SystemClock::instance().now_ms();
      const int64_t expires = a->expires_in_s > 0 ? now + a->expires_in_s * 1000 : 0;
      auto issued = value_or_exit(s.apps->add_secret(s.env, a->org, a->id, expires, cli_actor()));
      auto out = oauth::client_secret_json(issued.secret, now);
      out["client_secret"] = issued.value;
      print(out);
    });
  }
  {
    auto [cmd, a] = sub(secret, "list", "List client secrets (never their values)");
    cmd->add_option("id", a->id, "Application id")->required();
    cmd->callback([a = a] {
      auto s = open_session(a->flags, a->env);
      nlohmann::json items = nlohmann::json::array();
      const int64_t now = SystemClock::instance().now_ms();
      for (const auto& x : value_or_exit(s.apps->list_secrets(s.env, a->org, a->id))) {
        items.push_back(oauth::client_secret_json(x, now));
      }
      print({{"data", items}});
    });
  }
  {
    auto [cmd, a] = sub(secret, "revoke", "Revoke a client secret at once");
    cmd->add_option("id", a->id, "Application id")->required();
    cmd->add_option("secret", a->second, "Secret id")->required();
    cmd->callback([a = a] {
      auto s = open_session(a->flags, a->env);
      print(oauth::client_secret_json(
          value_or_exit(s.apps->revoke_secret(s.env, a->org, a->id, a->second, cli_actor())),
          SystemClock::instance().now_ms()));
    });
  }
  {
    auto [cmd, a] =
        sub(app, "grant", "Set what the application may obtain on a resource (client_credentials)");
    cmd->add_option("id", a->id, "Application id")->required();
    cmd->add_option("resource", a->second, "Resource id")->required();
    cmd->add_option("--permission", a->permissions, "Permission (repeatable; none removes)");
    cmd->callback([a = a] {
      auto s = open_session(a->flags, a->env);
      print(oauth::grant_json(value_or_exit(
          s.apps->set_grant(s.env, a->org, a->id, a->second, a->permissions, cli_actor()))));
    });
  }
});

GATEHOUSE_REGISTER_COMMAND(resource, [](CLI::App& root) {
  auto* res = root.add_subcommand("resource", "Resources (APIs) and their permissions");
  res->require_subcommand(1);
  {
    auto [cmd, a] = sub(res, "create", "Create a resource", false);
    cmd->add_option("--identifier", a->identifier, "The audience (absolute URI)")->required();
    cmd->add_option("--name", a->name, "Display name");
    cmd->add_option("--permission", a->permissions, "Permission name (repeatable)");
    cmd->callback([a = a] {
      auto s = open_session(a->flags, a->env);
      nlohmann::json body = {{"identifier", a->identifier}, {"permissions", a->permissions}};
      if (!a->name.empty()) body["name"] = a->name;
      print(oauth::resource_json(value_or_exit(s.apps->create_resource(s.env, body, cli_actor()))));
    });
  }
  {
    auto [cmd, a] = sub(res, "list", "List resources", false);
    cmd->add_option("--limit", a->limit, "At most this many (default 100)");
    cmd->callback([a = a] {
      auto s = open_session(a->flags, a->env);
      auto page = value_or_exit(s.apps->list_resources(s.env, {.after = "", .limit = a->limit}));
      nlohmann::json items = nlohmann::json::array();
      for (const auto& x : page.items) items.push_back(oauth::resource_json(x));
      print({{"data", items}});
    });
  }
  {
    auto [cmd, a] = sub(res, "get", "Show a resource", false);
    cmd->add_option("id", a->id, "Resource id")->required();
    cmd->callback([a = a] {
      auto s = open_session(a->flags, a->env);
      print(oauth::resource_json(value_or_exit(s.apps->get_resource(s.env, a->id))));
    });
  }
  {
    auto [cmd, a] = sub(res, "update", "Change name or permissions (JSON of the fields)", false);
    cmd->add_option("id", a->id, "Resource id")->required();
    cmd->add_option("--json", a->json, "Fields to change")->required();
    cmd->callback([a = a] {
      auto s = open_session(a->flags, a->env);
      auto current = value_or_exit(s.apps->get_resource(s.env, a->id));
      print(oauth::resource_json(value_or_exit(s.apps->update_resource(
          s.env, a->id, json_or_exit(a->json), current.version, cli_actor()))));
    });
  }
  {
    auto [cmd, a] = sub(res, "delete", "Delete a resource (and every grant on it)", false);
    cmd->add_option("id", a->id, "Resource id")->required();
    cmd->callback([a = a] {
      auto s = open_session(a->flags, a->env);
      print(
          oauth::resource_json(value_or_exit(s.apps->remove_resource(s.env, a->id, cli_actor()))));
    });
  }
});

namespace {
// seed-demo: a demo API and a confidential demo application that may sign users in
// (authorization_code with PKCE, redirect to a local app) and call the API itself
// (client_credentials). The secret is kept in demo.json like the other demo secrets.
const RegisterSeedStep kApplicationStep(
    {300, "application", [](SeedContext& ctx) -> Result<bool> {
       auto pepper = tenancy::load_or_create_pepper(ctx.config);
       if (!pepper) return fail(pepper.error());
       tenancy::TenancyService tenancy(ctx.store, tenancy::SecretHasher(std::move(*pepper)));
       oauth::ApplicationService apps(ctx.store, tenancy);
       auto env = ctx.store.read<store::Environment>([&](store::Repositories& r) {
         return r.environments().get(ctx.demo["environment"].get<std::string>());
       });
       if (!env) return fail(env.error());
       const tenancy::Actor actor{"system", "seed-demo", "", "local"};
       const std::string identifier = "https://api.example.test";
       auto resource = ctx.store.read<store::Resource>([&](store::Repositories& r) {
         return r.applications().find_resource(env->id, identifier);
       });
       if (!resource) {
         if (resource.error().code != errc::ResourceNotFound) return fail(resource.error());
         resource = apps.create_resource(
             *env,
             {{"identifier", identifier},
              {"name", "Demo API"},
              {"permissions",
               {{{"name", "invoices:read"}, {"description", "Read invoices"}},
                {{"name", "invoices:write"}, {"description", "Create and change invoices"}}}}},
             actor);
         if (!resource) return fail(resource.error());
       }
       ctx.demo["resource"] = identifier;
       const std::string redirect = "http://127.0.0.1:3000/callback";
       ctx.demo["redirect_uri"] = redirect;
       if (ctx.demo.contains("client_id") && ctx.demo.contains("client_secret")) {
         auto existing = ctx.store.read<store::Application>([&](store::Repositories& r) {
           return r.applications().find_by_client_id(env->id,
                                                     ctx.demo["client_id"].get<std::string>());
         });
         if (existing) return true;
       }
       auto created = apps.create(
           *env, "",
           {{"name", "Demo app"},
            {"redirect_uris", {redirect}},
            {"grant_types", {"authorization_code", "refresh_token", "client_credentials"}}},
           actor);
       if (!created) return fail(created.error());
       auto grant = apps.set_grant(*env, "", created->app.id, resource->id,
                                   {"invoices:read", "invoices:write"}, actor);
       if (!grant) return fail(grant.error());
       ctx.demo["application_id"] = created->app.id;
       ctx.demo["client_id"] = created->app.client_id;
       ctx.demo["client_secret"] = *created->client_secret;
       return true;
     }});
}  // namespace

}  // namespace gh::app
