#include "store/migrations.h"

namespace gh::store {

// Never edit a released migration; add a new one. Keep SQL in the subset both engines share
// (TEXT, BIGINT, ON CONFLICT, RETURNING); times are epoch milliseconds.
const std::vector<Migration>& migrations() {
  static const std::vector<Migration> all = [] {
    std::vector<Migration> m;
    const std::vector<std::string> v1 = {
        R"(CREATE TABLE environments (
             id TEXT PRIMARY KEY,
             name TEXT NOT NULL UNIQUE,
             display_name TEXT NOT NULL,
             kind TEXT NOT NULL,
             version BIGINT NOT NULL,
             created_at BIGINT NOT NULL,
             updated_at BIGINT NOT NULL))",
    };
    m.push_back({1, "environments", v1, v1});

    // Tenancy: organizations (the tenant key leads their children's keys), API keys, audit
    // records (the store's own sequence: nobody waits on a shared chain head), policies.
    auto v2 = [](bool pg) {
      std::vector<std::string> s = {
          R"(CREATE TABLE organizations (
               id TEXT PRIMARY KEY,
               environment_id TEXT NOT NULL REFERENCES environments(id),
               slug TEXT NOT NULL,
               name TEXT NOT NULL,
               metadata TEXT NOT NULL,
               status TEXT NOT NULL,
               version BIGINT NOT NULL,
               created_at BIGINT NOT NULL,
               updated_at BIGINT NOT NULL,
               deleted_at BIGINT NOT NULL DEFAULT 0))",
          "CREATE UNIQUE INDEX organizations_env_slug ON organizations (environment_id, slug)",
          "CREATE INDEX organizations_env_id ON organizations (environment_id, id)",
          R"(CREATE TABLE api_keys (
               id TEXT PRIMARY KEY,
               environment_id TEXT NOT NULL REFERENCES environments(id),
               organization_id TEXT NOT NULL,
               name TEXT NOT NULL,
               role TEXT NOT NULL,
               lookup TEXT NOT NULL UNIQUE,
               secret_hash TEXT NOT NULL,
               created_at BIGINT NOT NULL,
               expires_at BIGINT NOT NULL,
               revoked_at BIGINT NOT NULL,
               last_used_at BIGINT NOT NULL,
               created_by TEXT NOT NULL))",
          "CREATE INDEX api_keys_env_org ON api_keys (environment_id, organization_id)",
          std::string("CREATE TABLE audit_records (seq ") +
              (pg ? "BIGSERIAL PRIMARY KEY" : "INTEGER PRIMARY KEY AUTOINCREMENT") + R"(,
               environment_id TEXT NOT NULL,
               organization_id TEXT NOT NULL,
               actor_type TEXT NOT NULL,
               actor_id TEXT NOT NULL,
               action TEXT NOT NULL,
               target_type TEXT NOT NULL,
               target_id TEXT NOT NULL,
               request_id TEXT NOT NULL,
               source_ip TEXT NOT NULL,
               outcome TEXT NOT NULL,
               summary TEXT NOT NULL,
               occurred_at BIGINT NOT NULL))",
          "CREATE INDEX audit_records_env_org_seq ON audit_records (environment_id, "
          "organization_id, seq)",
          R"(CREATE TABLE org_policies (
               environment_id TEXT NOT NULL,
               organization_id TEXT NOT NULL,
               document TEXT NOT NULL,
               version BIGINT NOT NULL,
               updated_at BIGINT NOT NULL,
               PRIMARY KEY (environment_id, organization_id)))",
          std::string("CREATE TABLE outbox (seq ") +
              (pg ? "BIGSERIAL PRIMARY KEY" : "INTEGER PRIMARY KEY AUTOINCREMENT") + R"(,
               tx BIGINT NOT NULL,
               id TEXT NOT NULL UNIQUE,
               environment_id TEXT NOT NULL,
               organization_id TEXT NOT NULL,
               type TEXT NOT NULL,
               payload TEXT NOT NULL,
               occurred_at BIGINT NOT NULL))",
          "CREATE INDEX outbox_env_order ON outbox (environment_id, tx, seq)",
      };
      return s;
    };
    m.push_back({2, "tenancy", v2(false), v2(true)});
    return m;
  }();
  return all;
}

}  // namespace gh::store
