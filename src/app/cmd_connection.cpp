// `gatehouse connection create|list|get|update|delete|activate|disable|test|trace`: the same
// operations as the connections admin API, through the same service (audited with actor
// "cli"). Also the seed-demo step that gives the demo organization the verified domain
// example.test and an active test IdP connection.
#include <fstream>
#include <iostream>
#include <sstream>

#include "app/command_registry.h"
#include "app/options.h"
#include "app/seed.h"
#include "federation/connection_service.h"
#include "tenancy/sealing.h"

namespace gh::app {
namespace {

const std::vector<std::string> kFlags = {"data_dir", "store", "pepper_file", "master_key_file",
                                         "log_level"};

struct ConnectionSession : CliSession {
  std::unique_ptr<tenancy::TenancyService> tenancy;
  std::unique_ptr<tenancy::Sealing> sealing;
  std::unique_ptr<catalog::CatalogService> catalog;
  std::unique_ptr<federation::ConnectionService> service;
};

std::unique_ptr<ConnectionSession> open_session(const ConfigFlags& flags,
                                                const std::string& env_name) {
  auto s =
      std::make_unique<ConnectionSession>(ConnectionSession{open_cli_session(flags, env_name)});
  s->tenancy = open_tenancy_or_exit(*s);
  s->sealing = open_sealing_or_exit(*s);
  s->catalog = std::make_unique<catalog::CatalogService>(*s->store, *s->tenancy);
  s->service = std::make_unique<federation::ConnectionService>(
      *s->store, *s->tenancy, *s->sealing, s->catalog.get(), s->config.public_url,
      s->config.login_trace_retention_days);
  return s;
}

// The JSON body: --json '{...}' or --file PATH ("-": stdin).
nlohmann::json read_body(const std::string& json, const std::string& file) {
  std::string text = json;
  if (!file.empty()) {
    std::stringstream ss;
    if (file == "-") {
      ss << std::cin.rdbuf();
    } else {
      std::ifstream in(file);
      if (!in) exit_with(Error(errc::RequestInvalidParameter, "cannot read " + file));
      ss << in.rdbuf();
    }
    text = ss.str();
  }
  auto j = nlohmann::json::parse(text, nullptr, false);
  if (!j.is_object()) {
    exit_with(Error(errc::RequestInvalidJson, "the connection body must be a JSON object"));
  }
  return j;
}

}  // namespace

GATEHOUSE_REGISTER_COMMAND(connection, [](CLI::App& root) {
  auto* cmd_root = root.add_subcommand("connection", "Manage an organization's IdP connections");
  cmd_root->require_subcommand(1);
  struct Args {
    ConfigFlags flags;
    std::string env = "sandbox";
    std::string org, id, json, file, request_id;
    int64_t version = 0;
  };
  auto add = [&](const char* name, const char* help, bool with_id) {
    auto args = std::make_shared<Args>();
    auto flags = std::shared_ptr<ConfigFlags>(args, &args->flags);
    auto* cmd = cmd_root->add_subcommand(name, help);
    add_config_flags(cmd, flags, kFlags);
    cmd->add_option("--env", args->env, "Environment (default sandbox)");
    cmd->add_option("--org", args->org, "Organization id")->required();
    if (with_id) cmd->add_option("id", args->id, "Connection id")->required();
    return std::pair{cmd, args};
  };
  {
    auto [cmd, a] =
        add("create", "Create a connection from a JSON body (type, name, domains...)", false);
    cmd->add_option("--json", a->json, "The body, e.g. '{\"type\":\"test\",\"name\":\"Test\"}'");
    cmd->add_option("--file", a->file, "Read the body from a file (- for stdin)");
    cmd->callback([a = a] {
      auto s = open_session(a->flags, a->env);
      auto in =
          value_or_exit(federation::parse_connection_input(read_body(a->json, a->file), true));
      print_json(federation::connection_json(
          value_or_exit(s->service->create(s->env, a->org, in, cli_actor()))));
    });
  }
  {
    auto [cmd, a] = add("list", "List an organization's connections", false);
    cmd->callback([a = a] {
      auto s = open_session(a->flags, a->env);
      nlohmann::json out = nlohmann::json::array();
      for (const auto& c : value_or_exit(s->service->list(s->env, a->org))) {
        out.push_back(federation::connection_json(c));
      }
      print_json(out);
    });
  }
  {
    auto [cmd, a] = add("get", "Show a connection", true);
    cmd->callback([a = a] {
      auto s = open_session(a->flags, a->env);
      print_json(
          federation::connection_json(value_or_exit(s->service->get(s->env, a->org, a->id))));
    });
  }
  {
    auto [cmd, a] = add("update", "Change a connection (fields of the JSON body)", true);
    cmd->add_option("--json", a->json, "The changed fields");
    cmd->add_option("--file", a->file, "Read the body from a file (- for stdin)");
    cmd->add_option("--version", a->version, "The version you read (optimistic concurrency)")
        ->required();
    cmd->callback([a = a] {
      auto s = open_session(a->flags, a->env);
      auto in =
          value_or_exit(federation::parse_connection_input(read_body(a->json, a->file), false));
      print_json(federation::connection_json(
          value_or_exit(s->service->update(s->env, a->org, a->id, in, a->version, cli_actor()))));
    });
  }
  {
    auto [cmd, a] = add("delete", "Delete a connection", true);
    cmd->callback([a = a] {
      auto s = open_session(a->flags, a->env);
      print_json(federation::connection_json(
          value_or_exit(s->service->remove(s->env, a->org, a->id, cli_actor()))));
    });
  }
  for (auto [verb, status] : {std::pair{"activate", "active"}, std::pair{"disable", "disabled"}}) {
    auto [cmd, a] = add(
        verb,
        verb == std::string("activate") ? "Make the connection active" : "Disable the connection",
        true);
    const std::string to = status;
    cmd->callback([a = a, to] {
      auto s = open_session(a->flags, a->env);
      print_json(federation::connection_json(
          value_or_exit(s->service->set_status(s->env, a->org, a->id, to, cli_actor()))));
    });
  }
  {
    auto [cmd, a] =
        add("test", "Print a URL that runs a test-mode login through the connection", true);
    cmd->callback([a = a] {
      auto s = open_session(a->flags, a->env);
      auto t = value_or_exit(s->service->start_test(s->env, a->org, a->id, cli_actor()));
      print_json(
          {{"url", t.url}, {"request_id", t.request_id}, {"expires_at_ms", t.expires_at_ms}});
    });
  }
  {
    auto [cmd, a] = add("trace", "Show a login's trace by its request id", false);
    cmd->add_option("request_id", a->request_id, "The login request id")->required();
    cmd->callback([a = a] {
      auto s = open_session(a->flags, a->env);
      print_json(value_or_exit(s->service->trace(s->env, a->org, a->request_id)));
    });
  }
});

namespace {
// seed-demo: the demo organization gets the verified domain example.test (marked verified
// directly: there is no DNS for .test) and an active test IdP connection for it, so the hosted
// login works for anyone@example.test.
const RegisterSeedStep kLoginStep(
    {250, "test IdP login", [](SeedContext& ctx) -> Result<bool> {
       auto pepper = tenancy::load_or_create_pepper(ctx.config);
       if (!pepper) return fail(pepper.error());
       tenancy::TenancyService tenancy(ctx.store, tenancy::SecretHasher(std::move(*pepper)));
       auto sealing = tenancy::Sealing::open(ctx.config, ctx.store);
       if (!sealing) return fail(sealing.error());
       catalog::CatalogService catalog(ctx.store, tenancy);
       federation::ConnectionService service(ctx.store, tenancy, **sealing, &catalog,
                                             ctx.config.public_url,
                                             ctx.config.login_trace_retention_days);
       auto env = ctx.store.read<store::Environment>([&](store::Repositories& r) {
         return r.environments().get(ctx.demo["environment"].get<std::string>());
       });
       if (!env) return fail(env.error());
       const std::string org = ctx.demo["organization_id"].get<std::string>();
       const std::string domain = "example.test";
       const int64_t now = SystemClock::instance().now_ms();
       auto verified = ctx.store.transact<bool>([&](store::Repositories& r) -> Result<bool> {
         auto existing = r.domains().get(env->id, org, domain);
         if (!existing) {
           store::Domain d;
           d.environment_id = env->id;
           d.organization_id = org;
           d.name = domain;
           d.token = SecureRandom::instance().base64url(24);
           auto created = r.domains().create(d);
           if (!created) return fail(created.error());
         }
         // Far in the future: re-verification would fail (no DNS for .test).
         auto marked =
             r.domains().mark_verified(env->id, org, domain, now, now + 100LL * 365 * 86'400'000);
         if (!marked) return fail(marked.error());
         return true;
       });
       if (!verified) return fail(verified.error());
       const tenancy::Actor actor{"system", "seed-demo", "", "local"};
       if (!ctx.demo.contains("test_connection_id")) {
         federation::ConnectionInput in;
         in.type = "test";
         in.name = "Demo test IdP";
         in.domains = nlohmann::json::array({domain});
         auto c = service.create(*env, org, in, actor);
         if (!c) return fail(c.error());
         auto active = service.set_status(*env, org, c->id, "active", actor);
         if (!active) return fail(active.error());
         ctx.demo["test_connection_id"] = c->id;
       }
       ctx.demo["login"] = {
           {"login_hint", "anyone@example.test"},
           {"domain", domain},
           {"connection_id", ctx.demo["test_connection_id"]},
           {"note",
            "Sign in as anyone@example.test: the test IdP form lets you choose the "
            "user's name, groups and authentication level"}};
       return true;
     }});
}  // namespace

}  // namespace gh::app
