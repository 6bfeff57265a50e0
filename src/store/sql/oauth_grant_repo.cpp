#include "store/sql/oauth_grant_repo.h"
#include "oauth/error_codes.h"

#include <nlohmann/json.hpp>

namespace gh::store {

namespace {

// A redeemed code is kept this long after its expiry so that a late replay still finds it and
// revokes what it issued (at least the access tokens, which live at most an hour).
constexpr int64_t kCodeReplayWindowMs = 3600LL * 1000;

constexpr const char* kCodeColumns =
    "organization_id, environment_id, code_hash, application_id, client_id, user_id, sid, "
    "redirect_uri, params, created_at, expires_at, redeemed_at, family_id, access_token_jtis";

constexpr const char* kRefreshColumns =
    "organization_id, environment_id, token_hash, family_id, application_id, client_id, user_id, "
    "sid, params, created_at, expires_at, family_expires_at, rotated_at, revoked_at";

std::vector<std::string> parse_strings(const std::string& text) {
  std::vector<std::string> out;
  auto a = nlohmann::json::parse(text, nullptr, false);
  if (!a.is_array()) return out;
  for (const auto& s : a) {
    if (s.is_string()) out.push_back(s.get<std::string>());
  }
  return out;
}

int count_affected(soci::statement& st) { return static_cast<int>(st.get_affected_rows()); }

}  // namespace

Result<PendingAuthorization> SqlOAuthGrantRepository::put_pending(const PendingAuthorization& in) {
  PendingAuthorization p = in;
  if (p.created_at_ms == 0) p.created_at_ms = ctx_.clock.now_ms();
  long long c = p.created_at_ms, e = p.expires_at_ms;
  ctx_.sql << "INSERT INTO oauth_pending (environment_id, id, application_id, client_id, params, "
              "created_at, expires_at) VALUES (:env, :id, :app, :cid, :params, :c, :e)",
      soci::use(p.environment_id), soci::use(p.id), soci::use(p.application_id),
      soci::use(p.client_id), soci::use(p.params), soci::use(c), soci::use(e);
  return p;
}

Result<PendingAuthorization> SqlOAuthGrantRepository::get_pending(std::string_view environment_id,
                                                                  std::string_view id,
                                                                  int64_t now_ms) {
  PendingAuthorization p;
  long long c = 0, e = 0, now = now_ms;
  std::string env(environment_id), key(id);
  soci::statement st =
      (ctx_.sql.prepare << "SELECT environment_id, id, application_id, client_id, params, "
                           "created_at, expires_at FROM oauth_pending WHERE environment_id = "
                           ":env AND id = :id AND expires_at > :now",
       soci::use(env), soci::use(key), soci::use(now), soci::into(p.environment_id),
       soci::into(p.id), soci::into(p.application_id), soci::into(p.client_id),
       soci::into(p.params), soci::into(c), soci::into(e));
  st.execute(true);
  if (!st.got_data()) {
    return fail(errc::OAuthRequestNotFound,
                "The authorization request is unknown or has expired; start the sign-in again");
  }
  p.created_at_ms = c;
  p.expires_at_ms = e;
  return p;
}

Result<bool> SqlOAuthGrantRepository::delete_pending(std::string_view environment_id,
                                                     std::string_view id) {
  std::string env(environment_id), key(id);
  soci::statement st =
      (ctx_.sql.prepare << "DELETE FROM oauth_pending WHERE environment_id = :env AND id = :id",
       soci::use(env), soci::use(key));
  st.execute(true);
  return count_affected(st) > 0;
}

Result<AuthorizationCode> SqlOAuthGrantRepository::put_code(const AuthorizationCode& in) {
  AuthorizationCode c = in;
  if (c.created_at_ms == 0) c.created_at_ms = ctx_.clock.now_ms();
  std::string jtis = nlohmann::json(c.access_token_jtis).dump();
  long long created = c.created_at_ms, expires = c.expires_at_ms, redeemed = c.redeemed_at_ms;
  ctx_.sql << "INSERT INTO oauth_codes (" << kCodeColumns
           << ") VALUES (:org, :env, :hash, :app, :cid, :uid, :sid, :ru, :params, :c, :e, :r, "
              ":fam, :jtis)",
      soci::use(c.organization_id), soci::use(c.environment_id), soci::use(c.code_hash),
      soci::use(c.application_id), soci::use(c.client_id), soci::use(c.user_id), soci::use(c.sid),
      soci::use(c.redirect_uri), soci::use(c.params), soci::use(created), soci::use(expires),
      soci::use(redeemed), soci::use(c.family_id), soci::use(jtis);
  return c;
}

Result<std::optional<AuthorizationCode>> SqlOAuthGrantRepository::find_code(
    std::string_view environment_id, std::string_view code_hash) {
  AuthorizationCode c;
  std::string env(environment_id), hash(code_hash), jtis;
  long long created = 0, expires = 0, redeemed = 0;
  soci::statement st =
      (ctx_.sql.prepare << "SELECT " << kCodeColumns
                        << " FROM oauth_codes WHERE environment_id = :env AND code_hash = :hash",
       soci::use(env), soci::use(hash), soci::into(c.organization_id), soci::into(c.environment_id),
       soci::into(c.code_hash), soci::into(c.application_id), soci::into(c.client_id),
       soci::into(c.user_id), soci::into(c.sid), soci::into(c.redirect_uri), soci::into(c.params),
       soci::into(created), soci::into(expires), soci::into(redeemed), soci::into(c.family_id),
       soci::into(jtis));
  st.execute(true);
  if (!st.got_data()) return std::optional<AuthorizationCode>{};
  c.created_at_ms = created;
  c.expires_at_ms = expires;
  c.redeemed_at_ms = redeemed;
  c.access_token_jtis = parse_strings(jtis);
  return std::optional<AuthorizationCode>{std::move(c)};
}

Result<bool> SqlOAuthGrantRepository::redeem_code(
    std::string_view environment_id, std::string_view organization_id, std::string_view code_hash,
    int64_t now_ms, std::string_view family_id, const std::vector<std::string>& access_token_jtis) {
  std::string env(environment_id), org(organization_id), hash(code_hash), fam(family_id);
  std::string jtis = nlohmann::json(access_token_jtis).dump();
  long long now = now_ms;
  // The conditional UPDATE is the race guard: of two concurrent redemptions exactly one sees
  // redeemed_at = 0 and changes the row.
  soci::statement st =
      (ctx_.sql.prepare << "UPDATE oauth_codes SET redeemed_at = :now, family_id = :fam, "
                           "access_token_jtis = :jtis WHERE organization_id = :org AND "
                           "environment_id = :env AND code_hash = :hash AND redeemed_at = 0",
       soci::use(now), soci::use(fam), soci::use(jtis), soci::use(org), soci::use(env),
       soci::use(hash));
  st.execute(true);
  return count_affected(st) == 1;
}

Result<RefreshToken> SqlOAuthGrantRepository::put_refresh(const RefreshToken& in) {
  RefreshToken t = in;
  if (t.created_at_ms == 0) t.created_at_ms = ctx_.clock.now_ms();
  long long c = t.created_at_ms, e = t.expires_at_ms, fe = t.family_expires_at_ms,
            ro = t.rotated_at_ms, rv = t.revoked_at_ms;
  ctx_.sql << "INSERT INTO oauth_refresh_tokens (" << kRefreshColumns
           << ") VALUES (:org, :env, :hash, :fam, :app, :cid, :uid, :sid, :params, :c, :e, :fe, "
              ":ro, :rv)",
      soci::use(t.organization_id), soci::use(t.environment_id), soci::use(t.token_hash),
      soci::use(t.family_id), soci::use(t.application_id), soci::use(t.client_id),
      soci::use(t.user_id), soci::use(t.sid), soci::use(t.params), soci::use(c), soci::use(e),
      soci::use(fe), soci::use(ro), soci::use(rv);
  return t;
}

Result<std::optional<RefreshToken>> SqlOAuthGrantRepository::find_refresh(
    std::string_view environment_id, std::string_view token_hash) {
  RefreshToken t;
  std::string env(environment_id), hash(token_hash);
  long long c = 0, e = 0, fe = 0, ro = 0, rv = 0;
  soci::statement st =
      (ctx_.sql.prepare << "SELECT " << kRefreshColumns
                        << " FROM oauth_refresh_tokens WHERE environment_id = :env AND "
                           "token_hash = :hash",
       soci::use(env), soci::use(hash), soci::into(t.organization_id), soci::into(t.environment_id),
       soci::into(t.token_hash), soci::into(t.family_id), soci::into(t.application_id),
       soci::into(t.client_id), soci::into(t.user_id), soci::into(t.sid), soci::into(t.params),
       soci::into(c), soci::into(e), soci::into(fe), soci::into(ro), soci::into(rv));
  st.execute(true);
  if (!st.got_data()) return std::optional<RefreshToken>{};
  t.created_at_ms = c;
  t.expires_at_ms = e;
  t.family_expires_at_ms = fe;
  t.rotated_at_ms = ro;
  t.revoked_at_ms = rv;
  return std::optional<RefreshToken>{std::move(t)};
}

Result<bool> SqlOAuthGrantRepository::rotate_refresh(std::string_view environment_id,
                                                     std::string_view organization_id,
                                                     std::string_view token_hash, int64_t now_ms) {
  std::string env(environment_id), org(organization_id), hash(token_hash);
  long long now = now_ms;
  // Race guard as for codes: only one of two concurrent rotations of a token succeeds; the
  // other is reuse.
  soci::statement st =
      (ctx_.sql.prepare << "UPDATE oauth_refresh_tokens SET rotated_at = :now WHERE "
                           "organization_id = :org AND environment_id = :env AND token_hash = "
                           ":hash AND rotated_at = 0 AND revoked_at = 0",
       soci::use(now), soci::use(org), soci::use(env), soci::use(hash));
  st.execute(true);
  return count_affected(st) == 1;
}

Result<int> SqlOAuthGrantRepository::revoke_family(std::string_view environment_id,
                                                   std::string_view organization_id,
                                                   std::string_view family_id, int64_t now_ms) {
  std::string env(environment_id), org(organization_id), fam(family_id);
  long long now = now_ms;
  soci::statement st =
      (ctx_.sql.prepare << "UPDATE oauth_refresh_tokens SET revoked_at = :now WHERE "
                           "organization_id = :org AND environment_id = :env AND family_id = "
                           ":fam AND revoked_at = 0",
       soci::use(now), soci::use(org), soci::use(env), soci::use(fam));
  st.execute(true);
  return count_affected(st);
}

Result<std::vector<std::string>> SqlOAuthGrantRepository::revoke_session_families(
    std::string_view environment_id, std::string_view organization_id, std::string_view sid,
    int64_t now_ms) {
  std::vector<std::string> families;
  if (sid.empty()) return families;
  std::string env(environment_id), org(organization_id), s(sid), fam;
  soci::statement sel =
      (ctx_.sql.prepare << "SELECT DISTINCT family_id FROM oauth_refresh_tokens WHERE "
                           "organization_id = :org AND environment_id = :env AND sid = :sid AND "
                           "revoked_at = 0 ORDER BY family_id",
       soci::use(org), soci::use(env), soci::use(s), soci::into(fam));
  sel.execute();
  while (sel.fetch()) families.push_back(fam);
  if (families.empty()) return families;
  long long now = now_ms;
  ctx_.sql << "UPDATE oauth_refresh_tokens SET revoked_at = :now WHERE organization_id = :org "
              "AND environment_id = :env AND sid = :sid AND revoked_at = 0",
      soci::use(now), soci::use(org), soci::use(env), soci::use(s);
  return families;
}

Result<bool> SqlOAuthGrantRepository::revoke_jti(const RevokedToken& t) {
  long long e = t.expires_at_ms, r = t.revoked_at_ms ? t.revoked_at_ms : ctx_.clock.now_ms();
  soci::statement st =
      (ctx_.sql.prepare << "INSERT INTO oauth_revoked_jtis (organization_id, environment_id, "
                           "jti, reason, expires_at, revoked_at) VALUES (:org, :env, :jti, "
                           ":reason, :e, :r) ON CONFLICT DO NOTHING",
       soci::use(t.organization_id), soci::use(t.environment_id), soci::use(t.jti),
       soci::use(t.reason), soci::use(e), soci::use(r));
  st.execute(true);
  return count_affected(st) == 1;
}

Result<bool> SqlOAuthGrantRepository::is_jti_revoked(std::string_view environment_id,
                                                     std::string_view organization_id,
                                                     std::string_view jti) {
  std::string env(environment_id), org(organization_id), j(jti);
  int n = 0;
  ctx_.sql << "SELECT COUNT(*) FROM oauth_revoked_jtis WHERE organization_id = :org AND "
              "environment_id = :env AND jti = :jti",
      soci::use(org), soci::use(env), soci::use(j), soci::into(n);
  return n > 0;
}

Result<int> SqlOAuthGrantRepository::purge_expired(int64_t now_ms) {
  long long now = now_ms, code_cutoff = now_ms - kCodeReplayWindowMs;
  int total = 0;
  auto run = [&](const std::string& sql, long long& bound) {
    soci::statement st = (ctx_.sql.prepare << sql, soci::use(bound));
    st.execute(true);
    total += count_affected(st);
  };
  run("DELETE FROM oauth_pending WHERE expires_at <= :now", now);
  run("DELETE FROM oauth_codes WHERE expires_at <= :cutoff", code_cutoff);
  // Rotated tokens stay until their family ends: presenting one is how reuse is detected.
  run("DELETE FROM oauth_refresh_tokens WHERE family_expires_at <= :now", now);
  run("DELETE FROM oauth_revoked_jtis WHERE expires_at <= :now", now);
  return total;
}

}  // namespace gh::store
