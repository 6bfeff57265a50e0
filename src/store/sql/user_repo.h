// SQL repository of users and their identity bindings.
#pragma once

#include "store/sql/sql_store.h"
#include "store/users.h"

namespace gh::store {

class SqlUserRepository final : public UserRepository {
 public:
  explicit SqlUserRepository(SqlContext& ctx) : ctx_(ctx) {}
  Result<User> create(const User& user) override;
  Result<User> get(std::string_view environment_id, std::string_view organization_id,
                   std::string_view user_id) override;
  Result<std::optional<User>> find_by_email(std::string_view environment_id,
                                            std::string_view organization_id,
                                            std::string_view email) override;
  Result<PageOf<User>> list(std::string_view environment_id, std::string_view organization_id,
                            const Page& page) override;
  Result<User> update(const User& user, int64_t expected_version) override;
  Result<User> set_state(std::string_view environment_id, std::string_view organization_id,
                         std::string_view user_id, std::string_view state) override;
  Result<bool> record_login(std::string_view environment_id, std::string_view organization_id,
                            std::string_view user_id, std::string_view binding_id,
                            int64_t now_ms) override;
  Result<IdentityBinding> bind(const IdentityBinding& binding) override;
  Result<std::optional<IdentityBinding>> find_binding(std::string_view environment_id,
                                                      std::string_view organization_id,
                                                      std::string_view connection_id,
                                                      std::string_view issuer,
                                                      std::string_view subject) override;
  Result<std::vector<IdentityBinding>> list_bindings(std::string_view environment_id,
                                                     std::string_view organization_id,
                                                     std::string_view user_id) override;
  Result<IdentityBinding> remove_binding(std::string_view environment_id,
                                         std::string_view organization_id, std::string_view user_id,
                                         std::string_view binding_id) override;

 private:
  SqlContext& ctx_;
};

}  // namespace gh::store
