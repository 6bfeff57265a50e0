// Environments (like Keycloak realms): sandbox, production, more by name. Each owns its issuer
// {public_url}/{name}. Not tenant-scoped: an environment is above every organization.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"

namespace gh::store {

struct Environment {
  std::string id;  // UUIDv7
  std::string name;
  std::string display_name;
  std::string kind = "sandbox";  // sandbox | production (the test IdP exists only in sandbox)
  int64_t version = 1;           // optimistic concurrency; the ETag is "v{version}"
  int64_t created_at_ms = 0;
  int64_t updated_at_ms = 0;
};

// Names are URL path segments and parts of issuers: keep them boring.
bool is_valid_environment_name(std::string_view name);

class EnvironmentRepository {
 public:
  virtual ~EnvironmentRepository() = default;
  // environment.already_exists if the name is taken.
  virtual Result<Environment> create(const Environment& env) = 0;
  // environment.not_found.
  virtual Result<Environment> get(std::string_view name) = 0;
  virtual Result<std::vector<Environment>> list() = 0;
  // Writes display_name and kind when `expected_version` is current (then version+1);
  // request.precondition_failed otherwise; environment.not_found if it is gone.
  virtual Result<Environment> update(const Environment& env, int64_t expected_version) = 0;
};

}  // namespace gh::store
