#include "store/sql/connection_repo.h"

#include <algorithm>
#include <stdexcept>

#include "core/encoding.h"
#include "core/ids.h"
#include "federation/error_codes.h"
#include "store/store.h"

namespace gh::store {

namespace {

constexpr const char* kConnectionColumns =
    "id, environment_id, organization_id, type, name, status, domains, settings, "
    "attribute_mapping, acr_mapping, allow_email_linking, version, created_at, updated_at";

struct ConnectionRow {
  std::string id, environment_id, organization_id, type, name, status, domains, settings,
      attribute_mapping, acr_mapping;
  long long allow_email_linking = 0, version = 0, created_at = 0, updated_at = 0;
  Connection to_connection() const {
    Connection c;
    c.id = id;
    c.environment_id = environment_id;
    c.organization_id = organization_id;
    c.type = type;
    c.name = name;
    c.status = status;
    c.domains = nlohmann::json::parse(domains, nullptr, false);
    c.settings = nlohmann::json::parse(settings, nullptr, false);
    c.attribute_mapping = nlohmann::json::parse(attribute_mapping, nullptr, false);
    c.acr_mapping = nlohmann::json::parse(acr_mapping, nullptr, false);
    c.allow_email_linking = allow_email_linking != 0;
    c.version = version;
    c.created_at_ms = created_at;
    c.updated_at_ms = updated_at;
    return c;
  }
};

#define GH_CONNECTION_INTO(r)                                                              \
  soci::into(r.id), soci::into(r.environment_id), soci::into(r.organization_id),           \
      soci::into(r.type), soci::into(r.name), soci::into(r.status), soci::into(r.domains), \
      soci::into(r.settings), soci::into(r.attribute_mapping), soci::into(r.acr_mapping),  \
      soci::into(r.allow_email_linking), soci::into(r.version), soci::into(r.created_at),  \
      soci::into(r.updated_at)

constexpr const char* kTransactionColumns =
    "id, environment_id, organization_id, connection_id, login_request_id, state, nonce, "
    "test_mode, created_at, expires_at, finished_at";

struct TransactionRow {
  std::string id, environment_id, organization_id, connection_id, login_request_id, state, nonce;
  long long test_mode = 0, created_at = 0, expires_at = 0, finished_at = 0;
  LoginTransaction to_transaction() const {
    return {id,    environment_id, organization_id, connection_id, login_request_id, state,
            nonce, test_mode != 0, created_at,      expires_at,    finished_at};
  }
};

#define GH_TRANSACTION_INTO(r)                                                          \
  soci::into(r.id), soci::into(r.environment_id), soci::into(r.organization_id),        \
      soci::into(r.connection_id), soci::into(r.login_request_id), soci::into(r.state), \
      soci::into(r.nonce), soci::into(r.test_mode), soci::into(r.created_at),           \
      soci::into(r.expires_at), soci::into(r.finished_at)

Error connection_not_found(std::string_view id) {
  return Error(errc::ConnectionNotFound,
               "No connection '" + std::string(id) + "' on this organization");
}

Error name_taken_error(const std::string& name) {
  return Error(errc::ConnectionNameTaken,
               "The organization already has a connection named '" + name + "'");
}

}  // namespace

bool SqlConnectionRepository::name_taken(const Connection& c) {
  int taken = 0;
  ctx_.sql << "SELECT COUNT(*) FROM connections WHERE organization_id = :org AND environment_id "
              "= :env AND name = :name AND id <> :id",
      soci::use(c.organization_id), soci::use(c.environment_id), soci::use(c.name), soci::use(c.id),
      soci::into(taken);
  return taken != 0;
}

Result<Connection> SqlConnectionRepository::create(const Connection& in) {
  Connection c = in;
  if (c.id.empty()) c.id = new_uuid_v7(ctx_.clock);
  if (name_taken(c)) return fail(name_taken_error(c.name));
  c.version = 1;
  c.created_at_ms = c.updated_at_ms = ctx_.clock.now_ms();
  const std::string domains = c.domains.dump(), settings = c.settings.dump(),
                    mapping = c.attribute_mapping.dump(), acr = c.acr_mapping.dump();
  long long link = c.allow_email_linking ? 1 : 0, version = c.version, now = c.created_at_ms;
  ctx_.sql << "INSERT INTO connections (" << kConnectionColumns
           << ") VALUES (:id, :env, :org, :type, :name, :status, :domains, :settings, :mapping, "
              ":acr, :link, :version, :c, :u)",
      soci::use(c.id), soci::use(c.environment_id), soci::use(c.organization_id), soci::use(c.type),
      soci::use(c.name), soci::use(c.status), soci::use(domains), soci::use(settings),
      soci::use(mapping), soci::use(acr), soci::use(link), soci::use(version), soci::use(now),
      soci::use(now);
  return c;
}

Result<Connection> SqlConnectionRepository::get(std::string_view environment_id,
                                                std::string_view organization_id,
                                                std::string_view id) {
  ConnectionRow r;
  std::string env(environment_id), org(organization_id), cid(id);
  soci::statement st = (ctx_.sql.prepare << "SELECT " << kConnectionColumns
                                         << " FROM connections WHERE organization_id = :org AND "
                                            "id = :id AND environment_id = :env",
                        soci::use(org), soci::use(cid), soci::use(env), GH_CONNECTION_INTO(r));
  st.execute(true);
  if (!st.got_data()) return fail(connection_not_found(id));
  return r.to_connection();
}

Result<std::vector<Connection>> SqlConnectionRepository::list(std::string_view environment_id,
                                                              std::string_view organization_id) {
  std::vector<Connection> out;
  ConnectionRow r;
  std::string env(environment_id), org(organization_id);
  soci::statement st = (ctx_.sql.prepare << "SELECT " << kConnectionColumns
                                         << " FROM connections WHERE organization_id = :org AND "
                                            "environment_id = :env ORDER BY created_at, id",
                        soci::use(org), soci::use(env), GH_CONNECTION_INTO(r));
  st.execute();
  while (st.fetch()) out.push_back(r.to_connection());
  return out;
}

Result<std::vector<Connection>> SqlConnectionRepository::list_of_type(std::string_view type,
                                                                      std::string_view status,
                                                                      std::string_view after_id,
                                                                      int limit) {
  std::vector<Connection> out;
  ConnectionRow r;
  std::string t(type), st_(status), after(after_id);
  long long n = std::clamp(limit, 1, 1000);
  // Index connections_type_status_id (v17) with a status, connections_type_id (v15) without.
  soci::statement st =
      status.empty()
          ? (ctx_.sql.prepare << "SELECT " << kConnectionColumns
                              << " FROM connections WHERE type = :t AND id > :after "
                                 "ORDER BY id LIMIT :n",
             soci::use(t), soci::use(after), soci::use(n), GH_CONNECTION_INTO(r))
          : (ctx_.sql.prepare << "SELECT " << kConnectionColumns
                              << " FROM connections WHERE type = :t AND status = :s "
                                 "AND id > :after ORDER BY id LIMIT :n",
             soci::use(t), soci::use(st_), soci::use(after), soci::use(n), GH_CONNECTION_INTO(r));
  st.execute();
  while (st.fetch()) out.push_back(r.to_connection());
  return out;
}

Result<Connection> SqlConnectionRepository::update(const Connection& c, int64_t expected_version) {
  auto current = get(c.environment_id, c.organization_id, c.id);
  if (!current) return current;
  if (current->version != expected_version) {
    return fail(errc::RequestPreconditionFailed,
                "The connection changed since you read it (now at version " +
                    std::to_string(current->version) + "); read it again and retry");
  }
  if (name_taken(c)) return fail(name_taken_error(c.name));
  const std::string domains = c.domains.dump(), settings = c.settings.dump(),
                    mapping = c.attribute_mapping.dump(), acr = c.acr_mapping.dump();
  long long link = c.allow_email_linking ? 1 : 0, now = ctx_.clock.now_ms(),
            expected = expected_version, new_version = 0;
  ctx_.sql << "UPDATE connections SET name = :name, status = :status, domains = :domains, "
              "settings = :settings, attribute_mapping = :mapping, acr_mapping = :acr, "
              "allow_email_linking = :link, version = version + 1, updated_at = :now WHERE "
              "organization_id = :org AND environment_id = :env AND id = :id AND version = :v "
              "RETURNING version",
      soci::use(c.name), soci::use(c.status), soci::use(domains), soci::use(settings),
      soci::use(mapping), soci::use(acr), soci::use(link), soci::use(now),
      soci::use(c.organization_id), soci::use(c.environment_id), soci::use(c.id),
      soci::use(expected), soci::into(new_version);
  if (!ctx_.sql.got_data()) {
    return fail(errc::RequestPreconditionFailed,
                "The connection changed since you read it; read it again and retry");
  }
  return get(c.environment_id, c.organization_id, c.id);
}

Result<Connection> SqlConnectionRepository::remove(std::string_view environment_id,
                                                   std::string_view organization_id,
                                                   std::string_view id) {
  auto current = get(environment_id, organization_id, id);
  if (!current) return current;
  ctx_.sql << "DELETE FROM login_transactions WHERE organization_id = :org AND connection_id = "
              ":id",
      soci::use(current->organization_id), soci::use(current->id);
  ctx_.sql << "DELETE FROM connections WHERE organization_id = :org AND id = :id",
      soci::use(current->organization_id), soci::use(current->id);
  return current;
}

Result<LoginTransaction> SqlConnectionRepository::create_transaction(const LoginTransaction& in) {
  LoginTransaction t = in;
  t.created_at_ms = ctx_.clock.now_ms();
  t.finished_at_ms = 0;
  long long test = t.test_mode ? 1 : 0, created = t.created_at_ms, expires = t.expires_at_ms,
            finished = 0;
  ctx_.sql << "INSERT INTO login_transactions (" << kTransactionColumns
           << ") VALUES (:id, :env, :org, :conn, :req, :state, :nonce, :test, :c, :e, :f)",
      soci::use(t.id), soci::use(t.environment_id), soci::use(t.organization_id),
      soci::use(t.connection_id), soci::use(t.login_request_id), soci::use(t.state),
      soci::use(t.nonce), soci::use(test), soci::use(created), soci::use(expires),
      soci::use(finished);
  return t;
}

Result<LoginTransaction> SqlConnectionRepository::get_transaction(std::string_view environment_id,
                                                                  std::string_view organization_id,
                                                                  std::string_view id,
                                                                  int64_t now_ms) {
  TransactionRow r;
  std::string env(environment_id), org(organization_id), tid(id);
  long long now = now_ms;
  soci::statement st =
      (ctx_.sql.prepare << "SELECT " << kTransactionColumns
                        << " FROM login_transactions WHERE organization_id = :org AND id = :id "
                           "AND environment_id = :env AND expires_at > :now",
       soci::use(org), soci::use(tid), soci::use(env), soci::use(now), GH_TRANSACTION_INTO(r));
  st.execute(true);
  if (!st.got_data()) return fail(errc::LoginTransactionNotFound);
  return r.to_transaction();
}

Result<LoginTransaction> SqlConnectionRepository::finish_transaction(
    std::string_view environment_id, std::string_view organization_id, std::string_view id,
    int64_t now_ms) {
  auto current = get_transaction(environment_id, organization_id, id, now_ms);
  if (!current) return current;
  long long now = now_ms;
  int updated = 0;
  // The WHERE clause makes two concurrent callbacks end with exactly one winner.
  ctx_.sql << "UPDATE login_transactions SET finished_at = :now WHERE organization_id = :org AND "
              "id = :id AND finished_at = 0 RETURNING 1",
      soci::use(now), soci::use(current->organization_id), soci::use(current->id),
      soci::into(updated);
  if (!ctx_.sql.got_data()) return fail(errc::LoginTransactionUsed);
  current->finished_at_ms = now_ms;
  return current;
}

Result<int64_t> SqlConnectionRepository::purge_transactions(int64_t before_ms) {
  long long before = before_ms;
  soci::statement st = (ctx_.sql.prepare << "DELETE FROM login_transactions WHERE expires_at < :b",
                        soci::use(before));
  st.execute(true);
  return static_cast<int64_t>(st.get_affected_rows());
}

Result<LoginTrace> SqlLoginTraceRepository::put(const LoginTrace& in) {
  LoginTrace t = in;
  const long long now = ctx_.clock.now_ms();
  if (t.created_at_ms == 0) t.created_at_ms = now;
  t.updated_at_ms = now;
  long long created = t.created_at_ms, updated = t.updated_at_ms, expires = t.expires_at_ms;
  // The sealed body is binary; the column is TEXT (PostgreSQL refuses non-UTF-8 text).
  const std::string body = base64url_encode(t.body_sealed);
  ctx_.sql << "INSERT INTO login_traces (organization_id, environment_id, request_id, "
              "connection_id, body, created_at, updated_at, expires_at) VALUES (:org, :env, :req, "
              ":conn, :body, :c, :u, :e) ON CONFLICT (organization_id, environment_id, request_id) "
              "DO UPDATE SET connection_id = excluded.connection_id, body = excluded.body, "
              "updated_at = excluded.updated_at, expires_at = excluded.expires_at",
      soci::use(t.organization_id), soci::use(t.environment_id), soci::use(t.request_id),
      soci::use(t.connection_id), soci::use(body), soci::use(created), soci::use(updated),
      soci::use(expires);
  return t;
}

Result<LoginTrace> SqlLoginTraceRepository::get(std::string_view environment_id,
                                                std::string_view organization_id,
                                                std::string_view request_id, int64_t now_ms) {
  LoginTrace t;
  long long created = 0, updated = 0, expires = 0, now = now_ms;
  std::string env(environment_id), org(organization_id), req(request_id), body;
  soci::statement st =
      (ctx_.sql.prepare << "SELECT request_id, environment_id, organization_id, connection_id, "
                           "body, created_at, updated_at, expires_at FROM login_traces WHERE "
                           "organization_id = :org AND environment_id = :env AND request_id = "
                           ":req AND expires_at > :now",
       soci::use(org), soci::use(env), soci::use(req), soci::use(now), soci::into(t.request_id),
       soci::into(t.environment_id), soci::into(t.organization_id), soci::into(t.connection_id),
       soci::into(body), soci::into(created), soci::into(updated), soci::into(expires));
  st.execute(true);
  if (!st.got_data()) {
    return fail(errc::LoginTraceNotFound,
                "No login trace '" + req + "' in this organization (unknown or past retention)");
  }
  auto sealed = base64url_decode(body);
  if (!sealed) return fail(errc::StoreUnavailable, "a login trace body is not base64url");
  t.body_sealed = std::move(*sealed);
  t.created_at_ms = created;
  t.updated_at_ms = updated;
  t.expires_at_ms = expires;
  return t;
}

Result<int64_t> SqlLoginTraceRepository::purge_expired(int64_t now_ms) {
  long long now = now_ms;
  soci::statement st =
      (ctx_.sql.prepare << "DELETE FROM login_traces WHERE expires_at <= :now", soci::use(now));
  st.execute(true);
  return static_cast<int64_t>(st.get_affected_rows());
}

}  // namespace gh::store
