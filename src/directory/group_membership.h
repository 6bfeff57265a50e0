// The seam for roles derived from directory groups (the authorization issue plugs in here; no
// roles are built in this module). ScimService calls the observer once per group whose members
// change, inside the transaction of the SCIM request that changed them, after the change and
// its group.member_added / group.member_removed events are written: an observer that derives
// role assignments writes them in the same transaction, and its error rolls the whole request
// back (the IdP gets the SCIM error and retries), so groups and derived roles never disagree.
//
// Covered changes: a Group created with members, PUT/PATCH of a Group's members, DELETE of a
// Group (every member removed, group_deleted), DELETE of a User (removed from each of its
// groups). Nested groups arrive as members that are Groups; resolving them is the observer's.
#pragma once

#include <string>
#include <vector>

#include "core/result.h"
#include "store/store.h"

namespace gh::directory {

struct GroupMembershipChange {
  std::string environment_id;
  std::string organization_id;
  std::string directory_id;
  std::string group_id;              // the SCIM Group id
  std::string group_display_name;    // as stored
  std::vector<std::string> added;    // SCIM ids of Users or Groups
  std::vector<std::string> removed;  // SCIM ids of Users or Groups
  bool group_deleted = false;
};

class GroupMembershipObserver {
 public:
  virtual ~GroupMembershipObserver() = default;
  // `repos` is the SCIM request's transaction: read members' identity users through
  // repos.directories().get_resource(...).user_id, write derived state beside it.
  virtual Result<bool> memberships_changed(store::Repositories& repos,
                                           const GroupMembershipChange& change) = 0;
};

}  // namespace gh::directory
