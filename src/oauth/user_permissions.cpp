#include "oauth/user_permissions.h"

#include <algorithm>

namespace gh::oauth {

Result<std::vector<std::string>> ApplicationGrantPermissions::permitted(const PermissionQuery& q) {
  auto grants = store_.read<std::vector<store::ResourceGrant>>([&](store::Repositories& r) {
    return r.applications().list_grants(q.env.id, q.app.organization_id, q.app.id);
  });
  if (!grants) return fail(grants.error());
  std::vector<std::string> out;
  for (const auto& g : *grants) {
    if (g.resource_id != q.resource.id) continue;
    for (const auto& p : q.requested) {
      if (std::find(g.permissions.begin(), g.permissions.end(), p) != g.permissions.end()) {
        out.push_back(p);
      }
    }
  }
  return out;
}

}  // namespace gh::oauth
