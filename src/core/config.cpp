#include "core/config.h"

#include <arpa/inet.h>
#include <toml++/toml.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <functional>
#include <nlohmann/json.hpp>

extern char** environ;

namespace gh {

namespace {

using Setter = std::function<std::optional<std::string>(Config&, const std::string&)>;

struct SettingImpl {
  ConfigSetting doc;
  Setter set;  // from text (env, flags)
  std::function<nlohmann::json(const Config&)> get;
};

std::optional<int64_t> parse_int(const std::string& s) {
  if (s.empty()) return std::nullopt;
  size_t used = 0;
  try {
    const long long v = std::stoll(s, &used);
    if (used != s.size()) return std::nullopt;
    return v;
  } catch (...) {
    return std::nullopt;
  }
}

std::optional<bool> parse_bool(const std::string& s) {
  if (s == "true" || s == "1" || s == "yes" || s == "on") return true;
  if (s == "false" || s == "0" || s == "no" || s == "off") return false;
  return std::nullopt;
}

SettingImpl str(std::string name, std::string Config::*field, std::string def, std::string desc) {
  return {{name, "string", std::move(def), std::move(desc)},
          [field](Config& c, const std::string& v) -> std::optional<std::string> {
            c.*field = v;
            return std::nullopt;
          },
          [field](const Config& c) { return nlohmann::json(c.*field); }};
}

SettingImpl integer(std::string name, int64_t Config::*field, int64_t min, int64_t max,
                    std::string desc) {
  const std::string def = std::to_string(Config{}.*field);
  return {{name, "integer", def, std::move(desc)},
          [field, min, max, name](Config& c, const std::string& v) -> std::optional<std::string> {
            auto n = parse_int(v);
            if (!n || *n < min || *n > max) {
              return name + " must be an integer between " + std::to_string(min) + " and " +
                     std::to_string(max) + ", got '" + v + "'";
            }
            c.*field = *n;
            return std::nullopt;
          },
          [field](const Config& c) { return nlohmann::json(c.*field); }};
}

SettingImpl boolean(std::string name, bool Config::*field, std::string desc) {
  return {{name, "boolean", Config{}.*field ? "true" : "false", std::move(desc)},
          [field, name](Config& c, const std::string& v) -> std::optional<std::string> {
            auto b = parse_bool(v);
            if (!b) return name + " must be true or false, got '" + v + "'";
            c.*field = *b;
            return std::nullopt;
          },
          [field](const Config& c) { return nlohmann::json(c.*field); }};
}

const std::vector<SettingImpl>& settings() {
  static const std::vector<SettingImpl> all = [] {
    std::vector<SettingImpl> s;
    s.push_back(str("listen", &Config::listen, "127.0.0.1:8080",
                    "Address and port the HTTP(S) server listens on."));
    s.push_back(str("public_url", &Config::public_url, "http://{listen}",
                    "The URL clients reach Gatehouse at; every issuer is {public_url}/{env}. Must "
                    "be https unless it is a loopback address."));
    s.push_back(str("data_dir", &Config::data_dir, "./var",
                    "Directory for the embedded SQLite store, demo.json and local key files."));
    s.push_back(str("store", &Config::store, "sqlite:{data_dir}/gatehouse.db",
                    "The store: sqlite:PATH, or postgres://user:pass@host:port/db (also "
                    "postgresql://) for several nodes."));
    s.push_back(str("sqlite_synchronous", &Config::sqlite_synchronous, "full",
                    "SQLite durability: full survives a process and an OS crash; normal (WAL) "
                    "survives a process crash but may lose the last commits on an OS crash."));
    s.push_back(integer("store_pool_size", &Config::store_pool_size, 1, 256,
                        "Store connections per process."));
    s.push_back(boolean("migrate_on_start", &Config::migrate_on_start,
                        "Apply pending schema migrations when `serve` starts."));
    s.push_back(str("tls_cert", &Config::tls_cert, "(empty)",
                    "PEM certificate chain; with tls_key, Gatehouse serves HTTPS natively."));
    s.push_back(str("tls_key", &Config::tls_key, "(empty)", "PEM private key for tls_cert."));
    s.push_back({{"trusted_proxies", "list", "[] (none)",
                  "IP addresses or CIDR ranges whose X-Forwarded-For/-Proto/-Host headers are "
                  "believed. Comma-separated in the environment and flags."},
                 [](Config& c, const std::string& v) -> std::optional<std::string> {
                   c.trusted_proxies.clear();
                   size_t start = 0;
                   while (start <= v.size()) {
                     size_t comma = v.find(',', start);
                     std::string item = v.substr(start, comma - start);
                     item.erase(std::remove_if(item.begin(), item.end(), ::isspace), item.end());
                     if (!item.empty()) c.trusted_proxies.push_back(item);
                     if (comma == std::string::npos) break;
                     start = comma + 1;
                   }
                   return std::nullopt;
                 },
                 [](const Config& c) { return nlohmann::json(c.trusted_proxies); }});
    s.push_back(str("metrics_listen", &Config::metrics_listen, "(empty)",
                    "Serve /metrics on this separate address instead of the main listener."));
    s.push_back(integer("io_threads", &Config::io_threads, 0, 256,
                        "Threads running network I/O; 0 means one per core."));
    s.push_back(integer("worker_threads", &Config::worker_threads, 0, 1024,
                        "Threads for blocking work (store, crypto); 0 means two per core."));
    s.push_back(integer("worker_queue_limit", &Config::worker_queue_limit, 1, 1'000'000,
                        "Requests waiting for a worker beyond this are answered 503 "
                        "server.overloaded."));
    s.push_back(integer("max_connections", &Config::max_connections, 1, 1'000'000,
                        "Open connections beyond this are answered 503 and closed."));
    s.push_back(integer("max_header_bytes", &Config::max_header_bytes, 1024, 1024 * 1024,
                        "Largest request line plus headers; larger gets 431."));
    s.push_back(integer("max_body_bytes", &Config::max_body_bytes, 0, 64 * 1024 * 1024,
                        "Default largest request body; routes may set less or more; larger "
                        "gets 413."));
    s.push_back(integer("read_timeout_ms", &Config::read_timeout_ms, 100, 3'600'000,
                        "Time allowed to receive one whole request; slower gets 408."));
    s.push_back(integer("idle_timeout_ms", &Config::idle_timeout_ms, 100, 3'600'000,
                        "Keep-alive connections idle this long are closed."));
    s.push_back(integer("drain_timeout_ms", &Config::drain_timeout_ms, 0, 3'600'000,
                        "On SIGTERM/SIGINT, how long in-flight requests may finish."));
    s.push_back(integer("cache_ttl_ms", &Config::cache_ttl_ms, 0, 3'600'000,
                        "Upper bound on how long a node serves cached configuration after "
                        "another node changed it, should a change notification be lost."));
    s.push_back({{"dns_nameserver", "string", "(empty: system resolver)",
                  "IPv4 address[:port] of the DNS server that domain verification asks for TXT "
                  "records."},
                 [](Config& c, const std::string& v) -> std::optional<std::string> {
                   // Checked here so that `serve` refuses a bad value before it starts.
                   const size_t colon = v.find(':');
                   const std::string host = v.substr(0, colon);
                   in_addr addr{};
                   auto port = colon == std::string::npos ? std::optional<int64_t>(53)
                                                          : parse_int(v.substr(colon + 1));
                   if (!v.empty() && (inet_pton(AF_INET, host.c_str(), &addr) != 1 || !port ||
                                      *port < 1 || *port > 65535)) {
                     return "dns_nameserver must be an IPv4 address with an optional :port "
                            "(e.g. 192.0.2.53:53), got '" +
                            v + "'";
                   }
                   c.dns_nameserver = v;
                   return std::nullopt;
                 },
                 [](const Config& c) { return nlohmann::json(c.dns_nameserver); }});
    s.push_back(integer("domain_reverify_interval_s", &Config::domain_reverify_interval_s, 1,
                        30LL * 24 * 3600,
                        "Seconds between scheduled re-verifications of each domain."));
    s.push_back(integer("domain_check_timeout_ms", &Config::domain_check_timeout_ms, 100, 60'000,
                        "How long one DNS TXT lookup may take (rounded up to whole seconds)."));
    s.push_back(integer("login_trace_retention_days", &Config::login_trace_retention_days, 1, 3650,
                        "Days a login's trace is kept (sealed as organization data)."));
    s.push_back(
        str("log_level", &Config::log_level, "info", "trace, debug, info, warn, error or off."));
    s.push_back(str("pepper_file", &Config::pepper_file, "{data_dir}/pepper",
                    "File holding the server pepper under which API keys and other compared "
                    "secrets are hashed (HMAC-SHA-256). Created with 256 random bits on first use. "
                    "All nodes sharing a store need the same file."));
    s.push_back(str("master_key_file", &Config::master_key_file, "{data_dir}/master.key",
                    "File holding the local key-encryption key (256 bits) that wraps every data "
                    "key. Created 0600 on first use; GATEHOUSE_MASTER_KEY (hex or base64) "
                    "overrides it. All nodes sharing a store need the same key."));
    s.push_back(str("kek_pkcs11_modules", &Config::kek_pkcs11_modules, "",
                    "Comma-separated PKCS#11 module paths that customer-managed keys may use "
                    "(an allow-list: the API never loads any other module)."));
    s.push_back(integer("key_rotation_check_s", &Config::key_rotation_check_s, 1, 86'400,
                        "Seconds between checks for due signing-key rotations."));
    s.push_back(integer("rate_limit_admin_per_s", &Config::rate_limit_admin_per_s, 1, 1'000'000,
                        "Admin API requests per second per API key and per organization "
                        "(token bucket refill rate)."));
    s.push_back(integer("rate_limit_admin_burst", &Config::rate_limit_admin_burst, 1, 1'000'000,
                        "Admin API burst per API key and per organization (bucket size)."));
    s.push_back(boolean("access_log", &Config::access_log,
                        "Write one JSON line per request (with its request id)."));
    s.push_back(integer("webhook_retry_base_ms", &Config::webhook_retry_base_ms, 1, 3'600'000,
                        "First webhook retry delay; each later one doubles (with jitter)."));
    s.push_back(integer("webhook_retry_max_ms", &Config::webhook_retry_max_ms, 1, 86'400'000,
                        "Cap on one webhook retry delay."));
    s.push_back(integer("webhook_max_attempts", &Config::webhook_max_attempts, 1, 100,
                        "Attempts per webhook delivery before it is marked failed."));
    s.push_back(integer("webhook_timeout_ms", &Config::webhook_timeout_ms, 100, 120'000,
                        "Time allowed for one webhook request (connect, send, answer)."));
    s.push_back(integer("webhook_delivery_threads", &Config::webhook_delivery_threads, 0, 64,
                        "Threads sending webhooks per node; 0 disables delivery on this node."));
    return s;
  }();
  return all;
}

std::string toml_value_text(const toml::node& node) {
  if (auto v = node.as_string()) return v->get();
  if (auto v = node.as_integer()) return std::to_string(v->get());
  if (auto v = node.as_boolean()) return v->get() ? "true" : "false";
  if (auto arr = node.as_array()) {
    std::string joined;
    for (const auto& item : *arr) {
      if (!joined.empty()) joined += ',';
      joined += toml_value_text(item);
    }
    return joined;
  }
  return {};
}

}  // namespace

const std::vector<ConfigSetting>& config_settings() {
  static const std::vector<ConfigSetting> docs = [] {
    std::vector<ConfigSetting> d;
    for (const auto& s : settings()) d.push_back(s.doc);
    return d;
  }();
  return docs;
}

std::map<std::string, std::string> gatehouse_environment() {
  std::map<std::string, std::string> env;
  for (char** e = environ; e && *e; ++e) {
    std::string_view kv(*e);
    if (kv.rfind("GATEHOUSE_", 0) != 0) continue;
    const size_t eq = kv.find('=');
    if (eq == std::string_view::npos) continue;
    env.emplace(std::string(kv.substr(0, eq)), std::string(kv.substr(eq + 1)));
  }
  return env;
}

Result<std::pair<std::string, uint16_t>> parse_host_port(const std::string& s) {
  std::string host;
  std::string port;
  if (!s.empty() && s[0] == '[') {
    const size_t close = s.find(']');
    if (close == std::string::npos || close + 1 >= s.size() || s[close + 1] != ':') {
      return fail(errc::ConfigInvalid, "'" + s + "' is not host:port");
    }
    host = s.substr(1, close - 1);
    port = s.substr(close + 2);
  } else {
    const size_t colon = s.rfind(':');
    if (colon == std::string::npos) {
      return fail(errc::ConfigInvalid, "'" + s + "' is not host:port");
    }
    host = s.substr(0, colon);
    port = s.substr(colon + 1);
  }
  auto p = parse_int(port);
  if (host.empty() || !p || *p < 0 || *p > 65535) {
    return fail(errc::ConfigInvalid, "'" + s + "' is not host:port");
  }
  return std::pair{host, static_cast<uint16_t>(*p)};
}

bool is_loopback_url(const std::string& url) {
  const size_t scheme_end = url.find("://");
  if (scheme_end == std::string::npos) return false;
  std::string rest = url.substr(scheme_end + 3);
  rest = rest.substr(0, rest.find_first_of("/?#"));
  const size_t at = rest.rfind('@');
  if (at != std::string::npos) rest = rest.substr(at + 1);
  std::string host;
  if (!rest.empty() && rest[0] == '[') {
    host = rest.substr(1, rest.find(']') - 1);
  } else {
    host = rest.substr(0, rest.find(':'));
  }
  std::transform(host.begin(), host.end(), host.begin(), ::tolower);
  if (host == "localhost" || host == "::1") return true;
  in_addr v4{};
  if (inet_pton(AF_INET, host.c_str(), &v4) != 1) return false;
  return (ntohl(v4.s_addr) >> 24) == 127;
}

Result<Config> load_config(const std::optional<std::string>& file,
                           const std::map<std::string, std::string>& environment,
                           const std::map<std::string, std::string>& overrides) {
  Config config;
  auto apply = [&](const std::string& name, const std::string& value,
                   const std::string& source) -> std::optional<Error> {
    for (const auto& s : settings()) {
      if (s.doc.name != name) continue;
      if (auto err = s.set(config, value)) {
        return Error(errc::ConfigInvalid, *err + " (from " + source + ")");
      }
      return std::nullopt;
    }
    return Error(errc::ConfigInvalid, "unknown setting '" + name + "' (from " + source +
                                          "); see docs/configuration.md for the list");
  };

  if (file) {
    toml::table table;
    try {
      table = toml::parse_file(*file);
    } catch (const toml::parse_error& e) {
      std::string msg = "cannot read " + *file + ": " + std::string(e.description());
      if (e.source().begin) {
        msg += " at line " + std::to_string(e.source().begin.line) + ", column " +
               std::to_string(e.source().begin.column);
      }
      return fail(errc::ConfigInvalid, msg);
    }
    for (const auto& [key, node] : table) {
      if (auto err = apply(std::string(key.str()), toml_value_text(node), *file)) {
        return fail(*err);
      }
    }
  }
  for (const auto& s : settings()) {
    std::string env_name = "GATEHOUSE_" + s.doc.name;
    std::transform(env_name.begin(), env_name.end(), env_name.begin(), ::toupper);
    if (auto it = environment.find(env_name); it != environment.end()) {
      if (auto err = apply(s.doc.name, it->second, env_name)) return fail(*err);
    }
  }
  for (const auto& [name, value] : overrides) {
    if (auto err = apply(name, value, "--" + name)) return fail(*err);
  }

  auto hp = parse_host_port(config.listen);
  if (!hp) return fail(errc::ConfigInvalid, "listen: " + hp.error().message);
  config.listen_host = hp->first;
  config.listen_port = hp->second;
  if (!config.metrics_listen.empty()) {
    auto mhp = parse_host_port(config.metrics_listen);
    if (!mhp) return fail(errc::ConfigInvalid, "metrics_listen: " + mhp.error().message);
  }
  if (config.public_url.empty()) {
    const bool tls = !config.tls_cert.empty();
    const std::string host = config.listen_host.find(':') != std::string::npos
                                 ? "[" + config.listen_host + "]"
                                 : config.listen_host;
    config.public_url =
        std::string(tls ? "https://" : "http://") + host + ":" + std::to_string(config.listen_port);
  }
  while (!config.public_url.empty() && config.public_url.back() == '/')
    config.public_url.pop_back();
  if (config.public_url.rfind("https://", 0) != 0 && config.public_url.rfind("http://", 0) != 0) {
    return fail(errc::ConfigInvalid,
                "public_url must start with https:// (or http:// on a loopback address), got '" +
                    config.public_url + "'");
  }
  if (config.store.empty()) config.store = "sqlite:" + config.data_dir + "/gatehouse.db";
  if (config.sqlite_synchronous != "full" && config.sqlite_synchronous != "normal") {
    return fail(errc::ConfigInvalid, "sqlite_synchronous must be full or normal");
  }
  if (config.tls_cert.empty() != config.tls_key.empty()) {
    return fail(errc::ConfigInvalid, "tls_cert and tls_key must be set together");
  }
  static const std::vector<std::string> levels = {"trace", "debug", "info", "warn", "error", "off"};
  if (std::find(levels.begin(), levels.end(), config.log_level) == levels.end()) {
    return fail(errc::ConfigInvalid,
                "log_level must be one of trace, debug, info, warn, "
                "error, off");
  }
  return config;
}

std::string describe_config(const Config& config) {
  nlohmann::json j = nlohmann::json::object();
  for (const auto& s : settings()) {
    j[s.doc.name] = s.get(config);
  }
  // The store URL may carry a password.
  std::string store = config.store;
  const size_t scheme = store.find("://");
  const size_t at = store.find('@');
  if (scheme != std::string::npos && at != std::string::npos && at > scheme) {
    const size_t colon = store.find(':', scheme + 3);
    if (colon != std::string::npos && colon < at) store.replace(colon + 1, at - colon - 1, "***");
  }
  j["store"] = store;
  return j.dump(2);
}

}  // namespace gh
