// The seam through which the OIDC provider (oauth/) reads a user's claims for ID tokens,
// UserInfo and access tokens. Users and identity bindings live in identity/.
#pragma once

#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "core/result.h"

namespace gh::identity {

struct UserClaims {
  std::string user_id;  // internal UUID: the `sub` of every token
  std::string environment_id;
  std::string organization_id;
  std::string state;  // active | suspended | deprovisioned
  std::string email;
  bool email_verified = false;
  std::string name;
  std::string given_name;
  std::string family_name;
  // Further catalog attributes by claim name (groups, department, ...), already checked
  // against the catalog when they were stored.
  nlohmann::json attributes = nlohmann::json::object();
};

class UserDirectory {
 public:
  virtual ~UserDirectory() = default;
  // identity.user_not_found for unknown users and other organizations' or environments' ids.
  virtual Result<UserClaims> claims(std::string_view environment_id,
                                    std::string_view organization_id, std::string_view user_id) = 0;
};

}  // namespace gh::identity
