// Gatehouse configuration: a TOML file (--config), overridden by GATEHOUSE_* environment
// variables, overridden by command-line flags. Every setting is documented with its default in
// docs/configuration.md; config_settings() is the one list all three sources go through.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "core/result.h"

namespace gh {

struct Config {
  std::string listen = "127.0.0.1:8080";
  std::string public_url;  // default: http://{listen}
  std::string data_dir = "./var";
  std::string store;  // default: sqlite:{data_dir}/gatehouse.db
  std::string sqlite_synchronous = "full";
  int64_t store_pool_size = 8;
  bool migrate_on_start = true;
  std::string tls_cert;
  std::string tls_key;
  std::vector<std::string> trusted_proxies;
  std::string metrics_listen;  // empty: /metrics on the main listener
  int64_t io_threads = 0;      // 0: one per core
  int64_t worker_threads = 0;  // 0: two per core
  int64_t worker_queue_limit = 1024;
  int64_t max_connections = 10000;
  int64_t max_header_bytes = 16 * 1024;
  int64_t max_body_bytes = 1024 * 1024;
  int64_t read_timeout_ms = 10'000;
  int64_t idle_timeout_ms = 60'000;
  int64_t drain_timeout_ms = 10'000;
  int64_t cache_ttl_ms = 30'000;
  std::string pepper_file;  // default: {data_dir}/pepper
  int64_t rate_limit_admin_per_s = 50;
  int64_t rate_limit_admin_burst = 100;
  int64_t webhook_retry_base_ms = 5'000;
  int64_t webhook_retry_max_ms = 3'600'000;
  int64_t webhook_max_attempts = 12;
  int64_t webhook_timeout_ms = 10'000;
  int64_t webhook_delivery_threads = 2;
  std::string dns_nameserver;  // empty: the system resolver
  int64_t domain_reverify_interval_s = 86'400;
  int64_t domain_check_timeout_ms = 3'000;
  std::string log_level = "info";
  bool access_log = true;
  std::string master_key_file;     // default: {data_dir}/master.key
  std::string kek_pkcs11_modules;  // comma-separated allow-list of PKCS#11 module paths
  int64_t key_rotation_check_s = 60;
  int64_t login_trace_retention_days = 30;

  // Derived after loading.
  std::string listen_host;
  uint16_t listen_port = 0;
};

struct ConfigSetting {
  std::string name;         // TOML key and flag name (with '-' for '_'), env GATEHOUSE_{NAME}
  std::string type;         // string | integer | boolean | list
  std::string default_doc;  // for docs/configuration.md
  std::string description;
};
const std::vector<ConfigSetting>& config_settings();

// `overrides` are flag values by setting name (they win over env and file).
Result<Config> load_config(const std::optional<std::string>& file,
                           const std::map<std::string, std::string>& environment,
                           const std::map<std::string, std::string>& overrides);

// The process environment's GATEHOUSE_* variables as a map.
std::map<std::string, std::string> gatehouse_environment();

// Whether a URL's host is a loopback address (127.0.0.0/8, ::1, localhost).
bool is_loopback_url(const std::string& url);

// Split "host:port" ("[::1]:8080" for IPv6).
Result<std::pair<std::string, uint16_t>> parse_host_port(const std::string& s);

// The effective configuration as JSON-like text for `gatehouse config check`.
std::string describe_config(const Config& config);

}  // namespace gh
