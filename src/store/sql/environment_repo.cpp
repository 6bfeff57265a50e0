#include "store/sql/environment_repo.h"

#include "core/ids.h"

namespace gh::store {

bool is_valid_environment_name(std::string_view name) {
  if (name.empty() || name.size() > 32) return false;
  if (!(name[0] >= 'a' && name[0] <= 'z')) return false;
  for (char c : name) {
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-')) return false;
  }
  // Reserved: these are top-level paths of the server.
  static const char* reserved[] = {"api",    "healthz", "readyz", "metrics",   "scim",
                                   "static", "admin",   "docs",   "well-known"};
  for (const char* r : reserved) {
    if (name == r) return false;
  }
  return true;
}

namespace {
constexpr const char* kColumns = "id, name, display_name, kind, version, created_at, updated_at";

struct Row {
  std::string id, name, display_name, kind;
  long long version = 0, created_at = 0, updated_at = 0;
  Environment to_env() const {
    return {id, name, display_name, kind, version, created_at, updated_at};
  }
};
}  // namespace

Result<Environment> SqlEnvironmentRepository::create(const Environment& in) {
  if (!is_valid_environment_name(in.name)) return fail(errc::EnvironmentInvalidName);
  Environment env = in;
  if (env.id.empty()) env.id = new_uuid_v7(ctx_.clock);
  if (env.display_name.empty()) env.display_name = env.name;
  env.version = 1;
  env.created_at_ms = env.updated_at_ms = ctx_.clock.now_ms();
  long long version = env.version, created = env.created_at_ms, updated = env.updated_at_ms;
  // ON CONFLICT DO NOTHING keeps a PostgreSQL transaction usable after a duplicate.
  int inserted = 0;
  ctx_.sql << "INSERT INTO environments (" << kColumns
           << ") VALUES (:id, :name, :display_name, :kind, :version, :created, :updated) "
              "ON CONFLICT (name) DO NOTHING RETURNING 1",
      soci::use(env.id), soci::use(env.name), soci::use(env.display_name), soci::use(env.kind),
      soci::use(version), soci::use(created), soci::use(updated), soci::into(inserted);
  if (!ctx_.sql.got_data()) {
    return fail(errc::EnvironmentAlreadyExists,
                "An environment named '" + env.name + "' already exists");
  }
  return env;
}

Result<Environment> SqlEnvironmentRepository::get(std::string_view name) {
  Row r;
  std::string n(name);
  ctx_.sql << "SELECT " << kColumns << " FROM environments WHERE name = :name", soci::use(n),
      soci::into(r.id), soci::into(r.name), soci::into(r.display_name), soci::into(r.kind),
      soci::into(r.version), soci::into(r.created_at), soci::into(r.updated_at);
  if (!ctx_.sql.got_data()) {
    return fail(errc::EnvironmentNotFound, "No environment named '" + n + "'");
  }
  return r.to_env();
}

Result<std::vector<Environment>> SqlEnvironmentRepository::list() {
  std::vector<Environment> out;
  Row r;
  soci::statement st =
      (ctx_.sql.prepare << "SELECT " << kColumns << " FROM environments ORDER BY name",
       soci::into(r.id), soci::into(r.name), soci::into(r.display_name), soci::into(r.kind),
       soci::into(r.version), soci::into(r.created_at), soci::into(r.updated_at));
  st.execute();
  while (st.fetch()) out.push_back(r.to_env());
  return out;
}

Result<Environment> SqlEnvironmentRepository::update(const Environment& env,
                                                     int64_t expected_version) {
  long long now = ctx_.clock.now_ms();
  long long expected = expected_version;
  long long new_version = 0;
  ctx_.sql << "UPDATE environments SET display_name = :d, kind = :k, version = version + 1, "
              "updated_at = :t WHERE name = :n AND version = :v RETURNING version",
      soci::use(env.display_name), soci::use(env.kind), soci::use(now), soci::use(env.name),
      soci::use(expected), soci::into(new_version);
  if (!ctx_.sql.got_data()) {
    auto current = get(env.name);
    if (!current) return fail(current.error());
    return fail(errc::RequestPreconditionFailed,
                "The environment changed since you read it (now at version " +
                    std::to_string(current->version) + "); read it again and retry");
  }
  return get(env.name);
}

}  // namespace gh::store
