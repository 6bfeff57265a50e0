// Which of the requested permissions of a resource a user's token may carry. The seam the
// authorization issue (roles, rules, Cedar) replaces; until then a user receives the requested
// permissions that the application itself is granted on the resource.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"
#include "store/store.h"

namespace gh::oauth {

struct PermissionQuery {
  const store::Environment& env;
  std::string organization_id;  // the user's organization
  const store::Application& app;
  std::string user_id;
  const store::Resource& resource;
  std::vector<std::string> requested;
};

class UserPermissions {
 public:
  virtual ~UserPermissions() = default;
  // A subset of query.requested, in its order.
  virtual Result<std::vector<std::string>> permitted(const PermissionQuery& query) = 0;
};

class ApplicationGrantPermissions final : public UserPermissions {
 public:
  explicit ApplicationGrantPermissions(store::Store& store) : store_(store) {}
  Result<std::vector<std::string>> permitted(const PermissionQuery& query) override;

 private:
  store::Store& store_;
};

}  // namespace gh::oauth
