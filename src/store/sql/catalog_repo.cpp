#include "store/sql/catalog_repo.h"
#include "catalog/error_codes.h"

namespace gh::store {

namespace {

Error version_not_found(int64_t version) {
  return Error(errc::CatalogVersionNotFound,
               "This catalog has no version " + std::to_string(version));
}

Error conflict() {
  return Error(errc::RequestPreconditionFailed,
               "The catalog was changed by someone else; read it again");
}

}  // namespace

Result<std::optional<CatalogVersionRow>> SqlCatalogRepository::select_one(
    std::string_view environment_id, std::string_view organization_id, int64_t version) {
  CatalogVersionRow r;
  long long v = 0, created = 0;
  const std::string env(environment_id), org(organization_id);
  // version 0: the newest.
  long long wanted = version;
  ctx_.sql << "SELECT environment_id, organization_id, version, document, diff, action, "
              "actor_type, actor_id, created_at FROM catalog_versions WHERE organization_id = "
              ":org AND environment_id = :env AND (version = :v OR (:v2 = 0 AND version = (SELECT "
              "MAX(version) FROM catalog_versions WHERE organization_id = :org2 AND "
              "environment_id = :env2)))",
      soci::use(org), soci::use(env), soci::use(wanted), soci::use(wanted), soci::use(org),
      soci::use(env), soci::into(r.environment_id), soci::into(r.organization_id), soci::into(v),
      soci::into(r.document), soci::into(r.diff), soci::into(r.action), soci::into(r.actor_type),
      soci::into(r.actor_id), soci::into(created);
  if (!ctx_.sql.got_data()) return std::optional<CatalogVersionRow>();
  r.version = v;
  r.created_at_ms = created;
  return std::optional<CatalogVersionRow>(std::move(r));
}

Result<std::optional<CatalogVersionRow>> SqlCatalogRepository::current(
    std::string_view environment_id, std::string_view organization_id) {
  return select_one(environment_id, organization_id, 0);
}

Result<CatalogVersionRow> SqlCatalogRepository::get(std::string_view environment_id,
                                                    std::string_view organization_id,
                                                    int64_t version) {
  if (version <= 0) return fail(version_not_found(version));
  auto row = select_one(environment_id, organization_id, version);
  if (!row) return fail(row.error());
  if (!*row) return fail(version_not_found(version));
  return std::move(**row);
}

Result<std::vector<CatalogVersionRow>> SqlCatalogRepository::list(std::string_view environment_id,
                                                                  std::string_view organization_id,
                                                                  int64_t before, int limit) {
  std::vector<CatalogVersionRow> out;
  CatalogVersionRow r;
  long long v = 0, created = 0;
  long long below = before > 0 ? before : INT64_MAX;
  int lim = limit;
  const std::string env(environment_id), org(organization_id);
  soci::statement st =
      (ctx_.sql.prepare << "SELECT environment_id, organization_id, version, diff, action, "
                           "actor_type, actor_id, created_at FROM catalog_versions WHERE "
                           "organization_id = :org AND environment_id = :env AND version < :b "
                           "ORDER BY version DESC LIMIT :lim",
       soci::use(org), soci::use(env), soci::use(below), soci::use(lim),
       soci::into(r.environment_id), soci::into(r.organization_id), soci::into(v),
       soci::into(r.diff), soci::into(r.action), soci::into(r.actor_type), soci::into(r.actor_id),
       soci::into(created));
  st.execute();
  while (st.fetch()) {
    CatalogVersionRow row = r;
    row.version = v;
    row.created_at_ms = created;
    out.push_back(std::move(row));
  }
  return out;
}

Result<CatalogVersionRow> SqlCatalogRepository::append(const CatalogVersionRow& in) {
  auto cur = current(in.environment_id, in.organization_id);
  if (!cur) return fail(cur.error());
  const int64_t expected = *cur ? (*cur)->version + 1 : 1;
  if (in.version != expected) return fail(conflict());
  CatalogVersionRow r = in;
  r.created_at_ms = ctx_.clock.now_ms();
  long long v = r.version, created = r.created_at_ms;
  try {
    ctx_.sql << "INSERT INTO catalog_versions (organization_id, environment_id, version, "
                "document, diff, action, actor_type, actor_id, created_at) VALUES (:org, :env, "
                ":v, :doc, :diff, :action, :at, :aid, :created)",
        soci::use(r.organization_id), soci::use(r.environment_id), soci::use(v),
        soci::use(r.document), soci::use(r.diff), soci::use(r.action), soci::use(r.actor_type),
        soci::use(r.actor_id), soci::use(created);
  } catch (const soci::soci_error& e) {
    // Two writers read the same current version; the primary key lets one of them in.
    if (!is_constraint_violation(e)) throw;
    return fail(conflict());
  }
  return r;
}

}  // namespace gh::store
