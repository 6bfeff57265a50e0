#include "store/sql/webhook_repo.h"

#include <algorithm>
#include <nlohmann/json.hpp>

#include "core/ids.h"
#include "events/error_codes.h"

namespace gh::store {

namespace {

std::string secrets_text(const std::vector<WebhookSecret>& secrets) {
  nlohmann::json a = nlohmann::json::array();
  for (const auto& s : secrets) {
    a.push_back({{"id", s.id},
                 {"secret", s.secret},
                 {"created_at", s.created_at_ms},
                 {"expires_at", s.expires_at_ms}});
  }
  return a.dump();
}

std::vector<WebhookSecret> parse_secrets(const std::string& text) {
  std::vector<WebhookSecret> out;
  auto a = nlohmann::json::parse(text, nullptr, false);
  if (!a.is_array()) return out;
  for (const auto& j : a) {
    out.push_back({j.value("id", ""), j.value("secret", ""), j.value("created_at", int64_t{0}),
                   j.value("expires_at", int64_t{0})});
  }
  return out;
}

std::vector<std::string> parse_types(const std::string& text) {
  auto a = nlohmann::json::parse(text, nullptr, false);
  std::vector<std::string> out;
  if (!a.is_array()) return out;
  for (const auto& t : a) {
    if (t.is_string()) out.push_back(t.get<std::string>());
  }
  return out;
}

constexpr const char* kDeliveryColumns =
    "id, endpoint_id, environment_id, organization_id, event_id, event_type, body, status, "
    "attempts, next_attempt_at, lease_until, lease_owner, last_status, last_error, "
    "last_response_ms, created_at, updated_at";

Error endpoint_not_found(std::string_view id) {
  return Error(errc::WebhookNotFound,
               "No webhook endpoint '" + std::string(id) + "' in this environment");
}

}  // namespace

Result<WebhookEndpoint> SqlWebhookRepository::create_endpoint(const WebhookEndpoint& in) {
  WebhookEndpoint e = in;
  if (e.id.empty()) e.id = new_uuid_v7(ctx_.clock);
  e.created_at_ms = e.updated_at_ms = ctx_.clock.now_ms();
  e.version = 1;
  const std::string types = nlohmann::json(e.event_types).dump();
  const std::string secrets = secrets_text(e.secrets);
  const int enabled = e.enabled ? 1 : 0;
  long long version = e.version, at = e.created_at_ms;
  ctx_.sql << "INSERT INTO webhook_endpoints (id, environment_id, organization_id, url, "
              "description, event_types, enabled, secrets, version, created_at, updated_at) "
              "VALUES (:id, :env, :org, :url, :d, :t, :en, :s, :v, :c, :u)",
      soci::use(e.id), soci::use(e.environment_id), soci::use(e.organization_id), soci::use(e.url),
      soci::use(e.description), soci::use(types), soci::use(enabled), soci::use(secrets),
      soci::use(version), soci::use(at), soci::use(at);
  return e;
}

Result<std::vector<WebhookEndpoint>> SqlWebhookRepository::select_endpoints(
    const std::string& where, const std::string& env, const std::string& org,
    const std::string& id) {
  std::vector<WebhookEndpoint> out;
  WebhookEndpoint r;
  std::string types, secrets;
  int enabled = 0;
  long long version = 0, created = 0, updated = 0;
  const int any_org = org.empty() ? 1 : 0;
  soci::statement st =
      (ctx_.sql.prepare << "SELECT id, environment_id, organization_id, url, description, "
                           "event_types, enabled, secrets, version, created_at, updated_at FROM "
                           "webhook_endpoints WHERE environment_id = :env AND (:any = 1 OR "
                           "organization_id = :org) AND (:id = '' OR id = :id2) "
                        << where << " ORDER BY id",
       soci::use(env), soci::use(any_org), soci::use(org), soci::use(id), soci::use(id),
       soci::into(r.id), soci::into(r.environment_id), soci::into(r.organization_id),
       soci::into(r.url), soci::into(r.description), soci::into(types), soci::into(enabled),
       soci::into(secrets), soci::into(version), soci::into(created), soci::into(updated));
  st.execute();
  while (st.fetch()) {
    WebhookEndpoint e = r;
    e.event_types = parse_types(types);
    e.enabled = enabled != 0;
    e.secrets = parse_secrets(secrets);
    e.version = version;
    e.created_at_ms = created;
    e.updated_at_ms = updated;
    out.push_back(std::move(e));
  }
  return out;
}

Result<WebhookEndpoint> SqlWebhookRepository::get_endpoint(std::string_view environment_id,
                                                           std::string_view organization_id,
                                                           std::string_view id) {
  if (id.empty()) return fail(endpoint_not_found(id));
  auto rows = select_endpoints("", std::string(environment_id), std::string(organization_id),
                               std::string(id));
  if (!rows) return fail(rows.error());
  if (rows->empty()) return fail(endpoint_not_found(id));
  return rows->front();
}

Result<std::vector<WebhookEndpoint>> SqlWebhookRepository::list_endpoints(
    std::string_view environment_id, std::string_view organization_id) {
  return select_endpoints("", std::string(environment_id), std::string(organization_id), "");
}

Result<WebhookEndpoint> SqlWebhookRepository::update_endpoint(const WebhookEndpoint& in,
                                                              int64_t expected_version) {
  WebhookEndpoint e = in;
  e.updated_at_ms = ctx_.clock.now_ms();
  const std::string types = nlohmann::json(e.event_types).dump();
  const std::string secrets = secrets_text(e.secrets);
  const int enabled = e.enabled ? 1 : 0;
  long long expected = expected_version, at = e.updated_at_ms;
  soci::statement st =
      (ctx_.sql.prepare << "UPDATE webhook_endpoints SET url = :url, description = :d, "
                           "event_types = :t, enabled = :en, secrets = :s, version = version + 1, "
                           "updated_at = :u WHERE environment_id = :env AND organization_id = "
                           ":org AND id = :id AND version = :v",
       soci::use(e.url), soci::use(e.description), soci::use(types), soci::use(enabled),
       soci::use(secrets), soci::use(at), soci::use(e.environment_id), soci::use(e.organization_id),
       soci::use(e.id), soci::use(expected));
  st.execute(true);
  if (st.get_affected_rows() == 0) {
    auto current = get_endpoint(e.environment_id, e.organization_id, e.id);
    if (!current) return fail(current.error());
    return fail(errc::RequestPreconditionFailed,
                "The webhook endpoint changed since you read it (version " +
                    std::to_string(current->version) + ")");
  }
  e.version = expected_version + 1;
  return e;
}

Result<bool> SqlWebhookRepository::delete_endpoint(std::string_view environment_id,
                                                   std::string_view organization_id,
                                                   std::string_view id) {
  auto current = get_endpoint(environment_id, organization_id, id);
  if (!current) return fail(current.error());
  ctx_.sql << "DELETE FROM webhook_deliveries WHERE endpoint_id = :id", soci::use(current->id);
  ctx_.sql << "DELETE FROM webhook_endpoints WHERE id = :id", soci::use(current->id);
  return true;
}

Result<bool> SqlWebhookRepository::add_delivery(const WebhookDelivery& d) {
  std::string id = d.id.empty() ? new_uuid_v7(ctx_.clock) : d.id;
  long long now = ctx_.clock.now_ms(), next = d.next_attempt_at_ms;
  ctx_.sql << "INSERT INTO webhook_deliveries (" << kDeliveryColumns
           << ") VALUES (:id, :ep, :env, :org, :eid, :et, :body, 'pending', 0, :next, 0, '', 0, "
              "'', 0, :c, :u)",
      soci::use(id), soci::use(d.endpoint_id), soci::use(d.environment_id),
      soci::use(d.organization_id), soci::use(d.event_id), soci::use(d.event_type),
      soci::use(d.body), soci::use(next), soci::use(now), soci::use(now);
  return true;
}

Result<std::vector<WebhookDelivery>> SqlWebhookRepository::select_deliveries(
    const std::string& sql, std::vector<std::string> params, int limit) {
  std::vector<WebhookDelivery> out;
  WebhookDelivery r;
  long long attempts = 0, next = 0, lease = 0, last_status = 0, rt = 0, created = 0, updated = 0;
  params.resize(4);
  soci::statement st =
      (ctx_.sql.prepare << sql, soci::use(params[0]), soci::use(params[1]), soci::use(params[2]),
       soci::use(params[3]), soci::use(limit), soci::into(r.id), soci::into(r.endpoint_id),
       soci::into(r.environment_id), soci::into(r.organization_id), soci::into(r.event_id),
       soci::into(r.event_type), soci::into(r.body), soci::into(r.status), soci::into(attempts),
       soci::into(next), soci::into(lease), soci::into(r.lease_owner), soci::into(last_status),
       soci::into(r.last_error), soci::into(rt), soci::into(created), soci::into(updated));
  st.execute();
  while (st.fetch()) {
    WebhookDelivery d = r;
    d.attempts = attempts;
    d.next_attempt_at_ms = next;
    d.lease_until_ms = lease;
    d.last_status = last_status;
    d.last_response_ms = rt;
    d.created_at_ms = created;
    d.updated_at_ms = updated;
    out.push_back(std::move(d));
  }
  return out;
}

Result<WebhookDelivery> SqlWebhookRepository::get_delivery(std::string_view environment_id,
                                                           std::string_view organization_id,
                                                           std::string_view id) {
  const std::string any = organization_id.empty() ? "1" : "0";
  auto rows = select_deliveries(
      std::string("SELECT ") + kDeliveryColumns +
          " FROM webhook_deliveries WHERE environment_id = :env AND (:any = '1' OR "
          "organization_id = :org) AND id = :id LIMIT :lim",
      {std::string(environment_id), any, std::string(organization_id), std::string(id)}, 1);
  if (!rows) return fail(rows.error());
  if (rows->empty()) {
    return fail(errc::WebhookDeliveryNotFound,
                "No webhook delivery '" + std::string(id) + "' in this environment");
  }
  return rows->front();
}

Result<std::vector<WebhookDelivery>> SqlWebhookRepository::list_deliveries(
    std::string_view environment_id, std::string_view organization_id, std::string_view endpoint_id,
    std::string_view before, int limit) {
  auto endpoint = get_endpoint(environment_id, organization_id, endpoint_id);
  if (!endpoint) return fail(endpoint.error());
  // UUIDv7 ids sort by creation time.
  return select_deliveries(std::string("SELECT ") + kDeliveryColumns +
                               " FROM webhook_deliveries WHERE endpoint_id = :ep AND (:b = '' OR "
                               "id < :b2) AND :unused = '' ORDER BY id DESC LIMIT :lim",
                           {endpoint->id, std::string(before), std::string(before), ""},
                           std::clamp(limit, 1, 1000));
}

Result<std::vector<WebhookDelivery>> SqlWebhookRepository::list_deliveries_of_type(
    std::string_view environment_id, std::string_view organization_id, std::string_view event_type,
    std::string_view receiver_id, std::string_view before, int limit) {
  // The values are bound; only the shape of the WHERE clause varies.
  std::string where = "environment_id = :p0 AND event_type = :p1";
  std::vector<std::string> params = {std::string(environment_id), std::string(event_type), "", ""};
  std::string extra;
  int next = 2;
  auto add = [&](const std::string& column, std::string_view value, const char* op) {
    if (value.empty()) return;
    if (next < 4) {
      where += " AND " + column + " " + op + " :p" + std::to_string(next);
      params[static_cast<size_t>(next++)] = std::string(value);
    }
  };
  add("organization_id", organization_id, "=");
  add("endpoint_id", receiver_id, "=");
  // A fourth filter has no bind slot left: before is appended as a bound-equivalent literal
  // only after checking it is a UUID (ids are UUIDv7).
  if (!before.empty()) {
    const bool uuid = before.size() == 36 && std::all_of(before.begin(), before.end(), [](char c) {
                        return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || c == '-';
                      });
    if (!uuid) return std::vector<WebhookDelivery>();
    if (next < 4) {
      add("id", before, "<");
    } else {
      extra = " AND id < '" + std::string(before) + "'";
    }
  }
  while (next < 4) where += " AND :p" + std::to_string(next++) + " = ''";
  return select_deliveries(std::string("SELECT ") + kDeliveryColumns +
                               " FROM webhook_deliveries WHERE " + where + extra +
                               " ORDER BY id DESC LIMIT :lim",
                           params, std::clamp(limit, 1, 1000));
}

Result<std::vector<WebhookDelivery>> SqlWebhookRepository::claim_due(int64_t now_ms,
                                                                     int64_t lease_ms,
                                                                     std::string_view owner,
                                                                     int limit) {
  // PostgreSQL: SKIP LOCKED lets several nodes claim disjoint rows without waiting; the
  // lease then keeps the row theirs after this transaction commits. SQLite has one writer.
  const std::string lock =
      ctx_.backend == Backend::postgres ? " FOR UPDATE SKIP LOCKED" : std::string();
  const std::string now = std::to_string(now_ms);
  const std::string until = std::to_string(now_ms + lease_ms);
  std::vector<std::string> ids;
  {
    std::string id;
    const int lim = std::clamp(limit, 1, 1000);
    soci::statement st =
        (ctx_.sql.prepare << "SELECT id FROM webhook_deliveries WHERE status = 'pending' AND "
                             "next_attempt_at <= "
                          << now << " AND lease_until <= " << now
                          << " ORDER BY next_attempt_at, id LIMIT :lim" << lock,
         soci::use(lim), soci::into(id));
    st.execute();
    while (st.fetch()) ids.push_back(id);
  }
  std::vector<WebhookDelivery> out;
  std::string who(owner);
  for (const auto& id : ids) {
    ctx_.sql << "UPDATE webhook_deliveries SET lease_until = " << until
             << ", lease_owner = :o, attempts = attempts + 1, updated_at = " << now
             << " WHERE id = :id",
        soci::use(who), soci::use(id);
    auto rows = select_deliveries(std::string("SELECT ") + kDeliveryColumns +
                                      " FROM webhook_deliveries WHERE id = :id AND :a = '' AND "
                                      ":b = '' AND :c = '' LIMIT :lim",
                                  {id, "", "", ""}, 1);
    if (!rows) return fail(rows.error());
    for (auto& d : *rows) out.push_back(std::move(d));
  }
  return out;
}

Result<bool> SqlWebhookRepository::record_attempt(std::string_view id, std::string_view owner,
                                                  const DeliveryAttempt& a, int64_t now_ms) {
  std::string sid(id), who(owner), status = a.status, error = a.error.substr(0, 500);
  long long next = a.next_attempt_at_ms, http = a.http_status, rt = a.response_ms, now = now_ms;
  soci::statement st =
      (ctx_.sql.prepare << "UPDATE webhook_deliveries SET status = :s, next_attempt_at = :n, "
                           "lease_until = 0, lease_owner = '', last_status = :hs, last_error = "
                           ":e, last_response_ms = :rt, updated_at = :u WHERE id = :id AND "
                           "lease_owner = :o AND status = 'pending'",
       soci::use(status), soci::use(next), soci::use(http), soci::use(error), soci::use(rt),
       soci::use(now), soci::use(sid), soci::use(who));
  st.execute(true);
  return st.get_affected_rows() > 0;
}

Result<WebhookDelivery> SqlWebhookRepository::redeliver(std::string_view environment_id,
                                                        std::string_view organization_id,
                                                        std::string_view id, int64_t now_ms) {
  auto d = get_delivery(environment_id, organization_id, id);
  if (!d) return fail(d.error());
  long long now = now_ms;
  ctx_.sql << "UPDATE webhook_deliveries SET status = 'pending', attempts = 0, next_attempt_at = "
              ":n, lease_until = 0, lease_owner = '', updated_at = :u WHERE id = :id",
      soci::use(now), soci::use(now), soci::use(d->id);
  return get_delivery(environment_id, organization_id, id);
}

}  // namespace gh::store
