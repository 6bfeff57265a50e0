// The catalog over the store: reads and changes of an environment's catalog and of each
// organization's custom attributes. Every change appends a new version with its diff, an audit
// record and an outbox event in one transaction (tenancy::TenancyService::record); a change
// that names a stale version fails with request.precondition_failed and changes nothing.
#pragma once

#include <functional>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "catalog/attribute.h"
#include "core/clock.h"
#include "store/store.h"
#include "tenancy/service.h"

namespace gh::catalog {

struct VersionedCatalog {
  Catalog catalog;
  int64_t version = 0;  // 0: an organization that never added a custom attribute
  int64_t updated_at_ms = 0;
};

class CatalogService {
 public:
  CatalogService(store::Store& store, tenancy::TenancyService& tenancy,
                 const Clock& clock = SystemClock::instance());

  // organization_id "": the environment's catalog (the default catalog, as version 1, the
  // first time anyone reads it); otherwise that organization's custom attributes (unqualified
  // names), tenant.not_found for an organization not in the environment.
  Result<VersionedCatalog> get(const store::Environment& env, const std::string& organization_id);
  // What an organization sees: the environment's attributes, then its own (org.<ns>.<name>).
  Result<Catalog> effective(const store::Environment& env, const std::string& organization_id);

  // expected_version: the catalog version the caller read (If-Match), -1 for "whatever is
  // current" (still atomic). Organization attributes are named without their namespace.
  Result<VersionedCatalog> add_attribute(const store::Environment& env,
                                         const std::string& organization_id,
                                         const nlohmann::json& definition, int64_t expected_version,
                                         const tenancy::Actor& actor);
  // `patch` is merged over the definition (name cannot change).
  Result<VersionedCatalog> update_attribute(const store::Environment& env,
                                            const std::string& organization_id,
                                            const std::string& name, const nlohmann::json& patch,
                                            int64_t expected_version, const tenancy::Actor& actor);
  // replaced_by (optional) must be an attribute this catalog's users see.
  Result<VersionedCatalog> deprecate_attribute(
      const store::Environment& env, const std::string& organization_id, const std::string& name,
      const std::string& replaced_by, int64_t expected_version, const tenancy::Actor& actor);

  // Newest first, without documents.
  Result<std::vector<store::CatalogVersionRow>> versions(const store::Environment& env,
                                                         const std::string& organization_id,
                                                         int64_t before, int limit);
  Result<store::CatalogVersionRow> version(const store::Environment& env,
                                           const std::string& organization_id, int64_t version);
  // Changes from version `from` to version `to` (0: the empty catalog before the first).
  Result<nlohmann::json> diff(const store::Environment& env, const std::string& organization_id,
                              int64_t from, int64_t to);

  // An attribute name as given in a path: org custom attributes answer to both `badge_id` and
  // `org.<ns>.badge_id`.
  static std::string unqualified(const Catalog& organization, const std::string& name);

 private:
  using Mutation = std::function<Result<std::string>(Catalog& next, const Catalog& environment)>;
  Result<VersionedCatalog> change(const store::Environment& env, const std::string& org_id,
                                  int64_t expected_version, const tenancy::Actor& actor,
                                  const std::string& action, const Mutation& mutate);
  Result<VersionedCatalog> read_catalog(store::Repositories& repos, const store::Environment& env,
                                        const std::string& org_id);

  store::Store& store_;
  tenancy::TenancyService& tenancy_;
  const Clock& clock_;
};

nlohmann::json version_json(const store::CatalogVersionRow& row);

}  // namespace gh::catalog
