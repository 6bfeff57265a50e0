#include "sessions/session_service.h"

#include <algorithm>

#include "core/ids.h"
#include "identity/error_codes.h"
#include "sessions/error_codes.h"

namespace gh::sessions {

Result<store::Environment> environment_by_id(store::Repositories& repos, std::string_view id) {
  auto all = repos.environments().list();
  if (!all) return fail(all.error());
  for (auto& e : *all) {
    if (e.id == id) return std::move(e);
  }
  return fail(errc::EnvironmentNotFound, "No environment with id '" + std::string(id) + "'");
}

Result<tenancy::SecurityPolicy> effective_policy_in(store::Repositories& repos,
                                                    std::string_view environment_id,
                                                    std::string_view organization_id) {
  auto env_doc = repos.policies().get(environment_id, "");
  if (!env_doc) return fail(env_doc.error());
  auto org_doc = repos.policies().get(environment_id, organization_id);
  if (!org_doc) return fail(org_doc.error());
  return tenancy::effective_policy(*env_doc ? (*env_doc)->document : nlohmann::json::object(),
                                   *org_doc ? (*org_doc)->document : nlohmann::json::object());
}

std::string session_status(const store::Session& s, int64_t now_ms) {
  if (s.revoked_at_ms) return "revoked";
  return s.live_at(now_ms) ? "active" : "expired";
}

nlohmann::json session_json(const store::Session& s, int64_t now_ms) {
  nlohmann::json j = {{"sid", s.sid},
                      {"organization_id", s.organization_id},
                      {"user_id", s.user_id},
                      {"connection_id", s.connection_id},
                      {"status", session_status(s, now_ms)},
                      {"auth_time", format_rfc3339(s.auth_time_ms)},
                      {"acr", s.acr},
                      {"amr", s.amr},
                      {"clients", s.clients},
                      {"created_at", format_rfc3339(s.created_at_ms)},
                      {"last_seen_at", format_rfc3339(s.last_seen_at_ms)},
                      {"idle_expires_at", format_rfc3339(s.idle_expires_at_ms)},
                      {"absolute_expires_at", format_rfc3339(s.absolute_expires_at_ms)},
                      {"expires_at", format_rfc3339(s.expires_at_ms())}};
  if (s.revoked_at_ms) {
    j["revoked_at"] = format_rfc3339(s.revoked_at_ms);
    j["revoked_reason"] = s.revoked_reason;
  }
  return j;
}

Result<std::vector<store::Session>> revoke_sessions(store::Repositories& repos,
                                                    const store::Environment& env,
                                                    const std::vector<store::Session>& sessions,
                                                    std::string_view reason, int64_t now_ms) {
  std::vector<store::Session> revoked;
  for (const auto& s : sessions) {
    if (s.revoked_at_ms) continue;
    auto r = repos.sessions().revoke(env.id, s.organization_id, s.sid, now_ms, reason);
    if (!r) return fail(r.error());
    // Revoked concurrently by someone else: theirs is the event.
    if (r->revoked_at_ms != now_ms || r->revoked_reason != reason) continue;
    store::OutboxEvent ev;
    ev.environment_id = env.id;
    ev.organization_id = s.organization_id;
    ev.type = "session.revoked";
    ev.payload = {{"environment", env.name},
                  {"session",
                   {{"sid", r->sid},
                    {"user_id", r->user_id},
                    {"organization_id", r->organization_id},
                    {"clients", r->clients},
                    {"reason", r->revoked_reason},
                    {"revoked_at", format_rfc3339(r->revoked_at_ms)}}}};
    ev.occurred_at_ms = now_ms;
    if (auto queued = repos.outbox().enqueue(ev); !queued) return fail(queued.error());

    auto families =
        repos.oauth_grants().revoke_session_families(env.id, r->organization_id, r->sid, now_ms);
    if (!families) return fail(families.error());
    if (!families->empty()) {
      store::OutboxEvent tev;
      tev.environment_id = env.id;
      tev.organization_id = r->organization_id;
      tev.type = "token.revoked";
      tev.payload = {{"environment", env.name},
                     {"token",
                      {{"type", "refresh_token"},
                       {"family_ids", *families},
                       {"sid", r->sid},
                       {"user_id", r->user_id},
                       {"organization_id", r->organization_id},
                       {"reason", r->revoked_reason},
                       {"revoked_at", format_rfc3339(now_ms)}}}};
      tev.occurred_at_ms = now_ms;
      if (auto queued = repos.outbox().enqueue(tev); !queued) return fail(queued.error());
    }
    repos.changed("session", r->sid);
    revoked.push_back(std::move(*r));
  }
  // Access tokens issued in these sessions: every node's verified-token cache drops its entries.
  if (!revoked.empty()) repos.changed(kTokensRevokedTopic, env.id);
  return revoked;
}

Result<std::vector<store::Session>> revoke_user_sessions(store::Repositories& repos,
                                                         const store::Environment& env,
                                                         std::string_view organization_id,
                                                         std::string_view user_id,
                                                         std::string_view reason, int64_t now_ms) {
  auto live = repos.sessions().list_for_user(env.id, organization_id, user_id, now_ms);
  if (!live) return live;
  return revoke_sessions(repos, env, *live, reason, now_ms);
}

SessionService::SessionService(store::Store& store, tenancy::SecretHasher hasher,
                               const Clock& clock, Random& random)
    : store_(store), hasher_(std::move(hasher)), clock_(clock), random_(random) {}

namespace {

AuthenticatedSession authenticated(const store::Session& s) {
  AuthenticatedSession a;
  a.sid = s.sid;
  a.environment_id = s.environment_id;
  a.organization_id = s.organization_id;
  a.user_id = s.user_id;
  a.connection_id = s.connection_id;
  a.auth_time_ms = s.auth_time_ms;
  a.acr = s.acr;
  a.amr = s.amr;
  a.expires_at_ms = s.expires_at_ms();
  return a;
}

}  // namespace

Result<StartedSession> SessionService::start(const NewSession& in) {
  if (in.environment_id.empty() || in.organization_id.empty() || in.user_id.empty()) {
    return fail(errc::IdentityInvalidLogin,
                "A session needs its environment, organization and user");
  }
  return store_.transact<StartedSession>([&](store::Repositories& repos) -> Result<StartedSession> {
    auto user = repos.users().get(in.environment_id, in.organization_id, in.user_id);
    if (!user) return fail(user.error());
    if (user->state != "active") {
      return fail(errc::IdentityUserInactive, "The user is " + user->state + " and cannot sign in");
    }
    auto policy = effective_policy_in(repos, in.environment_id, in.organization_id);
    if (!policy) return fail(policy.error());
    const int64_t now = clock_.now_ms();
    const auto secret = tenancy::issue_secret(kSessionCookiePrefix, hasher_, random_);
    store::Session s;
    s.sid = new_uuid_v7(clock_, random_);
    s.environment_id = in.environment_id;
    s.organization_id = in.organization_id;
    s.user_id = in.user_id;
    s.connection_id = in.connection_id;
    s.cookie_lookup = secret.lookup;
    s.cookie_hash = secret.hash;
    s.auth_time_ms = in.auth_time_ms ? in.auth_time_ms : now;
    s.acr = in.acr;
    s.amr = in.amr;
    s.created_at_ms = s.last_seen_at_ms = now;
    s.absolute_expires_at_ms = now + policy->session_absolute_lifetime_s * 1000;
    s.idle_expires_at_ms =
        std::min(now + policy->session_idle_lifetime_s * 1000, s.absolute_expires_at_ms);
    auto created = repos.sessions().create(s);
    if (!created) return fail(created.error());

    if (policy->max_sessions_per_user > 0) {
      auto live =
          repos.sessions().list_for_user(in.environment_id, in.organization_id, in.user_id, now);
      if (!live) return fail(live.error());
      const auto excess = static_cast<int64_t>(live->size()) - policy->max_sessions_per_user;
      if (excess > 0) {
        // Oldest first; the new session is the newest, so it is never among them.
        std::vector<store::Session> oldest(live->begin(), live->begin() + excess);
        auto env = environment_by_id(repos, in.environment_id);
        if (!env) return fail(env.error());
        auto revoked = revoke_sessions(repos, *env, oldest, reason::kMaxSessions, now);
        if (!revoked) return fail(revoked.error());
      }
    }
    StartedSession out;
    out.session = authenticated(*created);
    out.cookie_value = secret.token;
    out.cookie_max_age_s = (s.absolute_expires_at_ms - now) / 1000;
    return out;
  });
}

Result<std::optional<AuthenticatedSession>> SessionService::from_cookie(
    std::string_view environment_id, std::string_view cookie_value) {
  using Found = std::optional<AuthenticatedSession>;
  const auto lookup = tenancy::secret_lookup(cookie_value, kSessionCookiePrefix);
  if (!lookup) return Found();
  const int64_t now = clock_.now_ms();
  struct Read {
    std::optional<store::Session> session;
    int64_t idle_lifetime_ms = 0;
  };
  auto read = store_.read<Read>([&](store::Repositories& repos) -> Result<Read> {
    Read r;
    auto row = repos.sessions().find_by_cookie_lookup(environment_id, *lookup);
    if (!row) return fail(row.error());
    if (!*row) return r;
    // The lookup is public; only the whole cookie's HMAC proves possession.
    if (!hasher_.matches(cookie_value, (*row)->cookie_hash)) return r;
    if (!(*row)->live_at(now)) return r;
    auto user = repos.users().get(environment_id, (*row)->organization_id, (*row)->user_id);
    if (!user) {
      if (user.error().code == errc::IdentityUserNotFound) return r;
      return fail(user.error());
    }
    if (user->state != "active") return r;
    if (now - (*row)->last_seen_at_ms >= kTouchIntervalMs) {
      auto policy = effective_policy_in(repos, environment_id, (*row)->organization_id);
      if (!policy) return fail(policy.error());
      r.idle_lifetime_ms = policy->session_idle_lifetime_s * 1000;
    }
    r.session = std::move(**row);
    return r;
  });
  if (!read) return fail(read.error());
  if (!read->session) return Found();
  store::Session s = std::move(*read->session);
  if (read->idle_lifetime_ms > 0) {
    const int64_t idle = std::min(now + read->idle_lifetime_ms, s.absolute_expires_at_ms);
    auto touched = store_.transact<bool>([&](store::Repositories& repos) {
      return repos.sessions().touch(environment_id, s.organization_id, s.sid, now, idle);
    });
    if (!touched) return fail(touched.error());
    if (!*touched) return Found();  // revoked in between
    s.last_seen_at_ms = now;
    s.idle_expires_at_ms = idle;
  }
  return Found(authenticated(s));
}

Result<bool> SessionService::add_client(std::string_view environment_id,
                                        std::string_view organization_id, std::string_view sid,
                                        std::string_view client_id) {
  if (client_id.empty()) {
    return fail(errc::RequestInvalidField, "A client id is required");
  }
  return store_.transact<bool>([&](store::Repositories& repos) {
    return repos.sessions().add_client(environment_id, organization_id, sid, client_id);
  });
}

Result<std::vector<store::Session>> SessionService::list_for_user(const store::Environment& env,
                                                                  std::string_view organization_id,
                                                                  std::string_view user_id,
                                                                  bool live_only) {
  const int64_t now = clock_.now_ms();
  return store_.read<std::vector<store::Session>>(
      [&](store::Repositories& repos) -> Result<std::vector<store::Session>> {
        auto user = repos.users().get(env.id, organization_id, user_id);
        if (!user) return fail(user.error());
        return repos.sessions().list_for_user(env.id, organization_id, user_id,
                                              live_only ? now : 0);
      });
}

Result<store::Session> SessionService::revoke(const store::Environment& env,
                                              std::string_view organization_id,
                                              std::string_view sid, const tenancy::Actor& actor) {
  const int64_t now = clock_.now_ms();
  return store_.transact<store::Session>([&](store::Repositories& repos) -> Result<store::Session> {
    auto current = repos.sessions().get(env.id, organization_id, sid);
    if (!current) return current;
    if (current->revoked_at_ms) return current;  // nothing to do, nothing to record
    auto revoked = revoke_sessions(repos, env, {*current}, reason::kAdmin, now);
    if (!revoked) return fail(revoked.error());
    store::AuditRecord rec;
    rec.environment_id = env.id;
    rec.organization_id = current->organization_id;
    rec.actor_type = actor.type;
    rec.actor_id = actor.id;
    rec.action = "session.revoked";
    rec.target_type = "session";
    rec.target_id = current->sid;
    rec.request_id = actor.request_id;
    rec.source_ip = actor.source_ip;
    rec.summary = {{"user_id", current->user_id}, {"reason", reason::kAdmin}};
    rec.occurred_at_ms = now;
    if (auto appended = repos.audit().append(rec); !appended) return fail(appended.error());
    return repos.sessions().get(env.id, organization_id, sid);
  });
}

namespace {

Result<int64_t> append_audit(store::Repositories& repos, const store::Environment& env,
                             std::string_view organization_id, const tenancy::Actor& actor,
                             std::string_view action, std::string_view target_type,
                             std::string_view target_id, nlohmann::json summary, int64_t now) {
  store::AuditRecord rec;
  rec.environment_id = env.id;
  rec.organization_id = std::string(organization_id);
  rec.actor_type = actor.type;
  rec.actor_id = actor.id;
  rec.action = std::string(action);
  rec.target_type = std::string(target_type);
  rec.target_id = std::string(target_id);
  rec.request_id = actor.request_id;
  rec.source_ip = actor.source_ip;
  rec.summary = std::move(summary);
  rec.occurred_at_ms = now;
  return repos.audit().append(rec);
}

Result<bool> enqueue_token_revoked(store::Repositories& repos, const store::Environment& env,
                                   std::string_view organization_id, nlohmann::json token,
                                   int64_t now) {
  store::OutboxEvent ev;
  ev.environment_id = env.id;
  ev.organization_id = std::string(organization_id);
  ev.type = "token.revoked";
  token["organization_id"] = organization_id;
  token["reason"] = reason::kAdmin;
  token["revoked_at"] = format_rfc3339(now);
  ev.payload = {{"environment", env.name}, {"token", std::move(token)}};
  ev.occurred_at_ms = now;
  auto queued = repos.outbox().enqueue(ev);
  if (!queued) return fail(queued.error());
  return true;
}

nlohmann::json sids_of(const std::vector<store::Session>& sessions) {
  nlohmann::json out = nlohmann::json::array();
  for (const auto& s : sessions) out.push_back(s.sid);
  return out;
}

}  // namespace

Result<std::vector<store::Session>> SessionService::revoke_user(const store::Environment& env,
                                                                std::string_view organization_id,
                                                                std::string_view user_id,
                                                                const tenancy::Actor& actor) {
  const int64_t now = clock_.now_ms();
  using Out = std::vector<store::Session>;
  return store_.transact<Out>([&](store::Repositories& repos) -> Result<Out> {
    auto user = repos.users().get(env.id, organization_id, user_id);
    if (!user) return fail(user.error());
    auto revoked = revoke_user_sessions(repos, env, organization_id, user_id, reason::kAdmin, now);
    if (!revoked) return revoked;
    if (auto audited = append_audit(
            repos, env, organization_id, actor, "session.revoked_for_user", "user", user_id,
            {{"sessions", sids_of(*revoked)}, {"reason", reason::kAdmin}}, now);
        !audited) {
      return fail(audited.error());
    }
    return revoked;
  });
}

Result<std::vector<store::Session>> SessionService::revoke_organization(
    const store::Environment& env, std::string_view organization_id, const tenancy::Actor& actor) {
  const int64_t now = clock_.now_ms();
  using Out = std::vector<store::Session>;
  return store_.transact<Out>([&](store::Repositories& repos) -> Result<Out> {
    auto org = repos.organizations().get(env.id, organization_id);
    if (!org) return fail(org.error());
    Out all;
    // In batches: each batch's rows are revoked before the next read, so it moves on.
    for (;;) {
      auto live = repos.sessions().list_live_for_organization(env.id, organization_id, now, 500);
      if (!live) return fail(live.error());
      if (live->empty()) break;
      auto revoked = revoke_sessions(repos, env, *live, reason::kOrganization, now);
      if (!revoked) return revoked;
      all.insert(all.end(), revoked->begin(), revoked->end());
      if (live->size() < 500) break;
    }
    if (auto audited = append_audit(
            repos, env, organization_id, actor, "session.revoked_for_organization", "organization",
            organization_id, {{"count", all.size()}, {"reason", reason::kOrganization}}, now);
        !audited) {
      return fail(audited.error());
    }
    return all;
  });
}

Result<int> SessionService::revoke_refresh_family(const store::Environment& env,
                                                  std::string_view organization_id,
                                                  std::string_view family_id,
                                                  const tenancy::Actor& actor) {
  if (family_id.empty() || family_id.size() > 200) {
    return fail(errc::RequestInvalidField, "A refresh token family id is required");
  }
  const int64_t now = clock_.now_ms();
  return store_.transact<int>([&](store::Repositories& repos) -> Result<int> {
    auto n = repos.oauth_grants().revoke_family(env.id, organization_id, family_id, now);
    if (!n) return n;
    if (*n == 0) {
      return fail(
          errc::SessionTokenNotFound,
          "No live refresh token family '" + std::string(family_id) + "' in this organization");
    }
    auto q = enqueue_token_revoked(
        repos, env, organization_id,
        {{"type", "refresh_token"}, {"family_ids", nlohmann::json::array({family_id})}}, now);
    if (!q) return fail(q.error());
    if (auto audited = append_audit(repos, env, organization_id, actor, "token.revoked",
                                    "refresh_token_family", family_id, {{"tokens", *n}}, now);
        !audited) {
      return fail(audited.error());
    }
    return n;
  });
}

Result<bool> SessionService::revoke_access_token(const store::Environment& env,
                                                 std::string_view organization_id,
                                                 std::string_view jti,
                                                 const tenancy::Actor& actor) {
  if (jti.empty() || jti.size() > 200) {
    return fail(errc::RequestInvalidField, "An access token jti is required");
  }
  const int64_t now = clock_.now_ms();
  return store_.transact<bool>([&](store::Repositories& repos) -> Result<bool> {
    auto org = repos.organizations().get(env.id, organization_id);
    if (!org) return fail(org.error());
    store::RevokedToken t;
    t.environment_id = env.id;
    t.organization_id = std::string(organization_id);
    t.jti = std::string(jti);
    t.reason = std::string(reason::kAdmin);
    t.revoked_at_ms = now;
    t.expires_at_ms = now + kAccessTokenDenyMs;
    auto added = repos.oauth_grants().revoke_jti(t);
    if (!added) return added;
    if (!*added) return false;  // already deny-listed: nothing to record
    auto q = enqueue_token_revoked(repos, env, organization_id,
                                   {{"type", "access_token"}, {"jti", jti}}, now);
    if (!q) return q;
    if (auto audited = append_audit(repos, env, organization_id, actor, "token.revoked",
                                    "access_token", jti, {}, now);
        !audited) {
      return fail(audited.error());
    }
    repos.changed(kTokensRevokedTopic, env.id);
    return true;
  });
}

Result<std::vector<store::Session>> SessionService::list_for_organization(
    const store::Environment& env, std::string_view organization_id, int limit) {
  const int64_t now = clock_.now_ms();
  using Out = std::vector<store::Session>;
  return store_.read<Out>([&](store::Repositories& repos) -> Result<Out> {
    auto org = repos.organizations().get(env.id, organization_id);
    if (!org) return fail(org.error());
    return repos.sessions().list_live_for_organization(env.id, organization_id, now, limit);
  });
}

Result<bool> SessionService::end(std::string_view environment_id, std::string_view organization_id,
                                 std::string_view sid, std::string_view client_id,
                                 std::string_view request_id, std::string_view source_ip) {
  const int64_t now = clock_.now_ms();
  return store_.transact<bool>([&](store::Repositories& repos) -> Result<bool> {
    auto env = environment_by_id(repos, environment_id);
    if (!env) return fail(env.error());
    auto current = repos.sessions().get(environment_id, organization_id, sid);
    if (!current) return fail(current.error());
    if (!current->live_at(now)) return false;
    auto revoked = revoke_sessions(repos, *env, {*current}, reason::kLogout, now);
    if (!revoked) return fail(revoked.error());
    tenancy::Actor actor;
    actor.type = "user";
    actor.id = current->user_id;
    actor.request_id = std::string(request_id);
    actor.source_ip = std::string(source_ip);
    if (auto audited =
            append_audit(repos, *env, organization_id, actor, "session.logout", "session", sid,
                         {{"client_id", client_id}, {"reason", reason::kLogout}}, now);
        !audited) {
      return fail(audited.error());
    }
    return !revoked->empty();
  });
}

}  // namespace gh::sessions
