// `gatehouse domain add|list|verify|remove`: the same operations as the admin API's domain
// routes, through the same service (audited with actor "cli").
#include <iostream>

#include "app/command_registry.h"
#include "app/options.h"
#include "tenancy/domains.h"

namespace gh::app {
namespace {

const std::vector<std::string> kFlags = {"data_dir", "store", "dns_nameserver",
                                         "domain_check_timeout_ms", "log_level"};

struct DomainSession : CliSession {
  std::unique_ptr<tenancy::StubTxtResolver> resolver;
  std::unique_ptr<tenancy::DomainService> service;
};

DomainSession open_domain_session(const ConfigFlags& flags, const std::string& env_name) {
  DomainSession s{open_cli_session(flags, env_name)};
  auto resolver =
      tenancy::StubTxtResolver::create(s.config.dns_nameserver, s.config.domain_check_timeout_ms);
  if (!resolver) exit_with(resolver.error(), 2);
  s.resolver = std::move(*resolver);
  s.service = std::make_unique<tenancy::DomainService>(*s.store, *s.resolver,
                                                       s.config.domain_reverify_interval_s * 1000);
  return s;
}

}  // namespace

GATEHOUSE_REGISTER_COMMAND(domain, [](CLI::App& root) {
  auto* domain = root.add_subcommand("domain", "Manage an organization's verified domains");
  domain->require_subcommand(1);
  struct Args {
    ConfigFlags flags;
    std::string env = "sandbox";
    std::string org, name;
  };
  auto add = [&](const char* name, const char* help, bool with_name) {
    auto args = std::make_shared<Args>();
    auto flags = std::shared_ptr<ConfigFlags>(args, &args->flags);
    auto* cmd = domain->add_subcommand(name, help);
    add_config_flags(cmd, flags, kFlags);
    cmd->add_option("--env", args->env, "Environment (default sandbox)");
    cmd->add_option("--org", args->org, "Organization id")->required();
    if (with_name) cmd->add_option("domain", args->name, "Domain name")->required();
    return std::pair{cmd, args};
  };
  {
    auto [cmd, a] = add("add", "Claim a domain; prints the TXT record to publish", true);
    cmd->callback([a = a] {
      auto s = open_domain_session(a->flags, a->env);
      std::cout << tenancy::domain_json(
                       value_or_exit(s.service->add(s.env, a->org, a->name, cli_actor())))
                       .dump(2)
                << "\n";
    });
  }
  {
    auto [cmd, a] = add("list", "List an organization's domains", false);
    cmd->callback([a = a] {
      auto s = open_domain_session(a->flags, a->env);
      nlohmann::json out = nlohmann::json::array();
      for (const auto& d : value_or_exit(s.service->list(s.env, a->org))) {
        out.push_back(tenancy::domain_json(d));
      }
      std::cout << out.dump(2) << "\n";
    });
  }
  {
    auto [cmd, a] = add("verify", "Check the domain's TXT record now", true);
    cmd->callback([a = a] {
      auto s = open_domain_session(a->flags, a->env);
      std::cout << tenancy::domain_json(
                       value_or_exit(s.service->verify(s.env, a->org, a->name, cli_actor())))
                       .dump(2)
                << "\n";
    });
  }
  {
    auto [cmd, a] = add("remove", "Remove a domain (and its claim)", true);
    cmd->callback([a = a] {
      auto s = open_domain_session(a->flags, a->env);
      std::cout << tenancy::domain_json(
                       value_or_exit(s.service->remove(s.env, a->org, a->name, cli_actor())))
                       .dump(2)
                << "\n";
    });
  }
});

}  // namespace gh::app
