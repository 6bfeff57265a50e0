#include "store/sql/outbox_repo.h"

#include <charconv>

#include "core/encoding.h"
#include "core/ids.h"

namespace gh::store {

std::string OutboxCursor::encode() const {
  return base64url_encode(std::to_string(tx) + "." + std::to_string(seq));
}

Result<OutboxCursor> OutboxCursor::decode(std::string_view text) {
  if (text.empty()) return OutboxCursor{};
  auto raw = base64url_decode(text);
  const auto bad = [] {
    return fail(errc::RequestInvalidParameter,
                "The cursor is not one Gatehouse gave out; start again without it");
  };
  if (!raw) return bad();
  const size_t dot = raw->find('.');
  if (dot == std::string::npos) return bad();
  OutboxCursor c;
  auto parse = [](std::string_view s, int64_t& out) {
    auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
    return ec == std::errc() && p == s.data() + s.size() && out >= 0;
  };
  if (!parse(std::string_view(*raw).substr(0, dot), c.tx) ||
      !parse(std::string_view(*raw).substr(dot + 1), c.seq)) {
    return bad();
  }
  return c;
}

Result<OutboxEvent> SqlOutboxRepository::enqueue(const OutboxEvent& in) {
  OutboxEvent e = in;
  if (e.id.empty()) e.id = new_uuid_v7(ctx_.clock);
  if (e.occurred_at_ms == 0) e.occurred_at_ms = ctx_.clock.now_ms();
  const std::string payload = e.payload.dump();
  long long at = e.occurred_at_ms, seq = 0, tx = 0;
  // PostgreSQL: the row carries this transaction's id (xid8 as bigint); SQLite: 0.
  const char* tx_expr =
      ctx_.backend == Backend::postgres ? "pg_current_xact_id()::text::bigint" : "0";
  ctx_.sql << "INSERT INTO outbox (tx, id, environment_id, organization_id, type, payload, "
              "occurred_at) VALUES ("
           << tx_expr << ", :id, :env, :org, :type, :payload, :at) RETURNING seq, tx",
      soci::use(e.id), soci::use(e.environment_id), soci::use(e.organization_id), soci::use(e.type),
      soci::use(payload), soci::use(at), soci::into(seq), soci::into(tx);
  e.seq = seq;
  e.tx = tx;
  return e;
}

Result<std::vector<OutboxEvent>> SqlOutboxRepository::read(std::string_view environment_id,
                                                           std::string_view organization_id,
                                                           const OutboxCursor& after, int limit) {
  std::vector<OutboxEvent> out;
  std::string env(environment_id), org(organization_id);
  const int any_org = organization_id.empty() ? 1 : 0;
  long long atx = after.tx, aseq = after.seq;
  const int lim = std::clamp(limit, 1, 1000);
  // Only transactions older than every running one are final (PostgreSQL); SQLite commits
  // one writer at a time in seq order.
  const char* visible = ctx_.backend == Backend::postgres
                            ? "tx < pg_snapshot_xmin(pg_current_snapshot())::text::bigint"
                            : "1 = 1";
  OutboxEvent r;
  long long seq = 0, tx = 0, at = 0;
  std::string payload;
  soci::statement st =
      (ctx_.sql.prepare << "SELECT tx, seq, id, environment_id, organization_id, type, payload, "
                           "occurred_at FROM outbox WHERE environment_id = :env AND (:any = 1 OR "
                           "organization_id = :org) AND (tx > :atx OR (tx = :atx2 AND seq > "
                           ":aseq)) AND "
                        << visible << " ORDER BY tx, seq LIMIT :lim",
       soci::use(env), soci::use(any_org), soci::use(org), soci::use(atx), soci::use(atx),
       soci::use(aseq), soci::use(lim), soci::into(tx), soci::into(seq), soci::into(r.id),
       soci::into(r.environment_id), soci::into(r.organization_id), soci::into(r.type),
       soci::into(payload), soci::into(at));
  st.execute();
  while (st.fetch()) {
    OutboxEvent e = r;
    e.tx = tx;
    e.seq = seq;
    e.occurred_at_ms = at;
    e.payload = nlohmann::json::parse(payload, nullptr, false);
    if (e.payload.is_discarded()) e.payload = nlohmann::json::object();
    out.push_back(std::move(e));
  }
  return out;
}

Result<OutboxCursor> SqlOutboxRepository::consumer_position(std::string_view consumer, bool lock) {
  std::string name(consumer);
  long long tx = 0, seq = 0;
  long long now = ctx_.clock.now_ms();
  if (lock) {
    // The row must exist to be locked; on SQLite the write transaction is the lock.
    ctx_.sql << "INSERT INTO outbox_consumers (name, tx, seq, updated_at) VALUES (:n, 0, 0, :at) "
                "ON CONFLICT (name) DO NOTHING",
        soci::use(name), soci::use(now);
  }
  soci::indicator ind = soci::i_ok;
  const char* suffix = lock && ctx_.backend == Backend::postgres ? " FOR UPDATE" : "";
  ctx_.sql << "SELECT tx, seq FROM outbox_consumers WHERE name = :n" << suffix, soci::use(name),
      soci::into(tx, ind), soci::into(seq);
  if (!ctx_.sql.got_data()) return OutboxCursor{};
  return OutboxCursor{tx, seq};
}

Result<bool> SqlOutboxRepository::save_consumer_position(std::string_view consumer,
                                                         const OutboxCursor& position) {
  std::string name(consumer);
  long long tx = position.tx, seq = position.seq, now = ctx_.clock.now_ms();
  ctx_.sql << "INSERT INTO outbox_consumers (name, tx, seq, updated_at) VALUES (:n, :tx, :seq, "
              ":at) ON CONFLICT (name) DO UPDATE SET tx = excluded.tx, seq = excluded.seq, "
              "updated_at = excluded.updated_at",
      soci::use(name), soci::use(tx), soci::use(seq), soci::use(now);
  return true;
}

}  // namespace gh::store
