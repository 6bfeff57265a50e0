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

    // Events: outbox consumers' positions, webhook endpoints and their deliveries.
    const std::vector<std::string> v3 = {
        R"(CREATE TABLE outbox_consumers (
             name TEXT PRIMARY KEY,
             tx BIGINT NOT NULL,
             seq BIGINT NOT NULL,
             updated_at BIGINT NOT NULL))",
        R"(CREATE TABLE webhook_endpoints (
             id TEXT PRIMARY KEY,
             environment_id TEXT NOT NULL REFERENCES environments(id),
             organization_id TEXT NOT NULL,
             url TEXT NOT NULL,
             description TEXT NOT NULL,
             event_types TEXT NOT NULL,
             enabled BIGINT NOT NULL,
             secrets TEXT NOT NULL,
             version BIGINT NOT NULL,
             created_at BIGINT NOT NULL,
             updated_at BIGINT NOT NULL))",
        "CREATE INDEX webhook_endpoints_env_org ON webhook_endpoints (environment_id, "
        "organization_id)",
        R"(CREATE TABLE webhook_deliveries (
             id TEXT PRIMARY KEY,
             endpoint_id TEXT NOT NULL,
             environment_id TEXT NOT NULL,
             organization_id TEXT NOT NULL,
             event_id TEXT NOT NULL,
             event_type TEXT NOT NULL,
             body TEXT NOT NULL,
             status TEXT NOT NULL,
             attempts BIGINT NOT NULL,
             next_attempt_at BIGINT NOT NULL,
             lease_until BIGINT NOT NULL,
             lease_owner TEXT NOT NULL,
             last_status BIGINT NOT NULL,
             last_error TEXT NOT NULL,
             last_response_ms BIGINT NOT NULL,
             created_at BIGINT NOT NULL,
             updated_at BIGINT NOT NULL))",
        "CREATE INDEX webhook_deliveries_due ON webhook_deliveries (status, next_attempt_at)",
        "CREATE INDEX webhook_deliveries_endpoint ON webhook_deliveries (endpoint_id, id)",
    };
    m.push_back({3, "events", v3, v3});

    // Verified domains (issue 3). Rows are tenant-scoped (organization id leads the key); the
    // environment-wide rule "a verified domain belongs to one organization" is the primary key
    // of the small reference table domain_claims, which also serves home-realm discovery.
    const std::vector<std::string> v4 = {
        R"(CREATE TABLE domains (
             organization_id TEXT NOT NULL,
             name TEXT NOT NULL,
             id TEXT NOT NULL UNIQUE,
             environment_id TEXT NOT NULL,
             token TEXT NOT NULL,
             state TEXT NOT NULL,
             last_error TEXT NOT NULL,
             created_at BIGINT NOT NULL,
             updated_at BIGINT NOT NULL,
             verified_at BIGINT NOT NULL,
             checked_at BIGINT NOT NULL,
             next_check_at BIGINT NOT NULL,
             PRIMARY KEY (organization_id, name)))",
        "CREATE INDEX domains_next_check ON domains (next_check_at)",
        R"(CREATE TABLE domain_claims (
             environment_id TEXT NOT NULL,
             name TEXT NOT NULL,
             organization_id TEXT NOT NULL,
             claimed_at BIGINT NOT NULL,
             PRIMARY KEY (environment_id, name)))",
    };
    m.push_back({4, "domains", v4, v4});

    // Keys (issue 4): signing keys per issuer, data keys wrapped by a KEK, key settings. The
    // environment's own rows carry organization_id '' so that organization id leads every key.
    const std::vector<std::string> v5 = {
        R"(CREATE TABLE signing_keys (
             organization_id TEXT NOT NULL,
             environment_id TEXT NOT NULL,
             kid TEXT NOT NULL,
             alg TEXT NOT NULL,
             use_ TEXT NOT NULL,
             state TEXT NOT NULL,
             public_jwk TEXT NOT NULL,
             private_sealed TEXT NOT NULL,
             state_since BIGINT NOT NULL,
             created_at BIGINT NOT NULL,
             PRIMARY KEY (organization_id, environment_id, kid)))",
        R"(CREATE TABLE data_keys (
             id TEXT PRIMARY KEY,
             organization_id TEXT NOT NULL,
             environment_id TEXT NOT NULL,
             kek_id TEXT NOT NULL,
             wrapped TEXT NOT NULL,
             active BIGINT NOT NULL,
             created_at BIGINT NOT NULL))",
        "CREATE INDEX data_keys_org ON data_keys (organization_id, environment_id, active)",
        "CREATE INDEX data_keys_kek ON data_keys (kek_id)",
        R"(CREATE TABLE key_settings (
             organization_id TEXT NOT NULL,
             environment_id TEXT NOT NULL,
             settings TEXT NOT NULL,
             version BIGINT NOT NULL,
             updated_at BIGINT NOT NULL,
             PRIMARY KEY (organization_id, environment_id)))",
        "CREATE INDEX key_settings_env ON key_settings (environment_id)",
    };
    m.push_back({5, "keys", v5, v5});

    // The attribute catalog (issue 5): every change appends a whole version with its diff. The
    // environment's catalog carries organization_id ''; an organization's holds its custom
    // attributes.
    const std::vector<std::string> v6 = {
        R"(CREATE TABLE catalog_versions (
             organization_id TEXT NOT NULL,
             environment_id TEXT NOT NULL,
             version BIGINT NOT NULL,
             document TEXT NOT NULL,
             diff TEXT NOT NULL,
             action TEXT NOT NULL,
             actor_type TEXT NOT NULL,
             actor_id TEXT NOT NULL,
             created_at BIGINT NOT NULL,
             PRIMARY KEY (organization_id, environment_id, version)))",
    };
    m.push_back({6, "catalog", v6, v6});

    // Users, identity bindings and sessions (issue 6). An email is unique within an
    // organization when present; (connection, issuer, subject) binds to one user. The session
    // cookie's lookup is the one environment-wide index (a cookie names no organization).
    const std::vector<std::string> v7 = {
        R"(CREATE TABLE users (
             organization_id TEXT NOT NULL,
             id TEXT NOT NULL,
             environment_id TEXT NOT NULL,
             state TEXT NOT NULL,
             email TEXT NOT NULL,
             email_verified BIGINT NOT NULL,
             name TEXT NOT NULL,
             given_name TEXT NOT NULL,
             family_name TEXT NOT NULL,
             attributes TEXT NOT NULL,
             version BIGINT NOT NULL,
             created_at BIGINT NOT NULL,
             updated_at BIGINT NOT NULL,
             last_login_at BIGINT NOT NULL,
             PRIMARY KEY (organization_id, id)))",
        "CREATE UNIQUE INDEX users_org_email ON users (organization_id, email) WHERE email <> ''",
        R"(CREATE TABLE identity_bindings (
             organization_id TEXT NOT NULL,
             id TEXT NOT NULL,
             environment_id TEXT NOT NULL,
             user_id TEXT NOT NULL,
             connection_id TEXT NOT NULL,
             issuer TEXT NOT NULL,
             subject TEXT NOT NULL,
             created_at BIGINT NOT NULL,
             last_login_at BIGINT NOT NULL,
             PRIMARY KEY (organization_id, id)))",
        "CREATE UNIQUE INDEX identity_bindings_subject ON identity_bindings (organization_id, "
        "connection_id, issuer, subject)",
        "CREATE INDEX identity_bindings_user ON identity_bindings (organization_id, user_id)",
        R"(CREATE TABLE sessions (
             organization_id TEXT NOT NULL,
             sid TEXT NOT NULL,
             environment_id TEXT NOT NULL,
             user_id TEXT NOT NULL,
             connection_id TEXT NOT NULL,
             cookie_lookup TEXT NOT NULL,
             cookie_hash TEXT NOT NULL,
             auth_time BIGINT NOT NULL,
             acr TEXT NOT NULL,
             amr TEXT NOT NULL,
             created_at BIGINT NOT NULL,
             last_seen_at BIGINT NOT NULL,
             idle_expires_at BIGINT NOT NULL,
             absolute_expires_at BIGINT NOT NULL,
             revoked_at BIGINT NOT NULL,
             revoked_reason TEXT NOT NULL,
             clients TEXT NOT NULL,
             PRIMARY KEY (organization_id, sid)))",
        "CREATE UNIQUE INDEX sessions_cookie ON sessions (environment_id, cookie_lookup)",
        "CREATE INDEX sessions_user ON sessions (organization_id, user_id, created_at)",
    };
    m.push_back({7, "users and sessions", v7, v7});
    // Applications and the OIDC provider's grants (issue 6, tokens). Organization id leads every
    // key ('' for environment-wide applications); codes and refresh tokens are stored only as
    // SHA-256 hashes, client secrets as peppered HMACs.
    const std::vector<std::string> v8 = {
        R"(CREATE TABLE applications (
             organization_id TEXT NOT NULL,
             environment_id TEXT NOT NULL,
             id TEXT NOT NULL,
             client_id TEXT NOT NULL,
             name TEXT NOT NULL,
             type TEXT NOT NULL,
             redirect_uris TEXT NOT NULL,
             post_logout_redirect_uris TEXT NOT NULL,
             grant_types TEXT NOT NULL,
             token_endpoint_auth_method TEXT NOT NULL,
             pkce_required BIGINT NOT NULL,
             id_token_signed_response_alg TEXT NOT NULL,
             access_token_ttl_s BIGINT NOT NULL,
             id_token_ttl_s BIGINT NOT NULL,
             refresh_token_ttl_s BIGINT NOT NULL,
             refresh_idle_ttl_s BIGINT NOT NULL,
             backchannel_logout_uri TEXT NOT NULL,
             status TEXT NOT NULL,
             version BIGINT NOT NULL,
             created_at BIGINT NOT NULL,
             updated_at BIGINT NOT NULL,
             PRIMARY KEY (organization_id, environment_id, id)))",
        "CREATE UNIQUE INDEX applications_client_id ON applications (environment_id, client_id)",
        R"(CREATE TABLE client_secrets (
             organization_id TEXT NOT NULL,
             environment_id TEXT NOT NULL,
             application_id TEXT NOT NULL,
             id TEXT NOT NULL,
             lookup TEXT NOT NULL,
             hash TEXT NOT NULL,
             created_at BIGINT NOT NULL,
             expires_at BIGINT NOT NULL,
             revoked_at BIGINT NOT NULL,
             PRIMARY KEY (organization_id, environment_id, application_id, id)))",
        R"(CREATE TABLE resources (
             environment_id TEXT NOT NULL,
             id TEXT NOT NULL,
             identifier TEXT NOT NULL,
             name TEXT NOT NULL,
             permissions TEXT NOT NULL,
             version BIGINT NOT NULL,
             created_at BIGINT NOT NULL,
             updated_at BIGINT NOT NULL,
             PRIMARY KEY (environment_id, id)))",
        "CREATE UNIQUE INDEX resources_identifier ON resources (environment_id, identifier)",
        R"(CREATE TABLE resource_grants (
             organization_id TEXT NOT NULL,
             environment_id TEXT NOT NULL,
             application_id TEXT NOT NULL,
             resource_id TEXT NOT NULL,
             permissions TEXT NOT NULL,
             updated_at BIGINT NOT NULL,
             PRIMARY KEY (organization_id, environment_id, application_id, resource_id)))",
        "CREATE INDEX resource_grants_resource ON resource_grants (environment_id, resource_id)",
        R"(CREATE TABLE oauth_pending (
             environment_id TEXT NOT NULL,
             id TEXT NOT NULL,
             application_id TEXT NOT NULL,
             client_id TEXT NOT NULL,
             params TEXT NOT NULL,
             created_at BIGINT NOT NULL,
             expires_at BIGINT NOT NULL,
             PRIMARY KEY (environment_id, id)))",
        "CREATE INDEX oauth_pending_expires ON oauth_pending (expires_at)",
        R"(CREATE TABLE oauth_codes (
             organization_id TEXT NOT NULL,
             environment_id TEXT NOT NULL,
             code_hash TEXT NOT NULL,
             application_id TEXT NOT NULL,
             client_id TEXT NOT NULL,
             user_id TEXT NOT NULL,
             sid TEXT NOT NULL,
             redirect_uri TEXT NOT NULL,
             params TEXT NOT NULL,
             created_at BIGINT NOT NULL,
             expires_at BIGINT NOT NULL,
             redeemed_at BIGINT NOT NULL,
             family_id TEXT NOT NULL,
             access_token_jtis TEXT NOT NULL,
             PRIMARY KEY (organization_id, environment_id, code_hash)))",
        "CREATE UNIQUE INDEX oauth_codes_hash ON oauth_codes (environment_id, code_hash)",
        "CREATE INDEX oauth_codes_expires ON oauth_codes (expires_at)",
        R"(CREATE TABLE oauth_refresh_tokens (
             organization_id TEXT NOT NULL,
             environment_id TEXT NOT NULL,
             token_hash TEXT NOT NULL,
             family_id TEXT NOT NULL,
             application_id TEXT NOT NULL,
             client_id TEXT NOT NULL,
             user_id TEXT NOT NULL,
             sid TEXT NOT NULL,
             params TEXT NOT NULL,
             created_at BIGINT NOT NULL,
             expires_at BIGINT NOT NULL,
             family_expires_at BIGINT NOT NULL,
             rotated_at BIGINT NOT NULL,
             revoked_at BIGINT NOT NULL,
             PRIMARY KEY (organization_id, environment_id, token_hash)))",
        "CREATE UNIQUE INDEX oauth_refresh_hash ON oauth_refresh_tokens (environment_id, "
        "token_hash)",
        R"(CREATE INDEX oauth_refresh_family ON oauth_refresh_tokens
             (organization_id, environment_id, family_id))",
        "CREATE INDEX oauth_refresh_expires ON oauth_refresh_tokens (family_expires_at)",
        R"(CREATE TABLE oauth_revoked_jtis (
             organization_id TEXT NOT NULL,
             environment_id TEXT NOT NULL,
             jti TEXT NOT NULL,
             reason TEXT NOT NULL,
             expires_at BIGINT NOT NULL,
             revoked_at BIGINT NOT NULL,
             PRIMARY KEY (organization_id, environment_id, jti)))",
        "CREATE INDEX oauth_revoked_jtis_expires ON oauth_revoked_jtis (expires_at)",
    };
    m.push_back({8, "applications and oauth grants", v8, v8});

    // Connections, login transactions and login traces (issue 6, hosted login). Tenant-scoped:
    // organization id leads every key. Trace bodies are sealed under the organization's data key.
    const std::vector<std::string> v9 = {
        R"(CREATE TABLE connections (
             organization_id TEXT NOT NULL,
             id TEXT NOT NULL,
             environment_id TEXT NOT NULL,
             type TEXT NOT NULL,
             name TEXT NOT NULL,
             status TEXT NOT NULL,
             domains TEXT NOT NULL,
             settings TEXT NOT NULL,
             attribute_mapping TEXT NOT NULL,
             acr_mapping TEXT NOT NULL,
             allow_email_linking BIGINT NOT NULL,
             version BIGINT NOT NULL,
             created_at BIGINT NOT NULL,
             updated_at BIGINT NOT NULL,
             PRIMARY KEY (organization_id, id)))",
        "CREATE UNIQUE INDEX connections_name ON connections (organization_id, environment_id, "
        "name)",
        R"(CREATE TABLE login_transactions (
             organization_id TEXT NOT NULL,
             id TEXT NOT NULL,
             environment_id TEXT NOT NULL,
             connection_id TEXT NOT NULL,
             login_request_id TEXT NOT NULL,
             state TEXT NOT NULL,
             nonce TEXT NOT NULL,
             test_mode BIGINT NOT NULL,
             created_at BIGINT NOT NULL,
             expires_at BIGINT NOT NULL,
             finished_at BIGINT NOT NULL,
             PRIMARY KEY (organization_id, id)))",
        "CREATE INDEX login_transactions_expires ON login_transactions (expires_at)",
        R"(CREATE TABLE login_traces (
             organization_id TEXT NOT NULL,
             environment_id TEXT NOT NULL,
             request_id TEXT NOT NULL,
             connection_id TEXT NOT NULL,
             body TEXT NOT NULL,
             created_at BIGINT NOT NULL,
             updated_at BIGINT NOT NULL,
             expires_at BIGINT NOT NULL,
             PRIMARY KEY (organization_id, environment_id, request_id)))",
        "CREATE INDEX login_traces_expires ON login_traces (expires_at)",
    };
    m.push_back({9, "connections", v9, v9});

    // Revocation fan-out (issue 7): the refresh tokens issued in a session, and an
    // organization's live sessions, are found by index when a session ends.
    const std::vector<std::string> v10 = {
        R"(CREATE INDEX oauth_refresh_sid ON oauth_refresh_tokens
             (organization_id, environment_id, sid))",
        R"(CREATE INDEX sessions_organization ON sessions
             (organization_id, environment_id, created_at))",
    };
    m.push_back({10, "revocation fan-out", v10, v10});
    // SAML assertion IDs accepted once (issue 8): shared by every node through the store.
    const std::vector<std::string> v11 = {
        R"(CREATE TABLE saml_assertion_ids (
             organization_id TEXT NOT NULL,
             environment_id TEXT NOT NULL,
             connection_id TEXT NOT NULL,
             assertion_id TEXT NOT NULL,
             used_at BIGINT NOT NULL,
             expires_at BIGINT NOT NULL,
             PRIMARY KEY (organization_id, environment_id, connection_id, assertion_id)))",
        "CREATE INDEX saml_assertion_ids_expires ON saml_assertion_ids (expires_at)",
    };
    m.push_back({11, "saml assertion ids", v11, v11});

    // SCIM directories (issue 10): directories, their tokens, the resources IdPs push (Users
    // linked to identity users, Groups), memberships and the sealed per-directory request log.
    auto v13 = [](bool pg) {
      return std::vector<std::string>{
          R"(CREATE TABLE scim_directories (
               organization_id TEXT NOT NULL,
               id TEXT NOT NULL,
               environment_id TEXT NOT NULL,
               name TEXT NOT NULL,
               status TEXT NOT NULL,
               version BIGINT NOT NULL,
               created_at BIGINT NOT NULL,
               updated_at BIGINT NOT NULL,
               PRIMARY KEY (organization_id, id)))",
          "CREATE UNIQUE INDEX scim_directories_name ON scim_directories (organization_id, "
          "environment_id, name)",
          R"(CREATE TABLE scim_tokens (
               organization_id TEXT NOT NULL,
               id TEXT NOT NULL,
               directory_id TEXT NOT NULL,
               environment_id TEXT NOT NULL,
               name TEXT NOT NULL,
               lookup TEXT NOT NULL UNIQUE,
               secret_hash TEXT NOT NULL,
               created_at BIGINT NOT NULL,
               expires_at BIGINT NOT NULL,
               revoked_at BIGINT NOT NULL,
               last_used_at BIGINT NOT NULL,
               PRIMARY KEY (organization_id, id)))",
          "CREATE INDEX scim_tokens_directory ON scim_tokens (organization_id, directory_id)",
          R"(CREATE TABLE scim_resources (
               organization_id TEXT NOT NULL,
               directory_id TEXT NOT NULL,
               id TEXT NOT NULL,
               environment_id TEXT NOT NULL,
               resource_type TEXT NOT NULL,
               user_id TEXT NOT NULL,
               user_name TEXT NOT NULL,
               external_id TEXT NOT NULL,
               display_name TEXT NOT NULL,
               email TEXT NOT NULL,
               document TEXT NOT NULL,
               version BIGINT NOT NULL,
               created_at BIGINT NOT NULL,
               updated_at BIGINT NOT NULL,
               PRIMARY KEY (organization_id, directory_id, resource_type, id)))",
          // userName is unique per directory among Users (Groups store their id there).
          "CREATE UNIQUE INDEX scim_resources_user_name ON scim_resources (directory_id, "
          "resource_type, user_name)",
          "CREATE INDEX scim_resources_external_id ON scim_resources (directory_id, "
          "resource_type, external_id)",
          "CREATE INDEX scim_resources_display_name ON scim_resources (directory_id, "
          "resource_type, display_name)",
          "CREATE INDEX scim_resources_email ON scim_resources (directory_id, resource_type, "
          "email)",
          R"(CREATE TABLE scim_members (
               organization_id TEXT NOT NULL,
               directory_id TEXT NOT NULL,
               group_id TEXT NOT NULL,
               member_id TEXT NOT NULL,
               environment_id TEXT NOT NULL,
               PRIMARY KEY (organization_id, directory_id, group_id, member_id)))",
          "CREATE INDEX scim_members_member ON scim_members (organization_id, directory_id, "
          "member_id)",
          std::string("CREATE TABLE scim_request_log (seq ") +
              (pg ? "BIGSERIAL PRIMARY KEY" : "INTEGER PRIMARY KEY AUTOINCREMENT") + R"(,
               organization_id TEXT NOT NULL,
               environment_id TEXT NOT NULL,
               directory_id TEXT NOT NULL,
               at BIGINT NOT NULL,
               method TEXT NOT NULL,
               path TEXT NOT NULL,
               status BIGINT NOT NULL,
               error_type TEXT NOT NULL,
               body TEXT NOT NULL))",
          "CREATE INDEX scim_request_log_directory ON scim_request_log (organization_id, "
          "directory_id, seq)",
      };
    };
    m.push_back({13, "scim directories", v13(false), v13(true)});

    // Issue 7, advanced grants and client authentication: one-time-use marks of client
    // assertion and DPoP proof jtis (shared by every node), a client's registered JWKS, its DPoP
    // switches and its PAR switch. (Pushed requests live in oauth_pending.)
    const std::vector<std::string> v14 = {
        R"(CREATE TABLE oauth_replay_marks (
             organization_id TEXT NOT NULL,
             environment_id TEXT NOT NULL,
             kind TEXT NOT NULL,
             mark_key TEXT NOT NULL,
             expires_at BIGINT NOT NULL,
             created_at BIGINT NOT NULL,
             PRIMARY KEY (organization_id, environment_id, kind, mark_key)))",
        "CREATE INDEX oauth_replay_marks_expires ON oauth_replay_marks (expires_at)",
        "ALTER TABLE applications ADD COLUMN jwks TEXT NOT NULL DEFAULT ''",
        "ALTER TABLE applications ADD COLUMN dpop_bound_access_tokens BIGINT NOT NULL DEFAULT 0",
        "ALTER TABLE applications ADD COLUMN dpop_nonce_required BIGINT NOT NULL DEFAULT 0",
        "ALTER TABLE applications ADD COLUMN require_par BIGINT NOT NULL DEFAULT 0",
    };
    m.push_back({14, "client assertions and DPoP", v14, v14});

    // SAML IdP metadata refresh (issue 8): the scheduler walks SAML connections by id.
    const std::vector<std::string> v15 = {
        "CREATE INDEX connections_type_id ON connections (type, id)",
    };
    m.push_back({15, "connections by type", v15, v15});

    // SCIM lifecycle (issue 10, second part): every email of a User indexed for emails.value
    // filters (filled from the stored documents), Users found by their identity user, the
    // reconciliation report's reads, deactivations with the time their sessions were revoked,
    // and the per-connection rule linking SSO logins to directory users.
    auto v16 = [](bool pg) {
      return std::vector<std::string>{
          // Keyed by the unique index that serves `emails.value eq` (organization, directory,
          // value) so both planners use it (a key led by the resource id tempted SQLite into a
          // directory-wide covering scan); scim_emails_resource serves rewrites of one User.
          R"(CREATE TABLE scim_emails (
               organization_id TEXT NOT NULL,
               directory_id TEXT NOT NULL,
               resource_id TEXT NOT NULL,
               value TEXT NOT NULL,
               environment_id TEXT NOT NULL))",
          "CREATE UNIQUE INDEX scim_emails_value ON scim_emails (organization_id, directory_id, "
          "value, resource_id)",
          "CREATE INDEX scim_emails_resource ON scim_emails (organization_id, directory_id, "
          "resource_id)",
          pg ? std::string(R"(INSERT INTO scim_emails (organization_id, directory_id, resource_id,
               value, environment_id)
               SELECT DISTINCT r.organization_id, r.directory_id, r.id, lower(e->>'value'),
                      r.environment_id
               FROM scim_resources r,
                    jsonb_array_elements(CASE WHEN jsonb_typeof(r.document::jsonb->'emails') =
                      'array' THEN r.document::jsonb->'emails' ELSE '[]'::jsonb END) e
               WHERE r.resource_type = 'User' AND jsonb_typeof(e->'value') = 'string'
                 AND e->>'value' <> '')")
             : std::string(R"(INSERT INTO scim_emails (organization_id, directory_id, resource_id,
               value, environment_id)
               SELECT DISTINCT r.organization_id, r.directory_id, r.id,
                      lower(json_extract(e.value, '$.value')), r.environment_id
               FROM scim_resources r, json_each(r.document, '$.emails') e
               WHERE r.resource_type = 'User' AND json_valid(r.document)
                 AND json_type(r.document, '$.emails') = 'array'
                 AND json_type(e.value, '$.value') = 'text'
                 AND json_extract(e.value, '$.value') <> '')"),
          "CREATE INDEX scim_resources_user ON scim_resources (organization_id, user_id)",
          // Without resource_type: with it, this index had as many equality columns as the
          // externalId/displayName ones and the planners took it for those filters.
          "CREATE INDEX scim_resources_updated ON scim_resources (organization_id, directory_id, "
          "updated_at)",
          std::string("CREATE TABLE scim_deactivations (seq ") +
              (pg ? "BIGSERIAL PRIMARY KEY" : "INTEGER PRIMARY KEY AUTOINCREMENT") + R"(,
               organization_id TEXT NOT NULL,
               environment_id TEXT NOT NULL,
               directory_id TEXT NOT NULL,
               scim_id TEXT NOT NULL,
               user_id TEXT NOT NULL,
               cause TEXT NOT NULL,
               requested_at BIGINT NOT NULL,
               sessions_revoked_at BIGINT NOT NULL,
               sessions_revoked BIGINT NOT NULL))",
          "CREATE INDEX scim_deactivations_directory ON scim_deactivations (organization_id, "
          "directory_id, seq)",
          R"(CREATE TABLE scim_connection_links (
               organization_id TEXT NOT NULL,
               connection_id TEXT NOT NULL,
               environment_id TEXT NOT NULL,
               rule TEXT NOT NULL,
               updated_at BIGINT NOT NULL,
               PRIMARY KEY (organization_id, connection_id)))",
      };
    };
    m.push_back({16, "scim lifecycle", v16(false), v16(true)});

    // Issue 7 (second part): a client's keys at a URL (private_key_jwt) and its Back-Channel
    // Logout `sid` requirement; issue 9: the index of the connection sweep.
    const std::vector<std::string> v17 = {
        "ALTER TABLE applications ADD COLUMN jwks_uri TEXT NOT NULL DEFAULT ''",
        "ALTER TABLE applications ADD COLUMN backchannel_logout_session_required BIGINT NOT NULL "
        "DEFAULT 0",
        // Issue 9: the OIDC discovery refresh sweeps active connections of one type by id.
        "CREATE INDEX connections_type_status_id ON connections (type, status, id)",
    };
    m.push_back({17, "client jwks_uri, logout sid, connection sweep", v17, v17});
    return m;
  }();
  return all;
}

}  // namespace gh::store
