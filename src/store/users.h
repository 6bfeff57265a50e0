// Users and their identity bindings. A user is internal to one organization (its UUIDv7 is the
// `sub` of every token); an identity binding maps (connection, issuer, subject) to exactly one
// user. Both are tenant-scoped: the organization id leads every key and every query.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"
#include "store/organizations.h"

namespace gh::store {

struct User {
  std::string id;  // UUIDv7
  std::string environment_id;
  std::string organization_id;
  std::string state = "active";  // active | suspended | deprovisioned
  std::string email;             // normalized (normalize_email); "" when the IdP gave none
  bool email_verified = false;
  std::string name;
  std::string given_name;
  std::string family_name;
  nlohmann::json attributes = nlohmann::json::object();  // catalog claim name -> value
  int64_t version = 1;
  int64_t created_at_ms = 0;
  int64_t updated_at_ms = 0;
  int64_t last_login_at_ms = 0;  // 0: never signed in
};

struct IdentityBinding {
  std::string id;  // UUIDv7
  std::string environment_id;
  std::string organization_id;
  std::string user_id;
  std::string connection_id;
  std::string issuer;   // the IdP's entityID / issuer
  std::string subject;  // its stable subject for the person
  int64_t created_at_ms = 0;
  int64_t last_login_at_ms = 0;
};

// Trimmed, ASCII-lowercased. Email local parts are case-sensitive in theory (RFC 5321 §2.4)
// and never in practice; one spelling per person is what matching and uniqueness need.
std::string normalize_email(std::string_view email);

bool is_user_state(std::string_view state);  // active | suspended | deprovisioned

class UserRepository {
 public:
  virtual ~UserRepository() = default;
  // identity.email_in_use when another user of the organization has the (normalized) email.
  virtual Result<User> create(const User& user) = 0;
  // identity.user_not_found for unknown ids and other organizations' or environments' users.
  virtual Result<User> get(std::string_view environment_id, std::string_view organization_id,
                           std::string_view user_id) = 0;
  virtual Result<std::optional<User>> find_by_email(std::string_view environment_id,
                                                    std::string_view organization_id,
                                                    std::string_view email) = 0;
  // Ordered by id (time-ordered); `after` is the last id of the previous page.
  virtual Result<PageOf<User>> list(std::string_view environment_id,
                                    std::string_view organization_id, const Page& page) = 0;
  // Writes email, email_verified, names and attributes when `expected_version` is current
  // (request.precondition_failed otherwise); identity.email_in_use as create.
  virtual Result<User> update(const User& user, int64_t expected_version) = 0;
  // identity.invalid_state for anything but active | suspended | deprovisioned.
  virtual Result<User> set_state(std::string_view environment_id, std::string_view organization_id,
                                 std::string_view user_id, std::string_view state) = 0;
  // A login through `binding_id` (may be empty) at `now_ms`: last_login_at of both.
  virtual Result<bool> record_login(std::string_view environment_id,
                                    std::string_view organization_id, std::string_view user_id,
                                    std::string_view binding_id, int64_t now_ms) = 0;

  // identity.binding_exists when (organization, connection, issuer, subject) is bound already;
  // identity.user_not_found when the user is not the organization's.
  virtual Result<IdentityBinding> bind(const IdentityBinding& binding) = 0;
  virtual Result<std::optional<IdentityBinding>> find_binding(std::string_view environment_id,
                                                              std::string_view organization_id,
                                                              std::string_view connection_id,
                                                              std::string_view issuer,
                                                              std::string_view subject) = 0;
  // Ordered by creation.
  virtual Result<std::vector<IdentityBinding>> list_bindings(std::string_view environment_id,
                                                             std::string_view organization_id,
                                                             std::string_view user_id) = 0;
  // identity.binding_not_found unless the binding is this user's in this organization.
  virtual Result<IdentityBinding> remove_binding(std::string_view environment_id,
                                                 std::string_view organization_id,
                                                 std::string_view user_id,
                                                 std::string_view binding_id) = 0;
};

}  // namespace gh::store
