#include "tenancy/service.h"

#include "core/ids.h"
#include "tenancy/error_codes.h"

namespace gh::tenancy {

nlohmann::json organization_json(const store::Organization& org) {
  nlohmann::json j = {{"id", org.id},
                      {"slug", org.slug},
                      {"name", org.name},
                      {"metadata", org.metadata},
                      {"status", org.status},
                      {"version", org.version},
                      {"created_at", format_rfc3339(org.created_at_ms)},
                      {"updated_at", format_rfc3339(org.updated_at_ms)}};
  if (org.deleted_at_ms) {
    j["deleted_at"] = format_rfc3339(org.deleted_at_ms);
    j["restorable_until"] = format_rfc3339(org.deleted_at_ms + store::kOrganizationRestoreWindowMs);
  }
  return j;
}

nlohmann::json api_key_json(const store::ApiKey& key) {
  nlohmann::json j = {{"id", key.id},
                      {"name", key.name},
                      {"role", key.role},
                      {"prefix", std::string(kApiKeyPrefix) + key.lookup},
                      {"created_at", format_rfc3339(key.created_at_ms)},
                      {"status", key.revoked_at_ms ? "revoked" : "active"}};
  if (!key.organization_id.empty()) j["organization_id"] = key.organization_id;
  if (key.expires_at_ms) j["expires_at"] = format_rfc3339(key.expires_at_ms);
  if (key.revoked_at_ms) j["revoked_at"] = format_rfc3339(key.revoked_at_ms);
  return j;
}

TenancyService::TenancyService(store::Store& store, SecretHasher hasher, const Clock& clock)
    : store_(store), hasher_(std::move(hasher)), clock_(clock) {
  // The store (and its PostgreSQL listener thread) may outlive this service: the subscription
  // reaches it through a handle that dies with it.
  bus_handle_ = std::make_shared<TenancyService*>(this);
  store_.changes().subscribe(
      [weak = std::weak_ptr<TenancyService*>(bus_handle_)](const store::Change& c) {
        if (!c.flush_all() && c.topic != "api_key") return;
        auto h = weak.lock();
        if (!h) return;
        TenancyService& self = **h;
        std::lock_guard lock(self.key_cache_mu_);
        if (c.flush_all()) {
          self.key_cache_.clear();
        } else {
          self.key_cache_.erase(c.key);
        }
      });
}

Result<bool> TenancyService::record(store::Repositories& repos, const store::Environment& env,
                                    const std::string& organization_id, const Actor& actor,
                                    const std::string& action, const std::string& target_type,
                                    const std::string& target_id, const nlohmann::json& summary,
                                    const nlohmann::json& event_payload) {
  store::AuditRecord rec;
  rec.environment_id = env.id;
  rec.organization_id = organization_id;
  rec.actor_type = actor.type;
  rec.actor_id = actor.id;
  rec.action = action;
  rec.target_type = target_type;
  rec.target_id = target_id;
  rec.request_id = actor.request_id;
  rec.source_ip = actor.source_ip;
  rec.summary = summary;
  rec.occurred_at_ms = clock_.now_ms();
  if (auto appended = repos.audit().append(rec); !appended) return fail(appended.error());
  store::OutboxEvent ev;
  ev.environment_id = env.id;
  ev.organization_id = organization_id;
  ev.type = action;
  ev.payload = event_payload;
  ev.payload["environment"] = env.name;
  ev.occurred_at_ms = rec.occurred_at_ms;
  if (auto queued = repos.outbox().enqueue(ev); !queued) return fail(queued.error());
  return true;
}

namespace {
Result<bool> check_org_input(const OrganizationInput& in) {
  if (in.status && *in.status != "active" && *in.status != "suspended") {
    Error e(errc::RequestInvalidField, "'status' must be active or suspended");
    e.extra["field"] = "status";
    return fail(e);
  }
  return true;
}
}  // namespace

Result<store::Organization> TenancyService::create_organization(const store::Environment& env,
                                                                const OrganizationInput& in,
                                                                const Actor& actor) {
  if (auto ok = check_org_input(in); !ok) return fail(ok.error());
  store::Organization org;
  org.environment_id = env.id;
  org.name = in.name.value_or("");
  org.slug = in.slug.value_or("");
  if (in.metadata) org.metadata = *in.metadata;
  if (in.status) org.status = *in.status;
  return store_.transact<store::Organization>(
      [&](store::Repositories& repos) -> Result<store::Organization> {
        auto created = repos.organizations().create(org);
        if (!created) return created;
        const auto j = organization_json(*created);
        if (auto recorded = record(
                repos, env, created->id, actor, "organization.created", "organization", created->id,
                {{"slug", created->slug}, {"name", created->name}}, {{"organization", j}});
            !recorded) {
          return fail(recorded.error());
        }
        repos.changed("organization", created->id);
        return created;
      });
}

Result<store::Organization> TenancyService::update_organization(const store::Environment& env,
                                                                const std::string& org_id,
                                                                const OrganizationInput& in,
                                                                int64_t expected_version,
                                                                const Actor& actor) {
  if (auto ok = check_org_input(in); !ok) return fail(ok.error());
  return store_.transact<store::Organization>(
      [&](store::Repositories& repos) -> Result<store::Organization> {
        auto current = repos.organizations().get(env.id, org_id);
        if (!current) return current;
        store::Organization next = *current;
        nlohmann::json changes = nlohmann::json::object();
        if (in.name && *in.name != next.name) {
          changes["name"] = {{"from", next.name}, {"to", *in.name}};
          next.name = *in.name;
        }
        if (in.slug && *in.slug != next.slug) {
          changes["slug"] = {{"from", next.slug}, {"to", *in.slug}};
          next.slug = *in.slug;
        }
        if (in.metadata && *in.metadata != next.metadata) {
          changes["metadata"] = {{"from", next.metadata}, {"to", *in.metadata}};
          next.metadata = *in.metadata;
        }
        if (in.status && *in.status != next.status) {
          changes["status"] = {{"from", next.status}, {"to", *in.status}};
          next.status = *in.status;
        }
        const int64_t expected = expected_version < 0 ? current->version : expected_version;
        auto updated = repos.organizations().update(next, expected);
        if (!updated) return updated;
        if (auto recorded =
                record(repos, env, org_id, actor, "organization.updated", "organization", org_id,
                       {{"changes", changes}}, {{"organization", organization_json(*updated)}});
            !recorded) {
          return fail(recorded.error());
        }
        repos.changed("organization", org_id);
        return updated;
      });
}

Result<store::Organization> TenancyService::delete_organization(const store::Environment& env,
                                                                const std::string& org_id,
                                                                const Actor& actor) {
  return store_.transact<store::Organization>(
      [&](store::Repositories& repos) -> Result<store::Organization> {
        auto deleted = repos.organizations().soft_delete(env.id, org_id, clock_.now_ms());
        if (!deleted) return deleted;
        if (auto recorded =
                record(repos, env, org_id, actor, "organization.deleted", "organization", org_id,
                       {{"slug", deleted->slug}}, {{"organization", organization_json(*deleted)}});
            !recorded) {
          return fail(recorded.error());
        }
        repos.changed("organization", org_id);
        return deleted;
      });
}

Result<store::Organization> TenancyService::restore_organization(const store::Environment& env,
                                                                 const std::string& org_id,
                                                                 const Actor& actor) {
  return store_.transact<store::Organization>(
      [&](store::Repositories& repos) -> Result<store::Organization> {
        auto restored = repos.organizations().restore(env.id, org_id, clock_.now_ms());
        if (!restored) return restored;
        if (auto recorded = record(repos, env, org_id, actor, "organization.restored",
                                   "organization", org_id, {{"slug", restored->slug}},
                                   {{"organization", organization_json(*restored)}});
            !recorded) {
          return fail(recorded.error());
        }
        repos.changed("organization", org_id);
        return restored;
      });
}

Result<TenancyService::IssuedKey> TenancyService::create_api_key(const store::Environment& env,
                                                                 const NewApiKey& in,
                                                                 const Actor& actor) {
  if (in.role != "admin" && in.role != "read_only" && in.role != "organization") {
    Error e(errc::RequestInvalidField, "'role' must be admin, read_only or organization");
    e.extra["field"] = "role";
    return fail(e);
  }
  if ((in.role == "organization") != !in.organization_id.empty()) {
    Error e(errc::RequestInvalidField,
            "Organization keys are created under /organizations/{org}/api-keys with role "
            "organization; environment keys are admin or read_only");
    e.extra["field"] = "role";
    return fail(e);
  }
  if (in.expires_at_ms && in.expires_at_ms <= clock_.now_ms()) {
    Error e(errc::RequestInvalidField, "'expires_at' must be in the future");
    e.extra["field"] = "expires_at";
    return fail(e);
  }
  IssuedSecret secret = issue_secret(kApiKeyPrefix, hasher_);
  return store_.transact<IssuedKey>([&](store::Repositories& repos) -> Result<IssuedKey> {
    if (!in.organization_id.empty()) {
      auto org = repos.organizations().get(env.id, in.organization_id);
      if (!org) return fail(org.error());
    }
    store::ApiKey key;
    key.environment_id = env.id;
    key.organization_id = in.organization_id;
    key.name = in.name;
    key.role = in.role;
    key.lookup = secret.lookup;
    key.secret_hash = secret.hash;
    key.expires_at_ms = in.expires_at_ms;
    key.created_by = actor.type + ":" + actor.id;
    auto created = repos.api_keys().create(key);
    if (!created) return fail(created.error());
    if (auto recorded = record(repos, env, in.organization_id, actor, "api_key.created", "api_key",
                               created->id, {{"name", created->name}, {"role", created->role}},
                               {{"api_key", api_key_json(*created)}});
        !recorded) {
      return fail(recorded.error());
    }
    return IssuedKey{*created, secret.token};
  });
}

Result<store::ApiKey> TenancyService::revoke_api_key(const store::Environment& env,
                                                     const std::string& organization_id,
                                                     const std::string& key_id,
                                                     const Actor& actor) {
  return store_.transact<store::ApiKey>([&](store::Repositories& repos) -> Result<store::ApiKey> {
    auto revoked = repos.api_keys().revoke(env.id, organization_id, key_id, clock_.now_ms());
    if (!revoked) return revoked;
    if (auto recorded =
            record(repos, env, revoked->organization_id, actor, "api_key.revoked", "api_key",
                   key_id, {{"name", revoked->name}}, {{"api_key", api_key_json(*revoked)}});
        !recorded) {
      return fail(recorded.error());
    }
    repos.changed("api_key", revoked->lookup);
    return revoked;
  });
}

Result<Principal> TenancyService::authenticate(std::optional<std::string_view> authorization) {
  if (!authorization || authorization->empty()) return fail(errc::AuthMissingCredentials);
  std::string_view h = *authorization;
  constexpr std::string_view kBearer = "Bearer ";
  if (h.size() <= kBearer.size() || strncasecmp(h.data(), kBearer.data(), kBearer.size()) != 0) {
    return fail(errc::AuthMissingCredentials,
                "Send the API key as Authorization: Bearer gh_ak_...");
  }
  const std::string_view token = h.substr(kBearer.size());
  auto lookup = secret_lookup(token, kApiKeyPrefix);
  if (!lookup) return fail(errc::AuthInvalidCredentials);

  const int64_t now = clock_.now_ms();
  std::optional<store::ApiKey> key;
  {
    std::lock_guard lock(key_cache_mu_);
    if (auto it = key_cache_.find(*lookup); it != key_cache_.end() && it->second.expires_ms > now) {
      key = it->second.key;
    }
  }
  if (!key) {
    auto found = store_.read<std::optional<store::ApiKey>>(
        [&](store::Repositories& repos) { return repos.api_keys().find_by_lookup(*lookup); });
    if (!found) return fail(found.error());
    if (!*found) return fail(errc::AuthInvalidCredentials);
    key = **found;
    std::lock_guard lock(key_cache_mu_);
    key_cache_[*lookup] = {*key, now + kKeyCacheTtlMs};
  }
  // The hash is checked before anything about the key is revealed.
  if (!hasher_.matches(token, key->secret_hash)) return fail(errc::AuthInvalidCredentials);
  if (key->revoked_at_ms) return fail(errc::AuthKeyRevoked);
  if (key->expires_at_ms && key->expires_at_ms <= now) return fail(errc::AuthKeyExpired);
  return Principal{key->id, key->environment_id, key->organization_id, key->role};
}

Result<store::PolicyDocument> TenancyService::put_policy(const store::Environment& env,
                                                         const std::string& organization_id,
                                                         const nlohmann::json& document,
                                                         int64_t expected_version,
                                                         const Actor& actor) {
  auto valid = validate_policy_document(document);
  if (!valid) return fail(valid.error());
  return store_.transact<store::PolicyDocument>(
      [&](store::Repositories& repos) -> Result<store::PolicyDocument> {
        if (!organization_id.empty()) {
          auto org = repos.organizations().get(env.id, organization_id);
          if (!org) return fail(org.error());
        }
        auto current = repos.policies().get(env.id, organization_id);
        if (!current) return fail(current.error());
        const int64_t version = *current ? (*current)->version : 0;
        const int64_t expected = expected_version < 0 ? version : expected_version;
        if (expected != version) {
          return fail(
              errc::RequestPreconditionFailed,
              "The policy is at version " + std::to_string(version) + "; read it again and retry");
        }
        const nlohmann::json before = *current ? (*current)->document : nlohmann::json::object();
        store::PolicyDocument doc{env.id, organization_id, document, 0, 0};
        auto saved = repos.policies().put(doc, expected);
        if (!saved) return saved;
        if (auto recorded =
                record(repos, env, organization_id, actor, "policy.updated", "policy",
                       organization_id.empty() ? env.id : organization_id,
                       {{"changes", policy_diff(before, document)}, {"version", saved->version}},
                       {{"policy", document}, {"version", saved->version}});
            !recorded) {
          return fail(recorded.error());
        }
        repos.changed("policy", env.id + "/" + organization_id);
        return saved;
      });
}

Result<SecurityPolicy> TenancyService::policy_for(const store::Environment& env,
                                                  const std::string& organization_id) {
  return store_.read<SecurityPolicy>([&](store::Repositories& repos) -> Result<SecurityPolicy> {
    auto env_doc = repos.policies().get(env.id, "");
    if (!env_doc) return fail(env_doc.error());
    nlohmann::json org_json = nlohmann::json::object();
    if (!organization_id.empty()) {
      auto org = repos.organizations().get(env.id, organization_id);
      if (!org) return fail(org.error());
      auto org_doc = repos.policies().get(env.id, organization_id);
      if (!org_doc) return fail(org_doc.error());
      if (*org_doc) org_json = (*org_doc)->document;
    }
    return effective_policy(*env_doc ? (*env_doc)->document : nlohmann::json::object(), org_json);
  });
}

}  // namespace gh::tenancy
