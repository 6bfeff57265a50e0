#include "store/sql/tenancy_repos.h"

#include "core/ids.h"
#include "tenancy/error_codes.h"

namespace gh::store {

bool is_valid_slug(std::string_view slug) {
  if (slug.size() < 2 || slug.size() > 64) return false;
  const auto ok_first = [](char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'); };
  if (!ok_first(slug[0]) || slug.back() == '-') return false;
  for (char c : slug) {
    if (!ok_first(c) && c != '-') return false;
  }
  return true;
}

namespace {

// ---- organizations -------------------------------------------------------------------------

constexpr const char* kOrgColumns =
    "id, environment_id, slug, name, metadata, status, version, created_at, updated_at, "
    "deleted_at";

// Every column of kOrgColumns, in order.
#define GH_ORG_INTO(r)                                                                    \
  soci::into(r.id), soci::into(r.environment_id), soci::into(r.slug), soci::into(r.name), \
      soci::into(r.metadata), soci::into(r.status), soci::into(r.version),                \
      soci::into(r.created_at), soci::into(r.updated_at), soci::into(r.deleted_at)

struct OrgRow {
  std::string id, environment_id, slug, name, metadata, status;
  long long version = 0, created_at = 0, updated_at = 0, deleted_at = 0;

  Organization to_org() const {
    Organization o;
    o.id = id;
    o.environment_id = environment_id;
    o.slug = slug;
    o.name = name;
    o.metadata = nlohmann::json::parse(metadata, nullptr, false);
    if (o.metadata.is_discarded()) o.metadata = nlohmann::json::object();
    o.status = status;
    o.version = version;
    o.created_at_ms = created_at;
    o.updated_at_ms = updated_at;
    o.deleted_at_ms = deleted_at;
    return o;
  }
};

Result<Organization> not_found(std::string_view org_id) {
  return fail(errc::TenantNotFound,
              "No organization '" + std::string(org_id) + "' in this environment");
}

}  // namespace

Result<Organization> SqlOrganizationRepository::create(const Organization& in) {
  if (!is_valid_slug(in.slug)) return fail(errc::TenantInvalidSlug);
  Organization org = in;
  if (org.id.empty()) org.id = new_uuid_v7(ctx_.clock);
  org.version = 1;
  org.created_at_ms = org.updated_at_ms = ctx_.clock.now_ms();
  org.deleted_at_ms = 0;
  const std::string metadata = org.metadata.dump();
  long long version = 1, created = org.created_at_ms, deleted = 0;
  int inserted = 0;
  ctx_.sql << "INSERT INTO organizations (" << kOrgColumns
           << ") VALUES (:id, :env, :slug, :name, :meta, :status, :v, :c, :u, :d) "
              "ON CONFLICT (environment_id, slug) DO NOTHING RETURNING 1",
      soci::use(org.id), soci::use(org.environment_id), soci::use(org.slug), soci::use(org.name),
      soci::use(metadata), soci::use(org.status), soci::use(version), soci::use(created),
      soci::use(created), soci::use(deleted), soci::into(inserted);
  if (!ctx_.sql.got_data()) {
    return fail(
        errc::TenantSlugTaken,
        "Another organization in this environment already uses the slug '" + org.slug + "'");
  }
  return org;
}

Result<Organization> SqlOrganizationRepository::get(std::string_view environment_id,
                                                    std::string_view org_id, bool include_deleted) {
  OrgRow r;
  std::string env(environment_id), id(org_id);
  soci::statement st = (ctx_.sql.prepare << "SELECT " << kOrgColumns
                                         << " FROM organizations WHERE environment_id = :env "
                                            "AND id = :id",
                        soci::use(env), soci::use(id), GH_ORG_INTO(r));

  st.execute(true);
  if (!st.got_data() || (r.deleted_at != 0 && !include_deleted)) return not_found(org_id);
  return r.to_org();
}

Result<Organization> SqlOrganizationRepository::get_by_slug(std::string_view environment_id,
                                                            std::string_view slug) {
  OrgRow r;
  std::string env(environment_id), s(slug);
  soci::statement st = (ctx_.sql.prepare << "SELECT " << kOrgColumns
                                         << " FROM organizations WHERE environment_id = :env "
                                            "AND slug = :slug AND deleted_at = 0",
                        soci::use(env), soci::use(s), GH_ORG_INTO(r));

  st.execute(true);
  if (!st.got_data()) return not_found(slug);
  return r.to_org();
}

Result<PageOf<Organization>> SqlOrganizationRepository::list(std::string_view environment_id,
                                                             const Page& page,
                                                             bool include_deleted) {
  PageOf<Organization> out;
  OrgRow r;
  std::string env(environment_id), after(page.after);
  const int limit = std::clamp(page.limit, 1, 100);
  const int fetch = limit + 1;
  const int deleted_ok = include_deleted ? 1 : 0;
  soci::statement st =
      (ctx_.sql.prepare << "SELECT " << kOrgColumns
                        << " FROM organizations WHERE environment_id = :env AND id > :after AND "
                           "(deleted_at = 0 OR :deleted_ok = 1) ORDER BY id LIMIT :lim",
       soci::use(env), soci::use(after), soci::use(deleted_ok), soci::use(fetch), GH_ORG_INTO(r));

  st.execute();
  while (st.fetch()) out.items.push_back(r.to_org());
  if (static_cast<int>(out.items.size()) > limit) {
    out.items.pop_back();
    out.next = out.items.back().id;
  }
  return out;
}

Result<Organization> SqlOrganizationRepository::update(const Organization& org,
                                                       int64_t expected_version) {
  if (!is_valid_slug(org.slug)) return fail(errc::TenantInvalidSlug);
  auto current = get(org.environment_id, org.id, false);
  if (!current) return current;
  if (current->version != expected_version) {
    return fail(errc::RequestPreconditionFailed,
                "The organization changed since you read it (now at version " +
                    std::to_string(current->version) + "); read it again and retry");
  }
  if (org.slug != current->slug) {
    int taken = 0;
    ctx_.sql << "SELECT COUNT(*) FROM organizations WHERE environment_id = :env AND slug = :slug",
        soci::use(org.environment_id), soci::use(org.slug), soci::into(taken);
    if (taken) {
      return fail(errc::TenantSlugTaken,
                  "Another organization in this environment already "
                  "uses the slug '" +
                      org.slug + "'");
    }
  }
  const std::string metadata = org.metadata.dump();
  long long now = ctx_.clock.now_ms(), expected = expected_version;
  long long new_version = 0;
  ctx_.sql << "UPDATE organizations SET slug = :slug, name = :name, metadata = :meta, status = "
              ":status, version = version + 1, updated_at = :now WHERE environment_id = :env AND "
              "id = :id AND version = :v AND deleted_at = 0 RETURNING version",
      soci::use(org.slug), soci::use(org.name), soci::use(metadata), soci::use(org.status),
      soci::use(now), soci::use(org.environment_id), soci::use(org.id), soci::use(expected),
      soci::into(new_version);
  if (!ctx_.sql.got_data()) {
    return fail(errc::RequestPreconditionFailed,
                "The organization changed since you read it; read it again and retry");
  }
  return get(org.environment_id, org.id, false);
}

Result<Organization> SqlOrganizationRepository::soft_delete(std::string_view environment_id,
                                                            std::string_view org_id,
                                                            int64_t now_ms) {
  std::string env(environment_id), id(org_id);
  long long now = now_ms;
  long long version = 0;
  ctx_.sql << "UPDATE organizations SET deleted_at = :now, version = version + 1, updated_at = "
              ":now2 WHERE environment_id = :env AND id = :id AND deleted_at = 0 RETURNING version",
      soci::use(now), soci::use(now), soci::use(env), soci::use(id), soci::into(version);
  if (!ctx_.sql.got_data()) return not_found(org_id);
  return get(environment_id, org_id, true);
}

Result<Organization> SqlOrganizationRepository::restore(std::string_view environment_id,
                                                        std::string_view org_id, int64_t now_ms) {
  std::string env(environment_id), id(org_id);
  long long now = now_ms, oldest = now_ms - kOrganizationRestoreWindowMs;
  long long version = 0;
  ctx_.sql << "UPDATE organizations SET deleted_at = 0, version = version + 1, updated_at = :now "
              "WHERE environment_id = :env AND id = :id AND deleted_at <> 0 AND deleted_at >= "
              ":oldest RETURNING version",
      soci::use(now), soci::use(env), soci::use(id), soci::use(oldest), soci::into(version);
  if (!ctx_.sql.got_data()) {
    return fail(errc::TenantNotFound, "No deleted organization '" + id +
                                          "' restorable in this environment (the window "
                                          "is 30 days)");
  }
  return get(environment_id, org_id, false);
}

// ---- API keys ------------------------------------------------------------------------------

namespace {

constexpr const char* kKeyColumns =
    "id, environment_id, organization_id, name, role, lookup, secret_hash, created_at, "
    "expires_at, revoked_at, last_used_at, created_by";

#define GH_KEY_INTO(r)                                                                         \
  soci::into(r.id), soci::into(r.environment_id), soci::into(r.organization_id),               \
      soci::into(r.name), soci::into(r.role), soci::into(r.lookup), soci::into(r.secret_hash), \
      soci::into(r.created_at), soci::into(r.expires_at), soci::into(r.revoked_at),            \
      soci::into(r.last_used_at), soci::into(r.created_by)

struct KeyRow {
  std::string id, environment_id, organization_id, name, role, lookup, secret_hash, created_by;
  long long created_at = 0, expires_at = 0, revoked_at = 0, last_used_at = 0;
  ApiKey to_key() const {
    return {id,          environment_id, organization_id, name,       role,         lookup,
            secret_hash, created_at,     expires_at,      revoked_at, last_used_at, created_by};
  }
};

}  // namespace

Result<ApiKey> SqlApiKeyRepository::create(const ApiKey& in) {
  ApiKey key = in;
  if (key.id.empty()) key.id = new_uuid_v7(ctx_.clock);
  key.created_at_ms = ctx_.clock.now_ms();
  long long created = key.created_at_ms, expires = key.expires_at_ms, zero = 0;
  ctx_.sql << "INSERT INTO api_keys (" << kKeyColumns
           << ") VALUES (:id, :env, :org, :name, :role, :lookup, :hash, :c, :e, :r, :l, :by)",
      soci::use(key.id), soci::use(key.environment_id), soci::use(key.organization_id),
      soci::use(key.name), soci::use(key.role), soci::use(key.lookup), soci::use(key.secret_hash),
      soci::use(created), soci::use(expires), soci::use(zero), soci::use(zero),
      soci::use(key.created_by);
  return key;
}

Result<std::optional<ApiKey>> SqlApiKeyRepository::find_by_lookup(std::string_view lookup) {
  KeyRow r;
  std::string l(lookup);
  soci::statement st =
      (ctx_.sql.prepare << "SELECT " << kKeyColumns << " FROM api_keys WHERE lookup = :l",
       soci::use(l), GH_KEY_INTO(r));

  st.execute(true);
  if (!st.got_data()) return std::optional<ApiKey>{};
  return std::optional<ApiKey>{r.to_key()};
}

Result<std::vector<ApiKey>> SqlApiKeyRepository::list(std::string_view environment_id,
                                                      std::string_view organization_id) {
  std::vector<ApiKey> out;
  KeyRow r;
  std::string env(environment_id), org(organization_id);
  const int any_org = organization_id.empty() ? 1 : 0;
  soci::statement st =
      (ctx_.sql.prepare << "SELECT " << kKeyColumns
                        << " FROM api_keys WHERE environment_id = :env AND (:any = 1 OR "
                           "organization_id = :org) ORDER BY id",
       soci::use(env), soci::use(any_org), soci::use(org), GH_KEY_INTO(r));

  st.execute();
  while (st.fetch()) out.push_back(r.to_key());
  return out;
}

Result<ApiKey> SqlApiKeyRepository::get(std::string_view environment_id,
                                        std::string_view organization_id, std::string_view key_id) {
  KeyRow r;
  std::string env(environment_id), org(organization_id), id(key_id);
  const int any_org = organization_id.empty() ? 1 : 0;
  soci::statement st =
      (ctx_.sql.prepare << "SELECT " << kKeyColumns
                        << " FROM api_keys WHERE environment_id = :env AND id = :id AND (:any = "
                           "1 OR organization_id = :org)",
       soci::use(env), soci::use(id), soci::use(any_org), soci::use(org), GH_KEY_INTO(r));

  st.execute(true);
  if (!st.got_data()) return fail(errc::ApiKeyNotFound);
  return r.to_key();
}

Result<ApiKey> SqlApiKeyRepository::revoke(std::string_view environment_id,
                                           std::string_view organization_id,
                                           std::string_view key_id, int64_t now_ms) {
  auto key = get(environment_id, organization_id, key_id);
  if (!key) return key;
  if (key->revoked_at_ms != 0) return key;
  long long now = now_ms;
  ctx_.sql << "UPDATE api_keys SET revoked_at = :now WHERE id = :id", soci::use(now),
      soci::use(key->id);
  key->revoked_at_ms = now_ms;
  return key;
}

// ---- audit ---------------------------------------------------------------------------------

Result<int64_t> SqlAuditRepository::append(const AuditRecord& rec) {
  const std::string summary = rec.summary.dump();
  long long at = rec.occurred_at_ms ? rec.occurred_at_ms : ctx_.clock.now_ms();
  long long seq = 0;
  ctx_.sql << "INSERT INTO audit_records (environment_id, organization_id, actor_type, actor_id, "
              "action, target_type, target_id, request_id, source_ip, outcome, summary, "
              "occurred_at) VALUES (:env, :org, :at, :aid, :action, :tt, :tid, :rid, :ip, :out, "
              ":summary, :when) RETURNING seq",
      soci::use(rec.environment_id), soci::use(rec.organization_id), soci::use(rec.actor_type),
      soci::use(rec.actor_id), soci::use(rec.action), soci::use(rec.target_type),
      soci::use(rec.target_id), soci::use(rec.request_id), soci::use(rec.source_ip),
      soci::use(rec.outcome), soci::use(summary), soci::use(at), soci::into(seq);
  return static_cast<int64_t>(seq);
}

Result<std::vector<AuditRecord>> SqlAuditRepository::list(std::string_view environment_id,
                                                          std::string_view organization_id,
                                                          int64_t after, int limit) {
  std::vector<AuditRecord> out;
  std::string env(environment_id), org(organization_id);
  const int any_org = organization_id.empty() ? 1 : 0;
  long long after_seq = after;
  int lim = std::clamp(limit, 1, 1000);
  AuditRecord r;
  long long seq = 0, at = 0;
  std::string summary;
  soci::statement st =
      (ctx_.sql.prepare << "SELECT seq, environment_id, organization_id, actor_type, actor_id, "
                           "action, target_type, target_id, request_id, source_ip, outcome, "
                           "summary, occurred_at FROM audit_records WHERE environment_id = :env "
                           "AND (:any = 1 OR organization_id = :org) AND seq > :after ORDER BY "
                           "seq LIMIT :lim",
       soci::use(env), soci::use(any_org), soci::use(org), soci::use(after_seq), soci::use(lim),
       soci::into(seq), soci::into(r.environment_id), soci::into(r.organization_id),
       soci::into(r.actor_type), soci::into(r.actor_id), soci::into(r.action),
       soci::into(r.target_type), soci::into(r.target_id), soci::into(r.request_id),
       soci::into(r.source_ip), soci::into(r.outcome), soci::into(summary), soci::into(at));
  st.execute();
  while (st.fetch()) {
    AuditRecord copy = r;
    copy.seq = seq;
    copy.occurred_at_ms = at;
    copy.summary = nlohmann::json::parse(summary, nullptr, false);
    if (copy.summary.is_discarded()) copy.summary = nlohmann::json::object();
    out.push_back(std::move(copy));
  }
  return out;
}

// ---- policies ------------------------------------------------------------------------------

Result<std::optional<PolicyDocument>> SqlPolicyRepository::get(std::string_view environment_id,
                                                               std::string_view organization_id) {
  std::string env(environment_id), org(organization_id), document;
  long long version = 0, updated = 0;
  ctx_.sql << "SELECT document, version, updated_at FROM org_policies WHERE environment_id = "
              ":env AND organization_id = :org",
      soci::use(env), soci::use(org), soci::into(document), soci::into(version),
      soci::into(updated);
  if (!ctx_.sql.got_data()) return std::optional<PolicyDocument>{};
  PolicyDocument d;
  d.environment_id = env;
  d.organization_id = org;
  d.document = nlohmann::json::parse(document, nullptr, false);
  if (d.document.is_discarded()) d.document = nlohmann::json::object();
  d.version = version;
  d.updated_at_ms = updated;
  return std::optional<PolicyDocument>{std::move(d)};
}

Result<PolicyDocument> SqlPolicyRepository::put(const PolicyDocument& doc,
                                                int64_t expected_version) {
  const std::string document = doc.document.dump();
  long long now = ctx_.clock.now_ms(), expected = expected_version, version = 0;
  if (expected_version == 0) {
    ctx_.sql << "INSERT INTO org_policies (environment_id, organization_id, document, version, "
                "updated_at) VALUES (:env, :org, :doc, 1, :now) ON CONFLICT (environment_id, "
                "organization_id) DO NOTHING RETURNING version",
        soci::use(doc.environment_id), soci::use(doc.organization_id), soci::use(document),
        soci::use(now), soci::into(version);
  } else {
    ctx_.sql << "UPDATE org_policies SET document = :doc, version = version + 1, updated_at = "
                ":now WHERE environment_id = :env AND organization_id = :org AND version = :v "
                "RETURNING version",
        soci::use(document), soci::use(now), soci::use(doc.environment_id),
        soci::use(doc.organization_id), soci::use(expected), soci::into(version);
  }
  if (!ctx_.sql.got_data()) {
    return fail(errc::RequestPreconditionFailed,
                "The policy changed since you read it; read it again and retry");
  }
  PolicyDocument out = doc;
  out.version = version;
  out.updated_at_ms = now;
  return out;
}

}  // namespace gh::store
