#include "store/sql/session_repo.h"
#include "sessions/error_codes.h"

#include <algorithm>
#include <nlohmann/json.hpp>

namespace gh::store {

namespace {

constexpr const char* kSessionColumns =
    "sid, environment_id, organization_id, user_id, connection_id, cookie_lookup, cookie_hash, "
    "auth_time, acr, amr, created_at, last_seen_at, idle_expires_at, absolute_expires_at, "
    "revoked_at, revoked_reason, clients";

std::vector<std::string> string_list(const std::string& text) {
  std::vector<std::string> out;
  auto j = nlohmann::json::parse(text, nullptr, false);
  if (!j.is_array()) return out;
  for (const auto& v : j) {
    if (v.is_string()) out.push_back(v.get<std::string>());
  }
  return out;
}

struct SessionRow {
  std::string sid, environment_id, organization_id, user_id, connection_id, cookie_lookup,
      cookie_hash, acr, amr, revoked_reason, clients;
  long long auth_time = 0, created_at = 0, last_seen_at = 0, idle_expires_at = 0,
            absolute_expires_at = 0, revoked_at = 0;
  Session to_session() const {
    Session s;
    s.sid = sid;
    s.environment_id = environment_id;
    s.organization_id = organization_id;
    s.user_id = user_id;
    s.connection_id = connection_id;
    s.cookie_lookup = cookie_lookup;
    s.cookie_hash = cookie_hash;
    s.auth_time_ms = auth_time;
    s.acr = acr;
    s.amr = string_list(amr);
    s.created_at_ms = created_at;
    s.last_seen_at_ms = last_seen_at;
    s.idle_expires_at_ms = idle_expires_at;
    s.absolute_expires_at_ms = absolute_expires_at;
    s.revoked_at_ms = revoked_at;
    s.revoked_reason = revoked_reason;
    s.clients = string_list(clients);
    return s;
  }
};

// Every column of kSessionColumns, in order.
#define GH_SESSION_INTO(r)                                                                       \
  soci::into(r.sid), soci::into(r.environment_id), soci::into(r.organization_id),                \
      soci::into(r.user_id), soci::into(r.connection_id), soci::into(r.cookie_lookup),           \
      soci::into(r.cookie_hash), soci::into(r.auth_time), soci::into(r.acr), soci::into(r.amr),  \
      soci::into(r.created_at), soci::into(r.last_seen_at), soci::into(r.idle_expires_at),       \
      soci::into(r.absolute_expires_at), soci::into(r.revoked_at), soci::into(r.revoked_reason), \
      soci::into(r.clients)

Error not_found(std::string_view sid) {
  return Error(errc::SessionNotFound, "No session '" + std::string(sid) + "' in this organization");
}

}  // namespace

Result<Session> SqlSessionRepository::create(const Session& in) {
  Session s = in;
  const std::string amr = nlohmann::json(s.amr).dump(), clients = nlohmann::json(s.clients).dump();
  long long auth = s.auth_time_ms, created = s.created_at_ms, seen = s.last_seen_at_ms,
            idle = s.idle_expires_at_ms, absolute = s.absolute_expires_at_ms,
            revoked = s.revoked_at_ms;
  int inserted = 0;
  ctx_.sql << "INSERT INTO sessions (" << kSessionColumns
           << ") VALUES (:sid, :env, :org, :uid, :conn, :lookup, :hash, :auth, :acr, :amr, :c, "
              ":seen, :idle, :abs, :rev, :reason, :clients) ON CONFLICT DO NOTHING RETURNING 1",
      soci::use(s.sid), soci::use(s.environment_id), soci::use(s.organization_id),
      soci::use(s.user_id), soci::use(s.connection_id), soci::use(s.cookie_lookup),
      soci::use(s.cookie_hash), soci::use(auth), soci::use(s.acr), soci::use(amr),
      soci::use(created), soci::use(seen), soci::use(idle), soci::use(absolute), soci::use(revoked),
      soci::use(s.revoked_reason), soci::use(clients), soci::into(inserted);
  if (!ctx_.sql.got_data()) {
    return fail(errc::ServerInternal, "", "session id or cookie lookup collision");
  }
  return s;
}

Result<Session> SqlSessionRepository::get(std::string_view environment_id,
                                          std::string_view organization_id, std::string_view sid) {
  SessionRow r;
  std::string env(environment_id), org(organization_id), id(sid);
  soci::statement st = (ctx_.sql.prepare << "SELECT " << kSessionColumns
                                         << " FROM sessions WHERE organization_id = :org AND "
                                            "sid = :sid AND environment_id = :env",
                        soci::use(org), soci::use(id), soci::use(env), GH_SESSION_INTO(r));
  st.execute(true);
  if (!st.got_data()) return fail(not_found(sid));
  return r.to_session();
}

Result<std::optional<Session>> SqlSessionRepository::find_by_cookie_lookup(
    std::string_view environment_id, std::string_view lookup) {
  SessionRow r;
  std::string env(environment_id), l(lookup);
  soci::statement st = (ctx_.sql.prepare << "SELECT " << kSessionColumns
                                         << " FROM sessions WHERE environment_id = :env AND "
                                            "cookie_lookup = :lookup",
                        soci::use(env), soci::use(l), GH_SESSION_INTO(r));
  st.execute(true);
  if (!st.got_data()) return std::optional<Session>();
  return std::optional<Session>(r.to_session());
}

Result<bool> SqlSessionRepository::touch(std::string_view environment_id,
                                         std::string_view organization_id, std::string_view sid,
                                         int64_t now_ms, int64_t idle_expires_at_ms) {
  std::string env(environment_id), org(organization_id), id(sid);
  long long now = now_ms, idle = idle_expires_at_ms;
  int hit = 0;
  ctx_.sql << "UPDATE sessions SET last_seen_at = :now, idle_expires_at = CASE WHEN :idle < "
              "absolute_expires_at THEN :idle2 ELSE absolute_expires_at END WHERE organization_id "
              "= :org AND sid = :sid AND environment_id = :env AND revoked_at = 0 RETURNING 1",
      soci::use(now), soci::use(idle), soci::use(idle), soci::use(org), soci::use(id),
      soci::use(env), soci::into(hit);
  return ctx_.sql.got_data();
}

Result<Session> SqlSessionRepository::revoke(std::string_view environment_id,
                                             std::string_view organization_id, std::string_view sid,
                                             int64_t now_ms, std::string_view reason) {
  auto current = get(environment_id, organization_id, sid);
  if (!current) return current;
  if (current->revoked_at_ms) return current;
  std::string why(reason);
  long long now = now_ms;
  ctx_.sql << "UPDATE sessions SET revoked_at = :now, revoked_reason = :why WHERE "
              "organization_id = :org AND sid = :sid AND revoked_at = 0",
      soci::use(now), soci::use(why), soci::use(current->organization_id), soci::use(current->sid);
  return get(environment_id, organization_id, sid);
}

Result<std::vector<Session>> SqlSessionRepository::revoke_all_for_user(
    std::string_view environment_id, std::string_view organization_id, std::string_view user_id,
    int64_t now_ms, std::string_view reason) {
  auto all = list_for_user(environment_id, organization_id, user_id, 0);
  if (!all) return all;
  std::vector<Session> revoked;
  for (const auto& s : *all) {
    if (s.revoked_at_ms) continue;
    auto r = revoke(environment_id, organization_id, s.sid, now_ms, reason);
    if (!r) return fail(r.error());
    revoked.push_back(std::move(*r));
  }
  return revoked;
}

Result<std::vector<Session>> SqlSessionRepository::list_for_user(std::string_view environment_id,
                                                                 std::string_view organization_id,
                                                                 std::string_view user_id,
                                                                 int64_t live_at_ms) {
  std::vector<Session> out;
  SessionRow r;
  std::string env(environment_id), org(organization_id), uid(user_id);
  long long at = live_at_ms;
  soci::statement st =
      (ctx_.sql.prepare << "SELECT " << kSessionColumns
                        << " FROM sessions WHERE organization_id = :org AND user_id = :uid AND "
                           "environment_id = :env AND (CAST(:at AS BIGINT) = 0 OR (revoked_at = "
                           "0 AND idle_expires_at > :at2 AND absolute_expires_at > :at3)) ORDER "
                           "BY created_at, sid",
       soci::use(org), soci::use(uid), soci::use(env), soci::use(at), soci::use(at), soci::use(at),
       GH_SESSION_INTO(r));
  st.execute();
  while (st.fetch()) out.push_back(r.to_session());
  return out;
}

Result<std::vector<Session>> SqlSessionRepository::list_live_for_organization(
    std::string_view environment_id, std::string_view organization_id, int64_t live_at_ms,
    int limit) {
  std::vector<Session> out;
  SessionRow r;
  std::string env(environment_id), org(organization_id);
  long long at = live_at_ms;
  int lim = std::clamp(limit, 1, 10'000);
  soci::statement st =
      (ctx_.sql.prepare << "SELECT " << kSessionColumns
                        << " FROM sessions WHERE organization_id = :org AND environment_id = :env "
                           "AND revoked_at = 0 AND idle_expires_at > :at AND absolute_expires_at "
                           "> :at2 ORDER BY created_at, sid LIMIT :lim",
       soci::use(org), soci::use(env), soci::use(at), soci::use(at), soci::use(lim),
       GH_SESSION_INTO(r));
  st.execute();
  while (st.fetch()) out.push_back(r.to_session());
  return out;
}

Result<bool> SqlSessionRepository::add_client(std::string_view environment_id,
                                              std::string_view organization_id,
                                              std::string_view sid, std::string_view client_id) {
  // Compare-and-set on the list: two token requests of one session at once must both land.
  for (int attempt = 0; attempt < 8; ++attempt) {
    auto current = get(environment_id, organization_id, sid);
    if (!current) return fail(current.error());
    if (std::find(current->clients.begin(), current->clients.end(), client_id) !=
        current->clients.end()) {
      return false;
    }
    const std::string before = nlohmann::json(current->clients).dump();
    current->clients.emplace_back(client_id);
    const std::string after = nlohmann::json(current->clients).dump();
    int hit = 0;
    ctx_.sql << "UPDATE sessions SET clients = :after WHERE organization_id = :org AND sid = "
                ":sid AND clients = :before RETURNING 1",
        soci::use(after), soci::use(current->organization_id), soci::use(current->sid),
        soci::use(before), soci::into(hit);
    if (ctx_.sql.got_data()) return true;
  }
  return fail(errc::StoreUnavailable, "the session is being changed; retry");
}

Result<int64_t> SqlSessionRepository::count_live_for_user(std::string_view environment_id,
                                                          std::string_view organization_id,
                                                          std::string_view user_id,
                                                          int64_t now_ms) {
  std::string env(environment_id), org(organization_id), uid(user_id);
  long long now = now_ms, n = 0;
  ctx_.sql << "SELECT COUNT(*) FROM sessions WHERE organization_id = :org AND user_id = :uid AND "
              "environment_id = :env AND revoked_at = 0 AND idle_expires_at > :now AND "
              "absolute_expires_at > :now2",
      soci::use(org), soci::use(uid), soci::use(env), soci::use(now), soci::use(now), soci::into(n);
  return static_cast<int64_t>(n);
}

}  // namespace gh::store
