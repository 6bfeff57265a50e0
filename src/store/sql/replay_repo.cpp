#include "store/sql/replay_repo.h"

namespace gh::store {

Result<bool> SqlReplayRepository::mark_once(const ReplayMark& m, int64_t now_ms) {
  long long now = now_ms, e = m.expires_at_ms;
  // An expired mark with the same key no longer protects anything: it gives way.
  ctx_.sql << "DELETE FROM oauth_replay_marks WHERE organization_id = :org AND environment_id = "
              ":env AND kind = :kind AND mark_key = :k AND expires_at <= :now",
      soci::use(m.organization_id), soci::use(m.environment_id), soci::use(m.kind),
      soci::use(m.key), soci::use(now);
  // ON CONFLICT keeps PostgreSQL's transaction usable; the primary key decides the race.
  soci::statement st =
      (ctx_.sql.prepare << "INSERT INTO oauth_replay_marks (organization_id, environment_id, "
                           "kind, mark_key, expires_at, created_at) VALUES (:org, :env, :kind, "
                           ":k, :e, :now) ON CONFLICT DO NOTHING",
       soci::use(m.organization_id), soci::use(m.environment_id), soci::use(m.kind),
       soci::use(m.key), soci::use(e), soci::use(now));
  st.execute(true);
  return st.get_affected_rows() == 1;
}

Result<bool> SqlReplayRepository::is_marked(std::string_view environment_id,
                                            std::string_view organization_id, std::string_view kind,
                                            std::string_view key, int64_t now_ms) {
  std::string env(environment_id), org(organization_id), k(kind), mk(key);
  long long now = now_ms;
  int n = 0;
  ctx_.sql << "SELECT COUNT(*) FROM oauth_replay_marks WHERE organization_id = :org AND "
              "environment_id = :env AND kind = :kind AND mark_key = :k AND expires_at > :now",
      soci::use(org), soci::use(env), soci::use(k), soci::use(mk), soci::use(now), soci::into(n);
  return n > 0;
}

Result<int> SqlReplayRepository::purge_expired(int64_t now_ms) {
  long long now = now_ms;
  soci::statement st =
      (ctx_.sql.prepare << "DELETE FROM oauth_replay_marks WHERE expires_at <= :now",
       soci::use(now));
  st.execute(true);
  return static_cast<int>(st.get_affected_rows());
}

}  // namespace gh::store
