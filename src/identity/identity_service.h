// Users and identity bindings: the IdentityResolver hosted login calls when a connection's login
// finishes, the UserDirectory the OIDC provider reads claims from, and the admin operations
// (users, bindings, suspension). Every change runs in one transaction with its audit record and
// its outbox event (user.created, user.linked, user.login, user.binding_added,
// user.binding_removed, user.suspended, user.activated).
//
// Resolution of a login (connection, issuer, subject):
//   1. bound already → that user (refused with identity.user_inactive unless active); the
//      profile (names, email when free, attributes) is refreshed from the IdP.
//   2. a user of the organization has the email → linked only when the organization's policy
//      says email_linking "verified_domains", the email's domain is verified by this
//      organization (not a guest domain), and the connection was allowed to link by an admin
//      (LoginIdentity::connection_may_link_by_email); identity.email_in_use otherwise. So a
//      connection added later never inherits users by email unless an admin says so.
//   3. nobody → created just in time when provisioning_mode is "jit";
//      identity.provisioning_refused for "directory_only".
// A dry run (test-connection logins) reads in a read-only transaction and writes nothing.
//
// Attributes are stored as given: the federation side applies the catalog's checks first.
//
// Wiring (app/): IdentityService(store, tenancy_service, clock).
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/clock.h"
#include "identity/login_identity.h"
#include "identity/user_directory.h"
#include "store/store.h"
#include "tenancy/service.h"

namespace gh::identity {

struct NewBinding {
  std::string connection_id;
  std::string issuer;
  std::string subject;
};

nlohmann::json user_json(const store::User& u);
nlohmann::json binding_json(const store::IdentityBinding& b);

class IdentityService final : public UserDirectory, public IdentityResolver {
 public:
  IdentityService(store::Store& store, tenancy::TenancyService& tenancy,
                  const Clock& clock = SystemClock::instance());

  // UserDirectory.
  Result<UserClaims> claims(std::string_view environment_id, std::string_view organization_id,
                            std::string_view user_id) override;
  // IdentityResolver.
  Result<ResolvedUser> resolve(const LoginIdentity& identity, bool dry_run) override;

  // Admin. identity.user_not_found (tenant.not_found for the organization) across tenants.
  Result<store::PageOf<store::User>> list_users(const store::Environment& env,
                                                std::string_view organization_id,
                                                const store::Page& page);
  Result<store::User> get_user(const store::Environment& env, std::string_view organization_id,
                               std::string_view user_id);
  Result<std::vector<store::IdentityBinding>> bindings(const store::Environment& env,
                                                       std::string_view organization_id,
                                                       std::string_view user_id);
  // Explicit re-binding: identity.binding_exists while the subject is bound to anyone.
  Result<store::IdentityBinding> add_binding(const store::Environment& env,
                                             std::string_view organization_id,
                                             std::string_view user_id, const NewBinding& in,
                                             const tenancy::Actor& actor);
  Result<store::IdentityBinding> remove_binding(const store::Environment& env,
                                                std::string_view organization_id,
                                                std::string_view user_id,
                                                std::string_view binding_id,
                                                const tenancy::Actor& actor);
  // active | suspended (identity.invalid_state otherwise); suspending revokes the user's live
  // sessions through sessions::revoke_user_sessions. `expected_version` <= 0: any version.
  Result<store::User> set_state(const store::Environment& env, std::string_view organization_id,
                                std::string_view user_id, std::string_view state,
                                int64_t expected_version, const tenancy::Actor& actor);

  // Directory lifecycle (docs/scim.md): suspends the active just-in-time users (bound to a
  // connection, provisioned by no directory) of every organization whose policy sets
  // suspend_unseen_jit_users_after_days, when their last login (or, never signed in, their
  // creation) is older than that; each through set_state, so the revocation fan-out ends their
  // sessions, with actor system/jit-inactivity. At most `budget` suspensions per call;
  // returns how many.
  Result<int> suspend_unseen_jit_users(int budget);

 private:
  Result<ResolvedUser> resolve_in(store::Repositories& repos, const LoginIdentity& identity,
                                  bool dry_run);

  store::Store& store_;
  tenancy::TenancyService& tenancy_;
  const Clock& clock_;
};

}  // namespace gh::identity
