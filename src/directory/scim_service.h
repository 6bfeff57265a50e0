// The SCIM 2.0 service provider of one directory (RFC 7643, RFC 7644) for Users and Groups, as
// Entra ID and Okta really send it (docs/scim.md):
// - Users are users of the directory's organization: creating one creates the identity user
//   (email from the primary email, else a userName that is an address; names), and the SCIM
//   resource links to it. Deactivation (active false, by PATCH or PUT) and DELETE suspend the
//   identity user through IdentityService::set_state, so its sessions end through the
//   revocation fan-out; reactivation makes it active again (new logins only). DELETE then marks
//   the identity user deprovisioned.
// - Groups keep their members in scim_members; member ids must be Users or Groups of the
//   same directory.
// - Filters use the full RFC 7644 grammar; eq on userName, externalId, displayName and
//   emails.value (any email, also Entra's emails[type eq "work"].value eq) is answered from
//   indexes (store/directories.h ScimIndex), everything else is
//   evaluated over the directory's resources in id order. Paging is by startIndex/count over
//   id (creation) order unless sortBy asks otherwise.
// - Every write is one transaction with its audit record and outbox event (user.created,
//   user.updated, user.deactivated, user.reactivated, user.deleted, group.created,
//   group.updated, group.deleted, group.member_added, group.member_removed); nothing is
//   applied when any part fails.
#pragma once

#include <map>
#include <memory>
#include <string>

#include "catalog/service.h"
#include "directory/directory_service.h"
#include "directory/group_membership.h"
#include "directory/patch.h"
#include "identity/identity_service.h"

namespace gh::directory {

inline constexpr std::string_view kScimUserUrn = "urn:ietf:params:scim:schemas:core:2.0:User";
inline constexpr std::string_view kScimGroupUrn = "urn:ietf:params:scim:schemas:core:2.0:Group";
inline constexpr std::string_view kScimEnterpriseUrn =
    "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User";
inline constexpr std::string_view kScimListUrn =
    "urn:ietf:params:scim:api:messages:2.0:ListResponse";
inline constexpr std::string_view kScimErrorUrn = "urn:ietf:params:scim:api:messages:2.0:Error";
inline constexpr int kScimMaxResults = 1000;

// List query parameters (RFC 7644 §3.4.2).
struct ScimQuery {
  std::string filter;
  std::string sort_by;
  bool descending = false;
  int64_t start_index = 1;
  int count = 100;
  std::vector<std::string> attributes;
  std::vector<std::string> excluded;
};

// The SCIM answer: status and body (null body: 204).
struct ScimReply {
  int status = 200;
  nlohmann::json body;
  int64_t version = 0;  // ETag W/"version" when non-zero
  std::string location;
};

nlohmann::json scim_error_body(const ScimError& e);

// The index a list filter is answered from: an `eq` anywhere in the top-level conjunction on
// userName (Users), externalId, displayName or emails.value (Users; also `emails eq`,
// `emails[value eq ...]` and Entra's `emails[type eq "work"].value eq ...`), with the value to
// look up (lowercased where the column is); nullopt when the filter is evaluated over the
// directory. The whole filter is still evaluated on each candidate.
std::optional<std::pair<store::ScimIndex, std::string>> filter_index(const Filter& f,
                                                                     const std::string& type);
// Keeps id, schemas and meta always; RFC 7644 §3.4.2.5.
nlohmann::json project(const nlohmann::json& resource, const std::vector<std::string>& attributes,
                       const std::vector<std::string>& excluded);

class ScimService {
 public:
  ScimService(store::Store& store, tenancy::TenancyService& tenancy,
              std::shared_ptr<identity::IdentityService> identity,
              std::shared_ptr<catalog::CatalogService> catalog,
              const Clock& clock = SystemClock::instance());

  // type: "User" | "Group". `base_url` is {public_url}/scim/v2/{directory_id}.
  ScimResult<ScimReply> create(const ScimCaller& c, const std::string& base_url,
                               const std::string& type, const nlohmann::json& body,
                               const tenancy::Actor& actor);
  ScimResult<ScimReply> get(const ScimCaller& c, const std::string& base_url,
                            const std::string& type, const std::string& id);
  ScimResult<ScimReply> list(const ScimCaller& c, const std::string& base_url,
                             const std::string& type, const ScimQuery& q);
  // PUT (replace) and PATCH; `if_match` is the If-Match header (412 when it names another
  // version).
  ScimResult<ScimReply> replace(const ScimCaller& c, const std::string& base_url,
                                const std::string& type, const std::string& id,
                                const nlohmann::json& body, std::optional<std::string> if_match,
                                const tenancy::Actor& actor);
  ScimResult<ScimReply> patch(const ScimCaller& c, const std::string& base_url,
                              const std::string& type, const std::string& id,
                              const nlohmann::json& body, std::optional<std::string> if_match,
                              const tenancy::Actor& actor);
  ScimResult<ScimReply> remove(const ScimCaller& c, const std::string& type, const std::string& id,
                               std::optional<std::string> if_match, const tenancy::Actor& actor);
  // POST /Bulk (RFC 7644 §3.7, directory/bulk.h): each operation runs as its own unit of work
  // (create/replace/patch/remove above), in request order except that an operation waits for
  // the POSTs whose bulkIds it references; failOnErrors stops after that many errors. The
  // BulkResponse lists each processed operation with its own status.
  ScimResult<ScimReply> bulk(const ScimCaller& c, const std::string& base_url,
                             const nlohmann::json& body, const tenancy::Actor& actor);

  // The roles-from-groups seam (directory/group_membership.h); none by default.
  void set_membership_observer(std::shared_ptr<GroupMembershipObserver> observer) {
    membership_observer_ = std::move(observer);
  }

  // Discovery, truthful about what the routes do.
  nlohmann::json service_provider_config(const std::string& base_url) const;
  nlohmann::json resource_types(const std::string& base_url) const;
  ScimResult<nlohmann::json> schemas(const ScimCaller& c, const std::string& base_url);

 private:
  // `doc` (the stored body) as the client sees it.
  nlohmann::json render(store::Repositories& repos, const store::ScimResource& r,
                        const std::string& base_url, bool with_links);
  ScimResult<ScimReply> write(
      const ScimCaller& c, const std::string& base_url, const std::string& type,
      const std::string& id,
      const std::function<ScimResult<nlohmann::json>(const nlohmann::json& current)>& change,
      std::optional<std::string> if_match, const tenancy::Actor& actor, bool no_content);
  Result<bool> memberships_changed(store::Repositories& repos, const ScimCaller& c,
                                   const std::string& group_id, const nlohmann::json& group_doc,
                                   std::vector<std::string> added, std::vector<std::string> removed,
                                   bool deleted);
  // Records a deactivation with the time the fan-out revoked the user's sessions (read back
  // from the session rows) for the reconciliation report.
  void record_deactivation(const ScimCaller& c, const std::string& scim_id,
                           const std::string& user_id, const std::string& cause);

  store::Store& store_;
  tenancy::TenancyService& tenancy_;
  std::shared_ptr<identity::IdentityService> identity_;
  std::shared_ptr<catalog::CatalogService> catalog_;
  const Clock& clock_;
  std::shared_ptr<GroupMembershipObserver> membership_observer_;
};

}  // namespace gh::directory
