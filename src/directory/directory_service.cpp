#include "directory/directory_service.h"

#include <algorithm>

#include "core/encoding.h"
#include "core/log.h"
#include "directory/error_codes.h"

namespace gh::directory {

namespace {

Error invalid(const std::string& field, const std::string& message) {
  Error e(errc::DirectoryInvalid, message);
  e.extra["field"] = field;
  return e;
}

Result<std::string> check_name(const std::string& name, const std::string& field) {
  if (name.empty() || name.size() > 100) {
    return fail(invalid(field, "'" + field + "' must be 1 to 100 characters"));
  }
  for (unsigned char c : name) {
    if (c < 0x20 || c == 0x7f)
      return fail(invalid(field, "'" + field + "' has control characters"));
  }
  return name;
}

}  // namespace

nlohmann::json directory_json(const store::Directory& d, std::string_view public_url) {
  std::string base(public_url);
  while (!base.empty() && base.back() == '/') base.pop_back();
  return {{"id", d.id},
          {"organization_id", d.organization_id},
          {"name", d.name},
          {"status", d.status},
          {"scim_base_url", base + "/scim/v2/" + d.id},
          {"version", d.version},
          {"created_at", format_rfc3339(d.created_at_ms)},
          {"updated_at", format_rfc3339(d.updated_at_ms)}};
}

nlohmann::json token_json(const store::DirectoryToken& t, int64_t now_ms) {
  std::string state = "active";
  if (t.revoked_at_ms) {
    state = "revoked";
  } else if (t.expires_at_ms && t.expires_at_ms <= now_ms) {
    state = "expired";
  }
  return {
      {"id", t.id},
      {"directory_id", t.directory_id},
      {"name", t.name},
      {"prefix", std::string(kScimTokenPrefix) + t.lookup},
      {"state", state},
      {"created_at", format_rfc3339(t.created_at_ms)},
      {"expires_at", t.expires_at_ms ? nlohmann::json(format_rfc3339(t.expires_at_ms)) : nullptr},
      {"revoked_at", t.revoked_at_ms ? nlohmann::json(format_rfc3339(t.revoked_at_ms)) : nullptr},
      {"last_used_at",
       t.last_used_at_ms ? nlohmann::json(format_rfc3339(t.last_used_at_ms)) : nullptr}};
}

nlohmann::json redact(const nlohmann::json& body) {
  if (body.is_object()) {
    nlohmann::json out = nlohmann::json::object();
    for (auto it = body.begin(); it != body.end(); ++it) {
      std::string k = it.key();
      for (auto& c : k) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      if (k == "password" || k.find("secret") != std::string::npos ||
          k.find("token") != std::string::npos) {
        out[it.key()] = "[redacted]";
      } else {
        out[it.key()] = redact(it.value());
      }
    }
    // PATCH replacing the password by path.
    if (auto p = body.find("path"); p != body.end() && p->is_string()) {
      std::string path = p->get<std::string>();
      for (auto& c : path) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      if (path == "password" && out.contains("value")) out["value"] = "[redacted]";
    }
    return out;
  }
  if (body.is_array()) {
    nlohmann::json out = nlohmann::json::array();
    for (const auto& e : body) out.push_back(redact(e));
    return out;
  }
  return body;
}

DirectoryService::DirectoryService(store::Store& store, tenancy::TenancyService& tenancy,
                                   tenancy::Sealing* sealing, const Clock& clock, Random& random)
    : store_(store), tenancy_(tenancy), sealing_(sealing), clock_(clock), random_(random) {}

Result<bool> DirectoryService::record(store::Repositories& repos, const store::Environment& env,
                                      const store::Directory& d, const tenancy::Actor& actor,
                                      const std::string& action, const nlohmann::json& summary) {
  nlohmann::json payload = {{"directory", directory_json(d, "")}, {"environment", env.name}};
  payload["directory"].erase("scim_base_url");
  if (!summary.empty()) payload["change"] = summary;
  auto r = tenancy_.record(repos, env, d.organization_id, actor, action, "directory", d.id, summary,
                           payload);
  if (!r) return r;
  repos.changed("directory", d.id);
  return true;
}

Result<std::pair<store::Directory, IssuedToken>> DirectoryService::create(
    const store::Environment& env, const std::string& org_id, const NewDirectory& in,
    const tenancy::Actor& actor) {
  auto name = check_name(in.name, "name");
  if (!name) return fail(name.error());
  auto token_name = check_name(in.token_name, "token_name");
  if (!token_name) return fail(token_name.error());
  if (in.token_expires_at_ms && in.token_expires_at_ms <= clock_.now_ms()) {
    return fail(invalid("token_expires_at", "'token_expires_at' must be in the future"));
  }
  const tenancy::IssuedSecret secret =
      tenancy::issue_secret(kScimTokenPrefix, tenancy_.hasher(), random_);
  using Out = std::pair<store::Directory, IssuedToken>;
  return store_.transact<Out>([&](store::Repositories& repos) -> Result<Out> {
    if (auto org = repos.organizations().get(env.id, org_id); !org) return fail(org.error());
    store::Directory d;
    d.environment_id = env.id;
    d.organization_id = org_id;
    d.name = *name;
    auto created = repos.directories().create(d);
    if (!created) return fail(created.error());
    store::DirectoryToken t;
    t.directory_id = created->id;
    t.environment_id = env.id;
    t.organization_id = org_id;
    t.name = *token_name;
    t.lookup = secret.lookup;
    t.secret_hash = secret.hash;
    t.expires_at_ms = in.token_expires_at_ms;
    auto token = repos.directories().add_token(t);
    if (!token) return fail(token.error());
    if (auto r = record(repos, env, *created, actor, "directory.created",
                        {{"name", created->name}, {"token_id", token->id}});
        !r) {
      return fail(r.error());
    }
    return Out{*created, IssuedToken{*token, secret.token}};
  });
}

Result<store::Directory> DirectoryService::get(const store::Environment& env,
                                               const std::string& org_id, std::string_view id) {
  return store_.read<store::Directory>(
      [&](store::Repositories& repos) { return repos.directories().get(env.id, org_id, id); });
}

Result<std::vector<store::Directory>> DirectoryService::list(const store::Environment& env,
                                                             const std::string& org_id) {
  return store_.read<std::vector<store::Directory>>(
      [&](store::Repositories& repos) -> Result<std::vector<store::Directory>> {
        if (auto org = repos.organizations().get(env.id, org_id); !org) return fail(org.error());
        return repos.directories().list(env.id, org_id);
      });
}

Result<store::Directory> DirectoryService::set_status(const store::Environment& env,
                                                      const std::string& org_id,
                                                      std::string_view id, std::string_view status,
                                                      const tenancy::Actor& actor) {
  if (status != "active" && status != "paused") {
    return fail(invalid("status", "'status' must be active or paused"));
  }
  return store_.transact<store::Directory>(
      [&](store::Repositories& repos) -> Result<store::Directory> {
        auto current = repos.directories().get(env.id, org_id, id);
        if (!current) return current;
        if (current->status == status) return current;
        auto updated = repos.directories().set_status(env.id, org_id, id, status, clock_.now_ms());
        if (!updated) return updated;
        if (auto r = record(repos, env, *updated, actor, "directory.updated",
                            {{"status", {{"from", current->status}, {"to", updated->status}}}});
            !r) {
          return fail(r.error());
        }
        return updated;
      });
}

Result<store::Directory> DirectoryService::remove(const store::Environment& env,
                                                  const std::string& org_id, std::string_view id,
                                                  const tenancy::Actor& actor) {
  return store_.transact<store::Directory>(
      [&](store::Repositories& repos) -> Result<store::Directory> {
        auto removed = repos.directories().remove(env.id, org_id, id);
        if (!removed) return removed;
        if (auto r =
                record(repos, env, *removed, actor, "directory.deleted", {{"name", removed->name}});
            !r) {
          return fail(r.error());
        }
        return removed;
      });
}

Result<IssuedToken> DirectoryService::issue_token(const store::Environment& env,
                                                  const std::string& org_id,
                                                  std::string_view directory_id,
                                                  const std::string& name, int64_t expires_at_ms,
                                                  const tenancy::Actor& actor) {
  auto n = check_name(name, "name");
  if (!n) return fail(n.error());
  if (expires_at_ms && expires_at_ms <= clock_.now_ms()) {
    return fail(invalid("expires_at", "'expires_at' must be in the future"));
  }
  const tenancy::IssuedSecret secret =
      tenancy::issue_secret(kScimTokenPrefix, tenancy_.hasher(), random_);
  return store_.transact<IssuedToken>([&](store::Repositories& repos) -> Result<IssuedToken> {
    auto d = repos.directories().get(env.id, org_id, directory_id);
    if (!d) return fail(d.error());
    store::DirectoryToken t;
    t.directory_id = d->id;
    t.environment_id = env.id;
    t.organization_id = org_id;
    t.name = *n;
    t.lookup = secret.lookup;
    t.secret_hash = secret.hash;
    t.expires_at_ms = expires_at_ms;
    auto token = repos.directories().add_token(t);
    if (!token) return fail(token.error());
    if (auto r = record(repos, env, *d, actor, "directory.token_created",
                        {{"token_id", token->id}, {"name", token->name}});
        !r) {
      return fail(r.error());
    }
    return IssuedToken{*token, secret.token};
  });
}

Result<std::vector<store::DirectoryToken>> DirectoryService::tokens(const store::Environment& env,
                                                                    const std::string& org_id,
                                                                    std::string_view directory_id) {
  return store_.read<std::vector<store::DirectoryToken>>([&](store::Repositories& repos) {
    return repos.directories().list_tokens(env.id, org_id, directory_id);
  });
}

Result<store::DirectoryToken> DirectoryService::revoke_token(const store::Environment& env,
                                                             const std::string& org_id,
                                                             std::string_view directory_id,
                                                             std::string_view token_id,
                                                             const tenancy::Actor& actor) {
  return store_.transact<store::DirectoryToken>(
      [&](store::Repositories& repos) -> Result<store::DirectoryToken> {
        auto d = repos.directories().get(env.id, org_id, directory_id);
        if (!d) return fail(d.error());
        auto before = repos.directories().list_tokens(env.id, org_id, directory_id);
        if (!before) return fail(before.error());
        auto t = repos.directories().revoke_token(env.id, org_id, directory_id, token_id,
                                                  clock_.now_ms());
        if (!t) return t;
        if (auto r = record(repos, env, *d, actor, "directory.token_revoked",
                            {{"token_id", t->id}, {"name", t->name}});
            !r) {
          return fail(r.error());
        }
        repos.changed("directory_token", t->lookup);
        return t;
      });
}

DirectoryService::AuthOutcome DirectoryService::authenticate(
    std::string_view directory_id, std::optional<std::string_view> authorization) {
  AuthOutcome out;
  out.detail = "A valid bearer token of this directory is required";
  if (!authorization) return out;
  std::string_view h = *authorization;
  if (h.size() < 7) return out;
  std::string scheme(h.substr(0, 7));
  for (auto& c : scheme) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (scheme != "bearer ") return out;
  std::string_view token = h.substr(7);
  while (!token.empty() && token.front() == ' ') token.remove_prefix(1);
  auto lookup = tenancy::secret_lookup(token, kScimTokenPrefix);
  if (!lookup) return out;
  const int64_t now = clock_.now_ms();
  auto found = store_.read<std::optional<ScimCaller>>(
      [&](store::Repositories& repos) -> Result<std::optional<ScimCaller>> {
        auto t = repos.directories().find_token(*lookup);
        if (!t) return fail(t.error());
        // The hash is compared even for a token of another directory: no timing difference.
        if (!*t || !tenancy_.hasher().matches(token, (*t)->secret_hash)) {
          return std::optional<ScimCaller>{};
        }
        if ((*t)->directory_id != directory_id || (*t)->revoked_at_ms ||
            ((*t)->expires_at_ms && (*t)->expires_at_ms <= now)) {
          return std::optional<ScimCaller>{};
        }
        auto d = repos.directories().get((*t)->environment_id, (*t)->organization_id,
                                         (*t)->directory_id);
        if (!d) return std::optional<ScimCaller>{};
        auto envs = repos.environments().list();
        if (!envs) return fail(envs.error());
        for (auto& e : *envs) {
          if (e.id == d->environment_id) {
            return std::optional<ScimCaller>{ScimCaller{e, *d, **t, now}};
          }
        }
        return std::optional<ScimCaller>{};
      });
  if (!found) {
    out.status = 503;
    out.detail = "The store is unavailable; retry";
    return out;
  }
  if (!*found) return out;
  if ((*found)->directory.status != "active") {
    out.status = 403;
    out.detail = "This directory is paused; an administrator must resume it";
    return out;
  }
  // last_used_at at most once a minute: not a write per request.
  if (now - (*found)->token.last_used_at_ms > 60'000) {
    const auto& t = (*found)->token;
    (void)store_.transact<bool>([&](store::Repositories& repos) {
      return repos.directories().touch_token(t.organization_id, t.id, now);
    });
  }
  out.caller = std::move(*found);
  out.status = 200;
  out.detail.clear();
  return out;
}

void DirectoryService::log_request(const ScimCaller& caller, const std::string& method,
                                   const std::string& path, int status,
                                   const std::string& error_type,
                                   const std::string& redacted_body) {
  store::ScimRequestLogEntry e;
  e.environment_id = caller.env.id;
  e.organization_id = caller.directory.organization_id;
  e.directory_id = caller.directory.id;
  e.at_ms = clock_.now_ms();
  e.method = method;
  e.path = path.substr(0, 2048);
  e.status = status;
  e.error_type = error_type;
  std::string body = redacted_body.substr(0, 16384);
  if (sealing_ && !body.empty()) {
    crypto::SealContext ctx{e.environment_id, e.organization_id, "scim_request_log", e.directory_id,
                            "body"};
    auto sealed = sealing_->seal(ctx, body);
    if (!sealed) {
      log::warn("scim request log: sealing failed",
                {{"error", std::string(sealed.error().code_name())}});
      body.clear();
    } else {
      body = *sealed;
    }
  } else if (!sealing_) {
    body.clear();  // never store it in the clear
  }
  e.body = body;
  auto r = store_.transact<int64_t>(
      [&](store::Repositories& repos) { return repos.directories().append_log(e); });
  if (!r) log::warn("scim request log", {{"error", std::string(r.error().code_name())}});
}

Result<nlohmann::json> DirectoryService::request_log(const store::Environment& env,
                                                     const std::string& org_id,
                                                     std::string_view directory_id,
                                                     int64_t before_seq, int limit) {
  auto entries =
      store_.read<std::vector<store::ScimRequestLogEntry>>([&](store::Repositories& repos) {
        return repos.directories().list_log(env.id, org_id, directory_id, before_seq, limit);
      });
  if (!entries) return fail(entries.error());
  nlohmann::json items = nlohmann::json::array();
  for (const auto& e : *entries) {
    nlohmann::json body = nullptr;
    if (!e.body.empty() && sealing_) {
      crypto::SealContext ctx{e.environment_id, e.organization_id, "scim_request_log",
                              e.directory_id, "body"};
      auto opened = sealing_->open(ctx, e.body);
      if (!opened) return fail(opened.error());
      body = nlohmann::json::parse(*opened, nullptr, false);
      if (body.is_discarded()) body = *opened;
    }
    items.push_back({{"seq", e.seq},
                     {"at", format_rfc3339(e.at_ms)},
                     {"method", e.method},
                     {"path", e.path},
                     {"status", e.status},
                     {"error_type", e.error_type.empty() ? nlohmann::json(nullptr)
                                                         : nlohmann::json(e.error_type)},
                     {"body", body}});
  }
  nlohmann::json out = {{"data", items}};
  if (!entries->empty() && static_cast<int>(entries->size()) == limit) {
    out["next_before"] = entries->back().seq;
  }
  return out;
}

Result<nlohmann::json> DirectoryService::reconciliation(const store::Environment& env,
                                                        const std::string& org_id,
                                                        std::string_view directory_id,
                                                        int untouched_days, int limit) {
  const int64_t now = clock_.now_ms();
  const int64_t cutoff = now - static_cast<int64_t>(untouched_days) * 86'400'000LL;
  struct Read {
    store::Directory directory;
    store::DirectoryCounts counts;
    std::vector<store::ScimResource> untouched;
    std::vector<store::ScimRequestLogEntry> failures;
    std::vector<store::ScimDeactivation> deactivations;
    std::vector<store::ScimUserDrift> drift;
  };
  auto read = store_.read<Read>([&](store::Repositories& repos) -> Result<Read> {
    auto& dirs = repos.directories();
    Read out;
    auto d = dirs.get(env.id, org_id, directory_id);
    if (!d) return fail(d.error());
    out.directory = *d;
    // Failed requests: every one the request log still holds.
    auto c = dirs.counts(env.id, org_id, directory_id, cutoff, 0);
    if (!c) return fail(c.error());
    out.counts = *c;
    auto u = dirs.untouched_users(env.id, org_id, directory_id, cutoff, limit);
    if (!u) return fail(u.error());
    out.untouched = std::move(*u);
    auto f = dirs.list_failures(env.id, org_id, directory_id, 0, limit);
    if (!f) return fail(f.error());
    out.failures = std::move(*f);
    auto x = dirs.list_deactivations(env.id, org_id, directory_id, limit);
    if (!x) return fail(x.error());
    out.deactivations = std::move(*x);
    auto drift = dirs.drifted_users(env.id, org_id, directory_id, limit);
    if (!drift) return fail(drift.error());
    out.drift = std::move(*drift);
    return out;
  });
  if (!read) return fail(read.error());
  nlohmann::json untouched = nlohmann::json::array();
  for (const auto& r : read->untouched) {
    const auto* un = r.document.is_object() && r.document.contains("userName")
                         ? &r.document["userName"]
                         : nullptr;
    untouched.push_back({{"scim_id", r.id},
                         {"user_id", r.user_id},
                         {"userName", un ? *un : nlohmann::json(r.user_name)},
                         {"last_modified", format_rfc3339(r.updated_at_ms)}});
  }
  nlohmann::json failures = nlohmann::json::array();
  for (const auto& e : read->failures) {
    failures.push_back({{"seq", e.seq},
                        {"at", format_rfc3339(e.at_ms)},
                        {"method", e.method},
                        {"path", e.path},
                        {"status", e.status},
                        {"error_type", e.error_type}});
  }
  nlohmann::json deactivations = nlohmann::json::array();
  std::vector<int64_t> delays;
  for (const auto& x : read->deactivations) {
    const int64_t delay = x.sessions_revoked_at_ms - x.requested_at_ms;
    delays.push_back(delay);
    deactivations.push_back({{"scim_id", x.scim_id},
                             {"user_id", x.user_id},
                             {"cause", x.cause},
                             {"requested_at", format_rfc3339(x.requested_at_ms)},
                             {"requested_at_ms", x.requested_at_ms},
                             {"sessions_revoked_at", format_rfc3339(x.sessions_revoked_at_ms)},
                             {"sessions_revoked_at_ms", x.sessions_revoked_at_ms},
                             {"sessions_revoked", x.sessions_revoked},
                             {"delay_ms", delay}});
  }
  nlohmann::json delay_summary = nullptr;
  if (!delays.empty()) {
    std::sort(delays.begin(), delays.end());
    delay_summary = {
        {"count", delays.size()}, {"p50_ms", delays[delays.size() / 2]}, {"max_ms", delays.back()}};
  }
  // What the IdP last pushed against what Gatehouse holds.
  nlohmann::json drift = nlohmann::json::array();
  for (const auto& d : read->drift) {
    drift.push_back({{"scim_id", d.scim_id},
                     {"user_id", d.user_id},
                     {"scim_active", d.scim_active},
                     {"user_state", d.user_state.empty() ? nlohmann::json(nullptr)
                                                         : nlohmann::json(d.user_state)}});
  }
  const auto& c = read->counts;
  return nlohmann::json{
      {"directory_id", read->directory.id},
      {"generated_at", format_rfc3339(now)},
      {"untouched_days", untouched_days},
      {"users",
       {{"total", c.users}, {"active", c.active_users}, {"inactive", c.users - c.active_users}}},
      {"groups", {{"total", c.groups}, {"memberships", c.memberships}}},
      {"out_of_sync_users", drift},
      {"untouched_users", {{"count", c.untouched_users}, {"users", untouched}}},
      {"failed_requests", {{"count", c.failed_requests}, {"recent", failures}}},
      {"deactivations", {{"delay", delay_summary}, {"recent", deactivations}}}};
}

Result<std::string> DirectoryService::set_link_rule(const store::Environment& env,
                                                    const std::string& org_id,
                                                    std::string_view connection_id,
                                                    std::string_view rule_in,
                                                    const tenancy::Actor& actor) {
  const std::string rule(rule_in);
  if (rule != "none" && rule != "external_id" && rule != "user_name" && rule != "email") {
    return fail(invalid("rule", "'rule' must be none, external_id, user_name or email"));
  }
  return store_.transact<std::string>([&](store::Repositories& repos) -> Result<std::string> {
    auto conn = repos.connections().get(env.id, org_id, connection_id);
    if (!conn) return fail(conn.error());
    auto before = repos.directories().link_rule(env.id, org_id, connection_id);
    if (!before) return fail(before.error());
    const std::string stored = rule == "none" ? "" : rule;
    if (*before == stored) return rule;
    auto saved =
        repos.directories().set_link_rule(env.id, org_id, connection_id, stored, clock_.now_ms());
    if (!saved) return fail(saved.error());
    const nlohmann::json change = {{"from", before->empty() ? "none" : *before}, {"to", rule}};
    auto r = tenancy_.record(repos, env, org_id, actor, "connection.directory_link_updated",
                             "connection", conn->id, {{"directory_link", change}},
                             {{"connection_id", conn->id}, {"directory_link", change}});
    if (!r) return fail(r.error());
    return rule;
  });
}

Result<std::string> DirectoryService::link_rule(const store::Environment& env,
                                                const std::string& org_id,
                                                std::string_view connection_id) {
  return store_.read<std::string>([&](store::Repositories& repos) -> Result<std::string> {
    auto conn = repos.connections().get(env.id, org_id, connection_id);
    if (!conn) return fail(conn.error());
    auto rule = repos.directories().link_rule(env.id, org_id, connection_id);
    if (!rule) return fail(rule.error());
    return rule->empty() ? std::string("none") : *rule;
  });
}

}  // namespace gh::directory
