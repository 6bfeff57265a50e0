#include "store/sql/saml_assertion_repo.h"

namespace gh::store {

Result<bool> SqlSamlAssertionRepository::record_use(const SamlAssertionUse& u, int64_t now_ms) {
  long long now = now_ms, expires = u.expires_at_ms;
  // An expired record of the same ID no longer blocks (the assertion's own window has closed,
  // so it fails the time checks anyway); then the insert decides, atomically on both engines.
  ctx_.sql << "DELETE FROM saml_assertion_ids WHERE organization_id = :org AND environment_id = "
              ":env AND connection_id = :conn AND assertion_id = :id AND expires_at <= :now",
      soci::use(u.organization_id), soci::use(u.environment_id), soci::use(u.connection_id),
      soci::use(u.assertion_id), soci::use(now);
  soci::statement st =
      (ctx_.sql.prepare << "INSERT INTO saml_assertion_ids (organization_id, environment_id, "
                           "connection_id, assertion_id, used_at, expires_at) VALUES (:org, :env, "
                           ":conn, :id, :now, :exp) ON CONFLICT DO NOTHING",
       soci::use(u.organization_id), soci::use(u.environment_id), soci::use(u.connection_id),
       soci::use(u.assertion_id), soci::use(now), soci::use(expires));
  st.execute(true);
  return st.get_affected_rows() == 1;
}

Result<int64_t> SqlSamlAssertionRepository::purge_expired(int64_t now_ms) {
  long long now = now_ms;
  soci::statement st =
      (ctx_.sql.prepare << "DELETE FROM saml_assertion_ids WHERE expires_at <= :now",
       soci::use(now));
  st.execute(true);
  return static_cast<int64_t>(st.get_affected_rows());
}

}  // namespace gh::store
