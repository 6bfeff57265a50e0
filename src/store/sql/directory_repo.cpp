#include "store/sql/directory_repo.h"

#include <algorithm>
#include <cctype>
#include <limits>

#include "core/ids.h"
#include "directory/error_codes.h"

namespace gh::store {

namespace {

const char* kDirColumns =
    "id, environment_id, organization_id, name, status, version, created_at, updated_at";

struct DirRow {
  std::string id, environment_id, organization_id, name, status;
  long long version = 0, created_at = 0, updated_at = 0;
  Directory to() const {
    return {id, environment_id, organization_id, name, status, version, created_at, updated_at};
  }
};
#define GH_DIR_INTO(r)                                                                           \
  soci::into(r.id), soci::into(r.environment_id), soci::into(r.organization_id),                 \
      soci::into(r.name), soci::into(r.status), soci::into(r.version), soci::into(r.created_at), \
      soci::into(r.updated_at)

const char* kTokenColumns =
    "id, directory_id, environment_id, organization_id, name, lookup, secret_hash, created_at, "
    "expires_at, revoked_at, last_used_at";
struct TokenRow {
  std::string id, directory_id, environment_id, organization_id, name, lookup, secret_hash;
  long long created_at = 0, expires_at = 0, revoked_at = 0, last_used_at = 0;
  DirectoryToken to() const {
    return {id,          directory_id, environment_id, organization_id, name,        lookup,
            secret_hash, created_at,   expires_at,     revoked_at,      last_used_at};
  }
};
#define GH_TOKEN_INTO(r)                                                             \
  soci::into(r.id), soci::into(r.directory_id), soci::into(r.environment_id),        \
      soci::into(r.organization_id), soci::into(r.name), soci::into(r.lookup),       \
      soci::into(r.secret_hash), soci::into(r.created_at), soci::into(r.expires_at), \
      soci::into(r.revoked_at), soci::into(r.last_used_at)

const char* kResColumns =
    "directory_id, id, environment_id, organization_id, resource_type, user_id, user_name, "
    "external_id, display_name, email, document, version, created_at, updated_at";
struct ResRow {
  std::string directory_id, id, environment_id, organization_id, type, user_id, user_name,
      external_id, display_name, email, document;
  long long version = 0, created_at = 0, updated_at = 0;
  ScimResource to() const {
    ScimResource r;
    r.directory_id = directory_id;
    r.id = id;
    r.environment_id = environment_id;
    r.organization_id = organization_id;
    r.type = type;
    r.user_id = user_id;
    r.user_name = type == "User" ? user_name : "";
    r.external_id = external_id;
    r.display_name = display_name;
    r.email = email;
    r.document = nlohmann::json::parse(document, nullptr, false);
    if (r.document.is_discarded()) r.document = nlohmann::json::object();
    r.version = version;
    r.created_at_ms = created_at;
    r.updated_at_ms = updated_at;
    return r;
  }
};
#define GH_RES_INTO(r)                                                                \
  soci::into(r.directory_id), soci::into(r.id), soci::into(r.environment_id),         \
      soci::into(r.organization_id), soci::into(r.type), soci::into(r.user_id),       \
      soci::into(r.user_name), soci::into(r.external_id), soci::into(r.display_name), \
      soci::into(r.email), soci::into(r.document), soci::into(r.version),             \
      soci::into(r.created_at), soci::into(r.updated_at)

Error dir_not_found() { return Error(errc::DirectoryNotFound); }

Error not_unique(const std::string& user_name) {
  Error e(errc::ScimUniqueness,
          "userName '" + user_name + "' is already used by another User of this directory");
  e.extra["scimType"] = "uniqueness";
  return e;
}

// Groups keep their id in the unique userName column, so only Users compete for a name.
std::string unique_key(const ScimResource& r) {
  return r.type == "User" ? r.user_name : "#" + r.id;
}

const char* index_column(ScimIndex i) {
  switch (i) {
    case ScimIndex::user_name:
      return "user_name";
    case ScimIndex::external_id:
      return "external_id";
    case ScimIndex::display_name:
      return "display_name";
    case ScimIndex::email:
      return "email";
  }
  return "user_name";
}

// The User's emails in scim_emails (replacing what was there).
void write_emails(soci::session& sql, const ScimResource& r, bool fresh) {
  if (!fresh) {
    sql << "DELETE FROM scim_emails WHERE organization_id = :org AND directory_id = :dir AND "
           "resource_id = :id",
        soci::use(r.organization_id), soci::use(r.directory_id), soci::use(r.id);
  }
  if (r.type != "User") return;
  std::vector<std::string> seen;
  for (const auto& e : r.emails) {
    if (e.empty() || std::find(seen.begin(), seen.end(), e) != seen.end()) continue;
    seen.push_back(e);
    sql << "INSERT INTO scim_emails (organization_id, directory_id, resource_id, value, "
           "environment_id) VALUES (:org, :dir, :id, :v, :env)",
        soci::use(r.organization_id), soci::use(r.directory_id), soci::use(r.id), soci::use(e),
        soci::use(r.environment_id);
  }
}

// find_resources' SQL for one index, tenant-scoped (organization and environment in every
// WHERE clause). No ORDER BY: with one, SQLite prefers walking the primary key in id order over
// the column's index (a directory-wide scan); the rows (at most 1000) are sorted after.
// emails.value reads the ids from scim_emails_value first, then each resource by its key.
std::string find_sql(ScimIndex index) {
  if (index == ScimIndex::email) {
    return "SELECT resource_id FROM scim_emails WHERE organization_id = :org AND directory_id = "
           ":dir AND value = :v LIMIT 1000";
  }
  return std::string("SELECT ") + kResColumns +
         " FROM scim_resources WHERE directory_id = :dir AND resource_type = :t AND " +
         index_column(index) +
         " = :v AND organization_id = :org AND environment_id = :env LIMIT 1000";
}

std::string sql_literal(std::string_view v) {
  std::string out = "'";
  for (char c : v) {
    if (c == '\'') out += '\'';
    out += c;
  }
  return out + "'";
}

}  // namespace

Result<Directory> SqlDirectoryRepository::create(const Directory& in) {
  Directory d = in;
  if (d.id.empty()) d.id = new_uuid_v7(ctx_.clock);
  d.created_at_ms = d.updated_at_ms = ctx_.clock.now_ms();
  d.version = 1;
  long long c = d.created_at_ms, v = 1;
  int hit = 0;
  ctx_.sql << "INSERT INTO scim_directories (" << kDirColumns
           << ") VALUES (:id, :env, :org, :name, :status, :v, :c, :u) ON CONFLICT "
              "(organization_id, environment_id, name) DO NOTHING RETURNING 1",
      soci::use(d.id), soci::use(d.environment_id), soci::use(d.organization_id), soci::use(d.name),
      soci::use(d.status), soci::use(v), soci::use(c), soci::use(c), soci::into(hit);
  if (!ctx_.sql.got_data()) {
    Error e(errc::DirectoryNameTaken,
            "The organization already has a directory named '" + d.name + "'");
    e.extra["field"] = "name";
    return fail(e);
  }
  return d;
}

Result<Directory> SqlDirectoryRepository::get(std::string_view environment_id,
                                              std::string_view organization_id,
                                              std::string_view id) {
  DirRow r;
  std::string env(environment_id), org(organization_id), i(id);
  soci::statement st = (ctx_.sql.prepare << "SELECT " << kDirColumns
                                         << " FROM scim_directories WHERE organization_id = "
                                            ":org AND id = :id AND environment_id = :env",
                        soci::use(org), soci::use(i), soci::use(env), GH_DIR_INTO(r));
  st.execute(true);
  if (!st.got_data()) return fail(dir_not_found());
  return r.to();
}

Result<std::vector<Directory>> SqlDirectoryRepository::list(std::string_view environment_id,
                                                            std::string_view organization_id) {
  std::vector<Directory> out;
  DirRow r;
  std::string env(environment_id), org(organization_id);
  soci::statement st = (ctx_.sql.prepare << "SELECT " << kDirColumns
                                         << " FROM scim_directories WHERE organization_id = "
                                            ":org AND environment_id = :env ORDER BY id",
                        soci::use(org), soci::use(env), GH_DIR_INTO(r));
  st.execute();
  while (st.fetch()) out.push_back(r.to());
  return out;
}

Result<Directory> SqlDirectoryRepository::set_status(std::string_view environment_id,
                                                     std::string_view organization_id,
                                                     std::string_view id, std::string_view status,
                                                     int64_t now_ms) {
  auto current = get(environment_id, organization_id, id);
  if (!current) return current;
  std::string s(status);
  long long now = now_ms;
  ctx_.sql << "UPDATE scim_directories SET status = :s, version = version + 1, updated_at = :now "
              "WHERE organization_id = :org AND id = :id",
      soci::use(s), soci::use(now), soci::use(current->organization_id), soci::use(current->id);
  return get(environment_id, organization_id, id);
}

Result<Directory> SqlDirectoryRepository::remove(std::string_view environment_id,
                                                 std::string_view organization_id,
                                                 std::string_view id) {
  auto current = get(environment_id, organization_id, id);
  if (!current) return current;
  for (const char* table : {"scim_tokens", "scim_resources", "scim_members", "scim_request_log",
                            "scim_emails", "scim_deactivations"}) {
    ctx_.sql << "DELETE FROM " << table << " WHERE organization_id = :org AND directory_id = :dir",
        soci::use(current->organization_id), soci::use(current->id);
  }
  ctx_.sql << "DELETE FROM scim_directories WHERE organization_id = :org AND id = :id",
      soci::use(current->organization_id), soci::use(current->id);
  return current;
}

Result<DirectoryToken> SqlDirectoryRepository::add_token(const DirectoryToken& in) {
  auto dir = get(in.environment_id, in.organization_id, in.directory_id);
  if (!dir) return fail(dir.error());
  DirectoryToken t = in;
  if (t.id.empty()) t.id = new_uuid_v7(ctx_.clock);
  t.created_at_ms = ctx_.clock.now_ms();
  long long c = t.created_at_ms, exp = t.expires_at_ms, zero = 0;
  ctx_.sql << "INSERT INTO scim_tokens (" << kTokenColumns
           << ") VALUES (:id, :dir, :env, :org, :name, :lookup, :hash, :c, :exp, :rev, :used)",
      soci::use(t.id), soci::use(t.directory_id), soci::use(t.environment_id),
      soci::use(t.organization_id), soci::use(t.name), soci::use(t.lookup),
      soci::use(t.secret_hash), soci::use(c), soci::use(exp), soci::use(zero), soci::use(zero);
  return t;
}

Result<std::vector<DirectoryToken>> SqlDirectoryRepository::list_tokens(
    std::string_view environment_id, std::string_view organization_id,
    std::string_view directory_id) {
  auto dir = get(environment_id, organization_id, directory_id);
  if (!dir) return fail(dir.error());
  std::vector<DirectoryToken> out;
  TokenRow r;
  soci::statement st =
      (ctx_.sql.prepare << "SELECT " << kTokenColumns
                        << " FROM scim_tokens WHERE organization_id = :org AND directory_id = "
                           ":dir ORDER BY id DESC",
       soci::use(dir->organization_id), soci::use(dir->id), GH_TOKEN_INTO(r));
  st.execute();
  while (st.fetch()) out.push_back(r.to());
  return out;
}

Result<DirectoryToken> SqlDirectoryRepository::revoke_token(std::string_view environment_id,
                                                            std::string_view organization_id,
                                                            std::string_view directory_id,
                                                            std::string_view token_id,
                                                            int64_t now_ms) {
  auto tokens = list_tokens(environment_id, organization_id, directory_id);
  if (!tokens) return fail(tokens.error());
  for (auto& t : *tokens) {
    if (t.id != token_id) continue;
    if (t.revoked_at_ms == 0) {
      long long now = now_ms;
      ctx_.sql << "UPDATE scim_tokens SET revoked_at = :now WHERE organization_id = :org AND "
                  "id = :id",
          soci::use(now), soci::use(t.organization_id), soci::use(t.id);
      t.revoked_at_ms = now_ms;
    }
    return t;
  }
  return fail(errc::DirectoryTokenNotFound);
}

Result<std::optional<DirectoryToken>> SqlDirectoryRepository::find_token(std::string_view lookup) {
  TokenRow r;
  std::string l(lookup);
  soci::statement st =
      (ctx_.sql.prepare << "SELECT " << kTokenColumns << " FROM scim_tokens WHERE lookup = :l",
       soci::use(l), GH_TOKEN_INTO(r));
  st.execute(true);
  if (!st.got_data()) return std::optional<DirectoryToken>{};
  return std::optional<DirectoryToken>{r.to()};
}

Result<bool> SqlDirectoryRepository::touch_token(std::string_view organization_id,
                                                 std::string_view token_id, int64_t now_ms) {
  std::string org(organization_id), id(token_id);
  long long now = now_ms;
  ctx_.sql << "UPDATE scim_tokens SET last_used_at = :now WHERE organization_id = :org AND id = "
              ":id",
      soci::use(now), soci::use(org), soci::use(id);
  return true;
}

Result<ScimResource> SqlDirectoryRepository::create_resource(const ScimResource& in) {
  auto dir = get(in.environment_id, in.organization_id, in.directory_id);
  if (!dir) return fail(dir.error());
  ScimResource r = in;
  if (r.id.empty()) r.id = new_uuid_v7(ctx_.clock);
  r.created_at_ms = r.updated_at_ms = ctx_.clock.now_ms();
  r.version = 1;
  const std::string key = unique_key(r), doc = r.document.dump();
  long long c = r.created_at_ms, v = 1;
  int hit = 0;
  ctx_.sql << "INSERT INTO scim_resources (" << kResColumns
           << ") VALUES (:dir, :id, :env, :org, :type, :uid, :un, :ext, :dn, :email, :doc, :v, "
              ":c, :u) ON CONFLICT (directory_id, resource_type, user_name) DO NOTHING RETURNING 1",
      soci::use(r.directory_id), soci::use(r.id), soci::use(r.environment_id),
      soci::use(r.organization_id), soci::use(r.type), soci::use(r.user_id), soci::use(key),
      soci::use(r.external_id), soci::use(r.display_name), soci::use(r.email), soci::use(doc),
      soci::use(v), soci::use(c), soci::use(c), soci::into(hit);
  if (!ctx_.sql.got_data()) return fail(not_unique(r.user_name));
  write_emails(ctx_.sql, r, true);
  return r;
}

Result<ScimResource> SqlDirectoryRepository::get_resource(std::string_view environment_id,
                                                          std::string_view organization_id,
                                                          std::string_view directory_id,
                                                          std::string_view type,
                                                          std::string_view id) {
  ResRow r;
  std::string env(environment_id), org(organization_id), dir(directory_id), t(type), i(id);
  soci::statement st =
      (ctx_.sql.prepare << "SELECT " << kResColumns
                        << " FROM scim_resources WHERE organization_id = :org AND directory_id "
                           "= :dir AND resource_type = :t AND id = :id AND environment_id = :env",
       soci::use(org), soci::use(dir), soci::use(t), soci::use(i), soci::use(env), GH_RES_INTO(r));
  st.execute(true);
  if (!st.got_data()) return fail(errc::ScimNotFound, "No " + t + " '" + i + "' in this directory");
  return r.to();
}

Result<std::vector<ScimResource>> SqlDirectoryRepository::find_resources(
    std::string_view environment_id, std::string_view organization_id,
    std::string_view directory_id, std::string_view type, ScimIndex index, std::string_view value) {
  std::vector<ScimResource> out;
  std::string env(environment_id), org(organization_id), dir(directory_id), t(type), v(value);
  if (index == ScimIndex::email) {
    if (t != "User") return out;
    std::vector<std::string> ids;
    std::string id;
    soci::statement st = (ctx_.sql.prepare << find_sql(index), soci::use(org, "org"),
                          soci::use(dir, "dir"), soci::use(v, "v"), soci::into(id));
    st.execute();
    while (st.fetch()) ids.push_back(id);
    std::sort(ids.begin(), ids.end());
    for (const auto& i : ids) {
      auto r = get_resource(environment_id, organization_id, directory_id, type, i);
      if (r) out.push_back(std::move(*r));
    }
    return out;
  }
  ResRow r;
  soci::statement st =
      (ctx_.sql.prepare << find_sql(index), soci::use(dir, "dir"), soci::use(t, "t"),
       soci::use(v, "v"), soci::use(org, "org"), soci::use(env, "env"), GH_RES_INTO(r));
  st.execute();
  while (st.fetch()) out.push_back(r.to());
  std::sort(out.begin(), out.end(),
            [](const ScimResource& a, const ScimResource& b) { return a.id < b.id; });
  return out;
}

Result<std::string> SqlDirectoryRepository::query_plan(std::string_view environment_id,
                                                       std::string_view organization_id,
                                                       std::string_view directory_id,
                                                       std::string_view type, ScimIndex index,
                                                       std::string_view value) {
  // The same SQL as find_resources with the values inlined (EXPLAIN takes no parameters on
  // every backend); values are quoted.
  std::string sql = find_sql(index);
  auto bind = [&](const std::string& name, std::string_view v) {
    const std::string key = ":" + name;
    for (size_t pos = sql.find(key); pos != std::string::npos; pos = sql.find(key, pos)) {
      const size_t end = pos + key.size();
      if (end < sql.size() &&
          (std::isalnum(static_cast<unsigned char>(sql[end])) || sql[end] == '_')) {
        pos = end;
        continue;
      }
      const std::string q = sql_literal(v);
      sql.replace(pos, key.size(), q);
      pos += q.size();
    }
  };
  bind("dir", directory_id);
  bind("org", organization_id);
  bind("env", environment_id);
  bind("t", type);
  bind("v", value);
  std::string plan;
  if (ctx_.backend == Backend::postgres) {
    // Statistics first (a fresh table has none, and then every 3-column equality looks alike
    // to the planner); sequential scans off so that a tiny table still shows its index.
    ctx_.sql << "ANALYZE scim_resources";
    ctx_.sql << "ANALYZE scim_emails";
    ctx_.sql << "SET LOCAL enable_seqscan = off";
    soci::rowset<soci::row> rows = ctx_.sql.prepare << "EXPLAIN " + sql;
    for (const auto& row : rows) plan += row.get<std::string>(0) + "\n";
    ctx_.sql << "SET LOCAL enable_seqscan = on";
  } else {
    soci::rowset<soci::row> rows = ctx_.sql.prepare << "EXPLAIN QUERY PLAN " + sql;
    for (const auto& row : rows) plan += row.get<std::string>(row.size() - 1) + "\n";
  }
  return plan;
}

Result<std::vector<ScimResource>> SqlDirectoryRepository::resources_of_user(
    std::string_view environment_id, std::string_view organization_id, std::string_view user_id) {
  std::vector<ScimResource> out;
  ResRow r;
  std::string env(environment_id), org(organization_id), u(user_id);
  if (u.empty()) return out;
  soci::statement st =
      (ctx_.sql.prepare << "SELECT " << kResColumns
                        << " FROM scim_resources WHERE organization_id = :org AND user_id = :u "
                           "AND resource_type = 'User' AND environment_id = :env",
       soci::use(org), soci::use(u), soci::use(env), GH_RES_INTO(r));
  st.execute();
  while (st.fetch()) out.push_back(r.to());
  std::sort(out.begin(), out.end(),
            [](const ScimResource& a, const ScimResource& b) { return a.id < b.id; });
  return out;
}

Result<std::vector<ScimResource>> SqlDirectoryRepository::scan_resources(
    std::string_view environment_id, std::string_view organization_id,
    std::string_view directory_id, std::string_view type, std::string_view after_id, int limit) {
  std::vector<ScimResource> out;
  ResRow r;
  std::string env(environment_id), org(organization_id), dir(directory_id), t(type),
      after(after_id);
  int lim = std::clamp(limit, 1, 10000);
  soci::statement st =
      (ctx_.sql.prepare << "SELECT " << kResColumns
                        << " FROM scim_resources WHERE organization_id = :org AND directory_id = "
                           ":dir AND resource_type = :t AND id > :after AND environment_id = "
                           ":env ORDER BY id LIMIT :lim",
       soci::use(org), soci::use(dir), soci::use(t), soci::use(after), soci::use(env),
       soci::use(lim), GH_RES_INTO(r));
  st.execute();
  while (st.fetch()) out.push_back(r.to());
  return out;
}

Result<std::vector<ScimResource>> SqlDirectoryRepository::page_resources(
    std::string_view environment_id, std::string_view organization_id,
    std::string_view directory_id, std::string_view type, int64_t offset, int limit) {
  std::vector<ScimResource> out;
  ResRow r;
  std::string env(environment_id), org(organization_id), dir(directory_id), t(type);
  int lim = std::clamp(limit, 1, 10000);
  long long off = std::max<int64_t>(0, offset);
  soci::statement st =
      (ctx_.sql.prepare << "SELECT " << kResColumns
                        << " FROM scim_resources WHERE organization_id = :org AND directory_id = "
                           ":dir AND resource_type = :t AND environment_id = :env ORDER BY id "
                           "LIMIT :lim OFFSET :off",
       soci::use(org), soci::use(dir), soci::use(t), soci::use(env), soci::use(lim), soci::use(off),
       GH_RES_INTO(r));
  st.execute();
  while (st.fetch()) out.push_back(r.to());
  return out;
}

Result<int64_t> SqlDirectoryRepository::count_resources(std::string_view environment_id,
                                                        std::string_view organization_id,
                                                        std::string_view directory_id,
                                                        std::string_view type) {
  long long n = 0;
  std::string env(environment_id), org(organization_id), dir(directory_id), t(type);
  ctx_.sql << "SELECT COUNT(*) FROM scim_resources WHERE organization_id = :org AND "
              "directory_id = :dir AND resource_type = :t AND environment_id = :env",
      soci::use(org), soci::use(dir), soci::use(t), soci::use(env), soci::into(n);
  return static_cast<int64_t>(n);
}

Result<ScimResource> SqlDirectoryRepository::update_resource(const ScimResource& r,
                                                             int64_t expected_version) {
  auto current = get_resource(r.environment_id, r.organization_id, r.directory_id, r.type, r.id);
  if (!current) return current;
  if (current->version != expected_version) {
    return fail(errc::RequestPreconditionFailed,
                "The resource changed since you read it (now at version " +
                    std::to_string(current->version) + "); read it again and retry");
  }
  const std::string key = unique_key(r);
  if (r.type == "User" && key != current->user_name) {
    auto holders = find_resources(r.environment_id, r.organization_id, r.directory_id, r.type,
                                  ScimIndex::user_name, key);
    if (!holders) return fail(holders.error());
    for (const auto& h : *holders) {
      if (h.id != r.id) return fail(not_unique(r.user_name));
    }
  }
  const std::string doc = r.document.dump();
  long long now = ctx_.clock.now_ms(), expected = expected_version, nv = 0;
  ctx_.sql << "UPDATE scim_resources SET user_id = :uid, user_name = :un, external_id = :ext, "
              "display_name = :dn, email = :email, document = :doc, version = version + 1, "
              "updated_at = :now WHERE organization_id = :org AND directory_id = :dir AND "
              "resource_type = :t AND id = :id AND version = :v RETURNING version",
      soci::use(r.user_id), soci::use(key), soci::use(r.external_id), soci::use(r.display_name),
      soci::use(r.email), soci::use(doc), soci::use(now), soci::use(current->organization_id),
      soci::use(current->directory_id), soci::use(current->type), soci::use(current->id),
      soci::use(expected), soci::into(nv);
  if (!ctx_.sql.got_data()) {
    return fail(errc::RequestPreconditionFailed,
                "The resource changed since you read it; read it again and retry");
  }
  ScimResource emails = *current;
  emails.emails = r.emails;
  write_emails(ctx_.sql, emails, false);
  return get_resource(r.environment_id, r.organization_id, r.directory_id, r.type, r.id);
}

Result<ScimResource> SqlDirectoryRepository::delete_resource(std::string_view environment_id,
                                                             std::string_view organization_id,
                                                             std::string_view directory_id,
                                                             std::string_view type,
                                                             std::string_view id) {
  auto current = get_resource(environment_id, organization_id, directory_id, type, id);
  if (!current) return current;
  ctx_.sql << "DELETE FROM scim_members WHERE organization_id = :org AND directory_id = :dir AND "
              "(group_id = :g OR member_id = :m)",
      soci::use(current->organization_id), soci::use(current->directory_id), soci::use(current->id),
      soci::use(current->id);
  ctx_.sql << "DELETE FROM scim_emails WHERE organization_id = :org AND directory_id = :dir AND "
              "resource_id = :id",
      soci::use(current->organization_id), soci::use(current->directory_id), soci::use(current->id);
  ctx_.sql << "DELETE FROM scim_resources WHERE organization_id = :org AND directory_id = :dir "
              "AND resource_type = :t AND id = :id",
      soci::use(current->organization_id), soci::use(current->directory_id),
      soci::use(current->type), soci::use(current->id);
  return current;
}

Result<std::vector<std::string>> SqlDirectoryRepository::members(std::string_view organization_id,
                                                                 std::string_view directory_id,
                                                                 std::string_view group_id) {
  std::vector<std::string> out;
  std::string org(organization_id), dir(directory_id), g(group_id), m;
  soci::statement st = (ctx_.sql.prepare << "SELECT member_id FROM scim_members WHERE "
                                            "organization_id = :org AND directory_id = :dir AND "
                                            "group_id = :g ORDER BY member_id",
                        soci::use(org), soci::use(dir), soci::use(g), soci::into(m));
  st.execute();
  while (st.fetch()) out.push_back(m);
  return out;
}

Result<bool> SqlDirectoryRepository::add_member(std::string_view environment_id,
                                                std::string_view organization_id,
                                                std::string_view directory_id,
                                                std::string_view group_id,
                                                std::string_view member_id) {
  std::string env(environment_id), org(organization_id), dir(directory_id), g(group_id),
      m(member_id);
  int hit = 0;
  ctx_.sql << "INSERT INTO scim_members (organization_id, directory_id, group_id, member_id, "
              "environment_id) VALUES (:org, :dir, :g, :m, :env) ON CONFLICT DO NOTHING "
              "RETURNING 1",
      soci::use(org), soci::use(dir), soci::use(g), soci::use(m), soci::use(env), soci::into(hit);
  return ctx_.sql.got_data();
}

Result<bool> SqlDirectoryRepository::remove_member(std::string_view organization_id,
                                                   std::string_view directory_id,
                                                   std::string_view group_id,
                                                   std::string_view member_id) {
  std::string org(organization_id), dir(directory_id), g(group_id), m(member_id);
  int hit = 0;
  ctx_.sql << "DELETE FROM scim_members WHERE organization_id = :org AND directory_id = :dir AND "
              "group_id = :g AND member_id = :m RETURNING 1",
      soci::use(org), soci::use(dir), soci::use(g), soci::use(m), soci::into(hit);
  return ctx_.sql.got_data();
}

Result<std::vector<std::pair<std::string, std::string>>> SqlDirectoryRepository::groups_of(
    std::string_view organization_id, std::string_view directory_id, std::string_view member_id) {
  std::vector<std::pair<std::string, std::string>> out;
  std::string org(organization_id), dir(directory_id), m(member_id), gid, doc;
  soci::statement st =
      (ctx_.sql.prepare << "SELECT r.id, r.document FROM scim_members s JOIN scim_resources r ON "
                           "r.organization_id = s.organization_id AND r.directory_id = "
                           "s.directory_id AND r.resource_type = 'Group' AND r.id = s.group_id "
                           "WHERE s.organization_id = :org AND s.directory_id = :dir AND "
                           "s.member_id = :m ORDER BY r.id",
       soci::use(org), soci::use(dir), soci::use(m), soci::into(gid), soci::into(doc));
  st.execute();
  while (st.fetch()) {
    auto j = nlohmann::json::parse(doc, nullptr, false);
    std::string name;
    if (j.is_object() && j.contains("displayName") && j["displayName"].is_string()) {
      name = j["displayName"].get<std::string>();
    }
    out.emplace_back(gid, name);
  }
  return out;
}

Result<int64_t> SqlDirectoryRepository::append_log(const ScimRequestLogEntry& e) {
  long long seq = 0, at = e.at_ms, status = e.status;
  ctx_.sql << "INSERT INTO scim_request_log (organization_id, environment_id, directory_id, at, "
              "method, path, status, error_type, body) VALUES (:org, :env, :dir, :at, :m, :p, "
              ":s, :e, :b) RETURNING seq",
      soci::use(e.organization_id), soci::use(e.environment_id), soci::use(e.directory_id),
      soci::use(at), soci::use(e.method), soci::use(e.path), soci::use(status),
      soci::use(e.error_type), soci::use(e.body), soci::into(seq);
  return static_cast<int64_t>(seq);
}

Result<std::vector<ScimRequestLogEntry>> SqlDirectoryRepository::list_log(
    std::string_view environment_id, std::string_view organization_id,
    std::string_view directory_id, int64_t before_seq, int limit) {
  auto dir = get(environment_id, organization_id, directory_id);
  if (!dir) return fail(dir.error());
  std::vector<ScimRequestLogEntry> out;
  ScimRequestLogEntry e;
  long long seq = 0, at = 0, status = 0,
            before = before_seq > 0 ? before_seq : std::numeric_limits<long long>::max();
  int lim = std::clamp(limit, 1, 1000);
  soci::statement st =
      (ctx_.sql.prepare << "SELECT seq, at, method, path, status, error_type, body FROM "
                           "scim_request_log WHERE organization_id = :org AND directory_id = "
                           ":dir AND seq < :before ORDER BY seq DESC LIMIT :lim",
       soci::use(dir->organization_id), soci::use(dir->id), soci::use(before), soci::use(lim),
       soci::into(seq), soci::into(at), soci::into(e.method), soci::into(e.path),
       soci::into(status), soci::into(e.error_type), soci::into(e.body));
  st.execute();
  while (st.fetch()) {
    e.seq = seq;
    e.at_ms = at;
    e.status = static_cast<int>(status);
    e.environment_id = dir->environment_id;
    e.organization_id = dir->organization_id;
    e.directory_id = dir->id;
    out.push_back(e);
  }
  return out;
}

Result<std::vector<ScimRequestLogEntry>> SqlDirectoryRepository::list_failures(
    std::string_view environment_id, std::string_view organization_id,
    std::string_view directory_id, int64_t before_seq, int limit) {
  auto dir = get(environment_id, organization_id, directory_id);
  if (!dir) return fail(dir.error());
  std::vector<ScimRequestLogEntry> out;
  ScimRequestLogEntry e;
  long long seq = 0, at = 0, status = 0,
            before = before_seq > 0 ? before_seq : std::numeric_limits<long long>::max();
  int lim = std::clamp(limit, 1, 1000);
  soci::statement st =
      (ctx_.sql.prepare << "SELECT seq, at, method, path, status, error_type, body FROM "
                           "scim_request_log WHERE organization_id = :org AND directory_id = "
                           ":dir AND seq < :before AND status >= 400 ORDER BY seq DESC LIMIT :lim",
       soci::use(dir->organization_id), soci::use(dir->id), soci::use(before), soci::use(lim),
       soci::into(seq), soci::into(at), soci::into(e.method), soci::into(e.path),
       soci::into(status), soci::into(e.error_type), soci::into(e.body));
  st.execute();
  while (st.fetch()) {
    e.seq = seq;
    e.at_ms = at;
    e.status = static_cast<int>(status);
    e.environment_id = dir->environment_id;
    e.organization_id = dir->organization_id;
    e.directory_id = dir->id;
    out.push_back(e);
  }
  return out;
}

Result<DirectoryCounts> SqlDirectoryRepository::counts(std::string_view environment_id,
                                                       std::string_view organization_id,
                                                       std::string_view directory_id,
                                                       int64_t untouched_before_ms,
                                                       int64_t failed_since_ms) {
  auto dir = get(environment_id, organization_id, directory_id);
  if (!dir) return fail(dir.error());
  DirectoryCounts c;
  long long users = 0, groups = 0, members = 0, untouched = 0, failed = 0, inactive = 0;
  long long cutoff = untouched_before_ms, since = failed_since_ms;
  const std::string& org = dir->organization_id;
  const std::string& id = dir->id;
  ctx_.sql << "SELECT COUNT(*) FROM scim_resources WHERE organization_id = :org AND "
              "directory_id = :dir AND resource_type = 'User'",
      soci::use(org), soci::use(id), soci::into(users);
  ctx_.sql << "SELECT COUNT(*) FROM scim_resources WHERE organization_id = :org AND "
              "directory_id = :dir AND resource_type = 'Group'",
      soci::use(org), soci::use(id), soci::into(groups);
  ctx_.sql << "SELECT COUNT(*) FROM scim_members WHERE organization_id = :org AND "
              "directory_id = :dir",
      soci::use(org), soci::use(id), soci::into(members);
  ctx_.sql << "SELECT COUNT(*) FROM scim_resources WHERE organization_id = :org AND "
              "directory_id = :dir AND resource_type = 'User' AND updated_at < :cutoff",
      soci::use(org), soci::use(id), soci::use(cutoff), soci::into(untouched);
  ctx_.sql << "SELECT COUNT(*) FROM scim_request_log WHERE organization_id = :org AND "
              "directory_id = :dir AND status >= 400 AND at >= :since",
      soci::use(org), soci::use(id), soci::use(since), soci::into(failed);
  // The identity users of this directory that are not active (suspended by a deactivation or
  // an admin, or deprovisioned).
  ctx_.sql << "SELECT COUNT(*) FROM scim_resources r JOIN users u ON u.organization_id = "
              "r.organization_id AND u.id = r.user_id WHERE r.organization_id = :org AND "
              "r.directory_id = :dir AND r.resource_type = 'User' AND u.state <> 'active'",
      soci::use(org), soci::use(id), soci::into(inactive);
  c.users = users;
  c.groups = groups;
  c.memberships = members;
  c.untouched_users = untouched;
  c.failed_requests = failed;
  c.active_users = users - inactive;
  return c;
}

Result<std::vector<ScimResource>> SqlDirectoryRepository::untouched_users(
    std::string_view environment_id, std::string_view organization_id,
    std::string_view directory_id, int64_t before_ms, int limit) {
  auto dir = get(environment_id, organization_id, directory_id);
  if (!dir) return fail(dir.error());
  std::vector<ScimResource> out;
  ResRow r;
  long long cutoff = before_ms;
  int lim = std::clamp(limit, 1, 1000);
  soci::statement st =
      (ctx_.sql.prepare << "SELECT " << kResColumns
                        << " FROM scim_resources WHERE organization_id = :org AND directory_id = "
                           ":dir AND resource_type = 'User' AND updated_at < :cutoff ORDER BY "
                           "updated_at, id LIMIT :lim",
       soci::use(dir->organization_id), soci::use(dir->id), soci::use(cutoff), soci::use(lim),
       GH_RES_INTO(r));
  st.execute();
  while (st.fetch()) out.push_back(r.to());
  return out;
}

Result<std::vector<ScimUserDrift>> SqlDirectoryRepository::drifted_users(
    std::string_view environment_id, std::string_view organization_id,
    std::string_view directory_id, int limit) {
  auto dir = get(environment_id, organization_id, directory_id);
  if (!dir) return fail(dir.error());
  // `active` as stored in the document (absent: true); the engines spell JSON differently.
  const std::string active =
      ctx_.backend == Backend::postgres
          ? "CASE WHEN r.document::jsonb->'active' = 'false'::jsonb THEN 0 ELSE 1 END"
          : "CASE WHEN json_type(r.document, '$.active') = 'false' THEN 0 ELSE 1 END";
  std::vector<ScimUserDrift> out;
  std::string id, uid, state;
  long long is_active = 1;
  soci::indicator state_ind = soci::i_ok;
  int lim = std::clamp(limit, 1, 1000);
  soci::statement st =
      (ctx_.sql.prepare << "SELECT r.id, r.user_id, " << active
                        << ", u.state FROM scim_resources r LEFT JOIN users u ON "
                           "u.organization_id = r.organization_id AND u.id = r.user_id WHERE "
                           "r.organization_id = :org AND r.directory_id = :dir AND "
                           "r.resource_type = 'User' AND (u.id IS NULL OR (("
                        << active << ") = 1 AND u.state <> 'active') OR ((" << active
                        << ") = 0 AND u.state = 'active')) ORDER BY r.id LIMIT :lim",
       soci::use(dir->organization_id), soci::use(dir->id), soci::use(lim), soci::into(id),
       soci::into(uid), soci::into(is_active), soci::into(state, state_ind));
  st.execute();
  while (st.fetch()) {
    out.push_back({id, uid, is_active != 0, state_ind == soci::i_null ? std::string() : state});
  }
  return out;
}

Result<int64_t> SqlDirectoryRepository::record_deactivation(const ScimDeactivation& d) {
  auto dir = get(d.environment_id, d.organization_id, d.directory_id);
  if (!dir) return fail(dir.error());
  long long seq = 0, req = d.requested_at_ms, rev = d.sessions_revoked_at_ms,
            n = d.sessions_revoked;
  ctx_.sql << "INSERT INTO scim_deactivations (organization_id, environment_id, directory_id, "
              "scim_id, user_id, cause, requested_at, sessions_revoked_at, sessions_revoked) "
              "VALUES (:org, :env, :dir, :sid, :uid, :cause, :req, :rev, :n) RETURNING seq",
      soci::use(dir->organization_id), soci::use(dir->environment_id), soci::use(dir->id),
      soci::use(d.scim_id), soci::use(d.user_id), soci::use(d.cause), soci::use(req),
      soci::use(rev), soci::use(n), soci::into(seq);
  return static_cast<int64_t>(seq);
}

Result<std::vector<ScimDeactivation>> SqlDirectoryRepository::list_deactivations(
    std::string_view environment_id, std::string_view organization_id,
    std::string_view directory_id, int limit) {
  auto dir = get(environment_id, organization_id, directory_id);
  if (!dir) return fail(dir.error());
  std::vector<ScimDeactivation> out;
  ScimDeactivation d;
  long long seq = 0, req = 0, rev = 0, n = 0;
  int lim = std::clamp(limit, 1, 1000);
  soci::statement st =
      (ctx_.sql.prepare << "SELECT seq, scim_id, user_id, cause, requested_at, "
                           "sessions_revoked_at, sessions_revoked FROM scim_deactivations WHERE "
                           "organization_id = :org AND directory_id = :dir ORDER BY seq DESC "
                           "LIMIT :lim",
       soci::use(dir->organization_id), soci::use(dir->id), soci::use(lim), soci::into(seq),
       soci::into(d.scim_id), soci::into(d.user_id), soci::into(d.cause), soci::into(req),
       soci::into(rev), soci::into(n));
  st.execute();
  while (st.fetch()) {
    d.seq = seq;
    d.requested_at_ms = req;
    d.sessions_revoked_at_ms = rev;
    d.sessions_revoked = n;
    d.environment_id = dir->environment_id;
    d.organization_id = dir->organization_id;
    d.directory_id = dir->id;
    out.push_back(d);
  }
  return out;
}

Result<bool> SqlDirectoryRepository::set_link_rule(std::string_view environment_id,
                                                   std::string_view organization_id,
                                                   std::string_view connection_id,
                                                   std::string_view rule, int64_t now_ms) {
  std::string env(environment_id), org(organization_id), conn(connection_id), r(rule);
  long long now = now_ms;
  ctx_.sql << "DELETE FROM scim_connection_links WHERE organization_id = :org AND connection_id "
              "= :c AND environment_id = :env",
      soci::use(org), soci::use(conn), soci::use(env);
  if (r.empty()) return true;
  ctx_.sql << "INSERT INTO scim_connection_links (organization_id, connection_id, "
              "environment_id, rule, updated_at) VALUES (:org, :c, :env, :r, :now)",
      soci::use(org), soci::use(conn), soci::use(env), soci::use(r), soci::use(now);
  return true;
}

Result<std::string> SqlDirectoryRepository::link_rule(std::string_view environment_id,
                                                      std::string_view organization_id,
                                                      std::string_view connection_id) {
  std::string env(environment_id), org(organization_id), conn(connection_id), rule;
  soci::statement st = (ctx_.sql.prepare << "SELECT rule FROM scim_connection_links WHERE "
                                            "organization_id = :org AND connection_id = :c AND "
                                            "environment_id = :env",
                        soci::use(org), soci::use(conn), soci::use(env), soci::into(rule));
  st.execute(true);
  if (!st.got_data()) return std::string();
  return rule;
}

}  // namespace gh::store
