// `gatehouse session list|revoke|revoke-user|revoke-org|revoke-family|revoke-token`: the admin
// API's session and token revocation (issue 7) through the same SessionService, so every cause
// goes through the one fan-out (refresh tokens, access tokens by sid, back-channel logout and
// webhooks from the outbox, delivered by a running server), audited with actor "cli".
#include <iostream>

#include "app/command_registry.h"
#include "app/options.h"
#include "sessions/session_service.h"

namespace gh::app {
namespace {

const std::vector<std::string> kFlags = {"data_dir", "store", "pepper_file", "log_level"};

struct SessionCli : CliSession {
  std::unique_ptr<tenancy::TenancyService> tenancy;
  std::unique_ptr<sessions::SessionService> service;
};

SessionCli open_sessions(const ConfigFlags& flags, const std::string& env_name) {
  SessionCli s{open_cli_session(flags, env_name)};
  s.tenancy = open_tenancy_or_exit(s);
  s.service = std::make_unique<sessions::SessionService>(*s.store, s.tenancy->hasher());
  return s;
}

nlohmann::json sessions_json(const std::vector<store::Session>& list) {
  nlohmann::json out = nlohmann::json::array();
  const int64_t now = SystemClock::instance().now_ms();
  for (const auto& s : list) out.push_back(sessions::session_json(s, now));
  return out;
}

}  // namespace

GATEHOUSE_REGISTER_COMMAND(session, [](CLI::App& root) {
  auto* session =
      root.add_subcommand("session", "List and revoke sessions and tokens (revocation fan-out)");
  session->require_subcommand(1);
  struct Args {
    ConfigFlags flags;
    std::string env = "sandbox";
    std::string org, id, user;
    bool all = false;
  };
  auto add = [&](const char* name, const char* help, const char* positional) {
    auto args = std::make_shared<Args>();
    auto flags = std::shared_ptr<ConfigFlags>(args, &args->flags);
    auto* cmd = session->add_subcommand(name, help);
    add_config_flags(cmd, flags, kFlags);
    cmd->add_option("--env", args->env, "Environment (default sandbox)");
    cmd->add_option("--org", args->org, "Organization id")->required();
    if (positional) cmd->add_option(positional, args->id, positional)->required();
    return std::pair{cmd, args};
  };
  {
    auto [cmd, a] =
        add("list", "List an organization's live sessions (or one user's, all)", nullptr);
    cmd->add_option("--user", a->user, "Only this user's sessions, revoked and expired too");
    cmd->callback([a = a] {
      auto s = open_sessions(a->flags, a->env);
      auto list = a->user.empty()
                      ? value_or_exit(s.service->list_for_organization(s.env, a->org, 1000))
                      : value_or_exit(s.service->list_for_user(s.env, a->org, a->user, false));
      std::cout << nlohmann::json({{"data", sessions_json(list)}}).dump(2) << "\n";
    });
  }
  {
    auto [cmd, a] = add("revoke", "Revoke one session", "sid");
    cmd->callback([a = a] {
      auto s = open_sessions(a->flags, a->env);
      auto r = value_or_exit(s.service->revoke(s.env, a->org, a->id, cli_actor()));
      std::cout << sessions::session_json(r, SystemClock::instance().now_ms()).dump(2) << "\n";
    });
  }
  {
    auto [cmd, a] = add("revoke-user", "Revoke every live session of a user", "user");
    cmd->callback([a = a] {
      auto s = open_sessions(a->flags, a->env);
      auto r = value_or_exit(s.service->revoke_user(s.env, a->org, a->id, cli_actor()));
      std::cout << nlohmann::json({{"revoked", sessions_json(r)}}).dump(2) << "\n";
    });
  }
  {
    auto [cmd, a] = add("revoke-org", "Revoke every live session of an organization", nullptr);
    cmd->callback([a = a] {
      auto s = open_sessions(a->flags, a->env);
      auto r = value_or_exit(s.service->revoke_organization(s.env, a->org, cli_actor()));
      std::cout << nlohmann::json({{"revoked_count", r.size()}}).dump(2) << "\n";
    });
  }
  {
    auto [cmd, a] = add("revoke-family", "Revoke a refresh token family", "family");
    cmd->callback([a = a] {
      auto s = open_sessions(a->flags, a->env);
      auto n = value_or_exit(s.service->revoke_refresh_family(s.env, a->org, a->id, cli_actor()));
      std::cout << nlohmann::json({{"family_id", a->id}, {"revoked_tokens", n}}).dump(2) << "\n";
    });
  }
  {
    auto [cmd, a] = add("revoke-token", "Deny-list an access token by jti until it expires", "jti");
    cmd->callback([a = a] {
      auto s = open_sessions(a->flags, a->env);
      auto added = value_or_exit(s.service->revoke_access_token(s.env, a->org, a->id, cli_actor()));
      std::cout << nlohmann::json({{"jti", a->id}, {"already_revoked", !added}}).dump(2) << "\n";
    });
  }
});

}  // namespace gh::app
