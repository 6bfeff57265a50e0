// `gatehouse keys ...` (signing keys and key settings of an issuer) and `gatehouse kek ...`
// (an organization's customer-managed key, the master key): the same services as the admin
// API, audited with actor "cli".
#include <fstream>
#include <iostream>
#include <sstream>

#include "app/command_registry.h"
#include "app/options.h"
#include "app/seed.h"
#include "crypto/jose/jwt.h"
#include "crypto/kek/local_kek.h"
#include "tenancy/secrets.h"
#include "tenancy/signing_keys.h"

namespace gh::app {
namespace {

const std::vector<std::string> kFlags = {"data_dir",   "store",           "pepper_file",
                                         "public_url", "master_key_file", "kek_pkcs11_modules",
                                         "log_level"};

struct KeySession : CliSession {
  std::unique_ptr<tenancy::TenancyService> tenancy;
  std::unique_ptr<tenancy::Sealing> sealing;
  std::unique_ptr<tenancy::KeyService> keys;
};

KeySession open_session(const ConfigFlags& flags, const std::string& env_name) {
  KeySession s{open_cli_session(flags, env_name)};
  s.tenancy = open_tenancy_or_exit(s);
  s.sealing = open_sealing_or_exit(s);
  s.keys =
      std::make_unique<tenancy::KeyService>(*s.store, *s.sealing, *s.tenancy, s.config.public_url);
  return s;
}

jose::Alg alg_or_exit(const std::string& name) {
  auto alg = jose::parse_alg(name);
  if (!alg || !jose::is_signing_alg(*alg)) {
    exit_with(Error(errc::RequestInvalidField, "--alg must be RS256, PS256, ES256 or EdDSA"), 2);
  }
  return *alg;
}

std::string read_file_or_exit(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) exit_with(Error(errc::ConfigInvalid, "Cannot read " + path), 2);
  std::stringstream ss;
  ss << in.rdbuf();
  std::string text = ss.str();
  while (!text.empty() && (text.back() == '\n' || text.back() == '\r')) text.pop_back();
  return text;
}

struct Args {
  ConfigFlags flags;
  std::string env = "sandbox";
  std::string org;
  std::string alg;
  std::string kid;
  std::string set;
  std::string claims = "{}";
  std::string typ = "JWT";
  int64_t ttl = 300;
  std::string module, token_label, key_label, pin_file, old_key_file;
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
                    "Organization id (its own issuer; default: the environment)");
  }
  return {cmd, args};
}

}  // namespace

GATEHOUSE_REGISTER_COMMAND(keys, [](CLI::App& root) {
  auto* keys = root.add_subcommand("keys", "Signing keys and key settings of an issuer");
  keys->require_subcommand(1);
  {
    auto [cmd, a] = sub(keys, "list", "List the issuer's signing keys");
    cmd->callback([a = a] {
      auto s = open_session(a->flags, a->env);
      nlohmann::json out = nlohmann::json::array();
      for (const auto& row : value_or_exit(s.keys->list(s.env, a->org))) {
        out.push_back(tenancy::signing_key_json(row));
      }
      std::cout
          << nlohmann::json{{"issuer", s.keys->issuer_url(s.env, a->org)}, {"data", out}}.dump(2)
          << "\n";
    });
  }
  {
    auto [cmd, a] = sub(keys, "rotate", "Rotate one algorithm's key now (the old one retires)");
    cmd->add_option("--alg", a->alg, "RS256, PS256, ES256 or EdDSA (default: the issuer's)");
    cmd->callback([a = a] {
      auto s = open_session(a->flags, a->env);
      jose::Alg alg = a->alg.empty()
                          ? value_or_exit(s.keys->settings(s.env, a->org)).settings.default_alg
                          : alg_or_exit(a->alg);
      std::cout << tenancy::signing_key_json(
                       value_or_exit(s.keys->rotate(s.env, a->org, alg, cli_actor())))
                       .dump(2)
                << "\n";
    });
  }
  {
    auto [cmd, a] = sub(keys, "revoke", "Revoke a key at once: every token it signed fails");
    cmd->add_option("kid", a->kid, "Key id")->required();
    cmd->callback([a = a] {
      auto s = open_session(a->flags, a->env);
      std::cout << tenancy::signing_key_json(
                       value_or_exit(s.keys->revoke(s.env, a->org, a->kid, cli_actor())))
                       .dump(2)
                << "\n";
    });
  }
  {
    auto [cmd, a] = sub(keys, "settings", "Show (or with --set, change) the issuer's key settings");
    cmd->add_option("--set", a->set,
                    "JSON patch, e.g. '{\"algorithms\":[\"RS256\",\"ES256\"]}' or "
                    "'{\"own_issuer\":true}'");
    cmd->callback([a = a] {
      auto s = open_session(a->flags, a->env);
      tenancy::VersionedKeySettings v;
      if (a->set.empty()) {
        v = value_or_exit(s.keys->settings(s.env, a->org));
      } else {
        auto patch = nlohmann::json::parse(a->set, nullptr, false);
        if (patch.is_discarded()) {
          exit_with(Error(errc::RequestInvalidJson, "--set is not valid JSON"), 2);
        }
        v = value_or_exit(s.keys->update_settings(s.env, a->org, patch, -1, cli_actor()));
      }
      nlohmann::json out = v.settings.public_json();
      out["issuer"] = s.keys->issuer_url(s.env, a->org);
      std::cout << out.dump(2) << "\n";
    });
  }
  {
    auto [cmd, a] =
        sub(keys, "sign", "Sign a JWT with the issuer's active key (testing relying parties)");
    cmd->add_option("--alg", a->alg, "RS256, PS256, ES256 or EdDSA (default: the issuer's)");
    cmd->add_option("--claims", a->claims, "JSON object of claims (iss, iat, exp are added)");
    cmd->add_option("--typ", a->typ, "typ header (default JWT)");
    cmd->add_option("--ttl", a->ttl, "Seconds until exp (default 300)");
    cmd->callback([a = a] {
      auto s = open_session(a->flags, a->env);
      auto claims = nlohmann::json::parse(a->claims, nullptr, false);
      if (!claims.is_object()) {
        exit_with(Error(errc::RequestInvalidJson, "--claims must be a JSON object"), 2);
      }
      std::optional<jose::Alg> alg;
      if (!a->alg.empty()) alg = alg_or_exit(a->alg);
      auto key = value_or_exit(s.keys->signing_key(s.env, a->org, alg));
      const int64_t now = SystemClock::instance().now_ms() / 1000;
      claims["iss"] = s.keys->issuer_url(s.env, a->org);
      if (!claims.contains("iat")) claims["iat"] = now;
      if (!claims.contains("exp")) claims["exp"] = now + a->ttl;
      std::cout << value_or_exit(jose::jwt_sign(key, claims, a->typ)) << "\n";
    });
  }
});

GATEHOUSE_REGISTER_COMMAND(kek, [](CLI::App& root) {
  auto* kek = root.add_subcommand("kek", "Key-encryption keys: customer-managed keys, master key");
  kek->require_subcommand(1);
  {
    auto [cmd, a] = sub(kek, "status", "Which KEK protects an organization, and whether it works");
    cmd->callback([a = a] {
      auto s = open_session(a->flags, a->env);
      std::cout << s.sealing->status(s.env.id, a->org).dump(2) << "\n";
    });
  }
  {
    auto [cmd, a] =
        sub(kek, "set", "Re-key an organization to its own PKCS#11 key (data keys re-wrapped)");
    cmd->add_option("--module", a->module, "PKCS#11 module path (in kek_pkcs11_modules)")
        ->required();
    cmd->add_option("--token-label", a->token_label, "Token label")->required();
    cmd->add_option("--key-label", a->key_label, "AES-256 key label on the token")->required();
    cmd->add_option("--pin-file", a->pin_file, "File holding the user PIN")->required();
    cmd->callback([a = a] {
      if (a->org.empty()) exit_with(Error(errc::RequestInvalidField, "--org is required"), 2);
      auto s = open_session(a->flags, a->env);
      tenancy::CustomerKeyInput in{a->module, a->token_label, a->key_label,
                                   read_file_or_exit(a->pin_file)};
      std::cout << value_or_exit(s.keys->set_customer_key(s.env, a->org, in, cli_actor())).dump(2)
                << "\n";
    });
  }
  {
    auto [cmd, a] = sub(kek, "clear", "Re-key an organization back to the master key");
    cmd->callback([a = a] {
      if (a->org.empty()) exit_with(Error(errc::RequestInvalidField, "--org is required"), 2);
      auto s = open_session(a->flags, a->env);
      std::cout << value_or_exit(s.keys->set_customer_key(s.env, a->org, std::nullopt, cli_actor()))
                       .dump(2)
                << "\n";
    });
  }
  {
    auto [cmd, a] = sub(kek, "rotate-master",
                        "After installing a new master key: re-wrap every data key the old one "
                        "wrapped",
                        false);
    cmd->add_option("--old-key-file", a->old_key_file, "The previous master key file")->required();
    cmd->callback([a = a] {
      auto s = open_session(a->flags, a->env);
      auto text = read_file_or_exit(a->old_key_file);
      auto material =
          text.size() == 32 ? Result<std::string>(text) : crypto::LocalKek::decode_key_text(text);
      if (!material) exit_with(material.error(), 2);
      Config old = s.config;
      old.master_key_file = a->old_key_file;
      unsetenv("GATEHOUSE_MASTER_KEY");
      auto old_kek = value_or_exit(tenancy::Sealing::load_master_key(old));
      const size_t n = value_or_exit(s.sealing->rotate_master(old_kek));
      std::cout << nlohmann::json{{"from", old_kek->id()},
                                  {"to", s.sealing->master_kek_id()},
                                  {"rewrapped_data_keys", n}}
                       .dump(2)
                << "\n";
    });
  }
});

namespace {
// seed-demo: the sandbox's signing keys exist before the first `serve` (as an environment's
// keys are made with it), so the server starts without generating an RSA key.
const RegisterSeedStep kKeysStep(
    {150, "signing keys", [](SeedContext& ctx) -> Result<bool> {
       auto pepper = tenancy::load_or_create_pepper(ctx.config);
       if (!pepper) return fail(pepper.error());
       tenancy::TenancyService tenancy(ctx.store, tenancy::SecretHasher(std::move(*pepper)));
       auto sealing = tenancy::Sealing::open(ctx.config, ctx.store);
       if (!sealing) return fail(sealing.error());
       tenancy::KeyService keys(ctx.store, **sealing, tenancy, ctx.config.public_url);
       auto env = ctx.store.read<store::Environment>([&](store::Repositories& r) {
         return r.environments().get(ctx.demo["environment"].get<std::string>());
       });
       if (!env) return fail(env.error());
       auto k = keys.keys(*env, "");
       if (!k) return fail(k.error());
       return true;
     }});
}  // namespace

}  // namespace gh::app
