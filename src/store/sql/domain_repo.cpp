#include "store/sql/domain_repo.h"

#include <algorithm>

#include "core/ids.h"
#include "tenancy/error_codes.h"

namespace gh::store {

namespace {

std::string domain_columns(const std::string& p) {
  return p + "id, " + p + "environment_id, " + p + "organization_id, " + p + "name, " + p +
         "token, " + p + "state, " + p + "last_error, " + p + "created_at, " + p + "updated_at, " +
         p + "verified_at, " + p + "checked_at, " + p + "next_check_at";
}

struct DomainRow {
  std::string id, environment_id, organization_id, name, token, state, last_error;
  long long created_at = 0, updated_at = 0, verified_at = 0, checked_at = 0, next_check_at = 0;
  Domain to_domain() const {
    return {id,         environment_id, organization_id, name,        token,      state,
            last_error, created_at,     updated_at,      verified_at, checked_at, next_check_at};
  }
};

// Every column of domain_columns(), in order.
#define GH_DOMAIN_INTO(r)                                                                     \
  soci::into(r.id), soci::into(r.environment_id), soci::into(r.organization_id),              \
      soci::into(r.name), soci::into(r.token), soci::into(r.state), soci::into(r.last_error), \
      soci::into(r.created_at), soci::into(r.updated_at), soci::into(r.verified_at),          \
      soci::into(r.checked_at), soci::into(r.next_check_at)

Error not_found(std::string_view name) {
  return Error(errc::DomainNotFound, "No domain '" + std::string(name) + "' on this organization");
}

Error claimed(std::string_view name) {
  return Error(errc::DomainAlreadyClaimed,
               "'" + std::string(name) +
                   "' is verified by another organization in this environment; it must be "
                   "removed there (or stop verifying) before this organization can claim it");
}

}  // namespace

std::string SqlDomainRepository::claim_holder(const std::string& environment_id,
                                              const std::string& name) {
  std::string holder;
  soci::indicator ind = soci::i_null;
  ctx_.sql << "SELECT organization_id FROM domain_claims WHERE environment_id = :env AND name = "
              ":name",
      soci::use(environment_id), soci::use(name), soci::into(holder, ind);
  return ctx_.sql.got_data() && ind == soci::i_ok ? holder : std::string();
}

Result<Domain> SqlDomainRepository::create(const Domain& in) {
  Domain d = in;
  const std::string holder = claim_holder(d.environment_id, d.name);
  if (!holder.empty() && holder != d.organization_id) return fail(claimed(d.name));
  if (d.id.empty()) d.id = new_uuid_v7(ctx_.clock);
  d.created_at_ms = d.updated_at_ms = ctx_.clock.now_ms();
  long long created = d.created_at_ms, zero = 0, next = d.next_check_at_ms;
  int inserted = 0;
  ctx_.sql << "INSERT INTO domains (" << domain_columns("")
           << ") VALUES (:id, :env, :org, :name, :token, :state, :err, :c, :u, :v, :chk, :next) "
              "ON CONFLICT (organization_id, name) DO NOTHING RETURNING 1",
      soci::use(d.id), soci::use(d.environment_id), soci::use(d.organization_id), soci::use(d.name),
      soci::use(d.token), soci::use(d.state), soci::use(d.last_error), soci::use(created),
      soci::use(created), soci::use(zero), soci::use(zero), soci::use(next), soci::into(inserted);
  if (!ctx_.sql.got_data()) {
    return fail(errc::DomainAlreadyAdded,
                "This organization already has the domain '" + d.name + "'");
  }
  return d;
}

Result<Domain> SqlDomainRepository::get(std::string_view environment_id,
                                        std::string_view organization_id, std::string_view name) {
  DomainRow r;
  std::string env(environment_id), org(organization_id), n(name);
  soci::statement st = (ctx_.sql.prepare << "SELECT " << domain_columns("")
                                         << " FROM domains WHERE organization_id = :org AND "
                                            "name = :name AND environment_id = :env",
                        soci::use(org), soci::use(n), soci::use(env), GH_DOMAIN_INTO(r));
  st.execute(true);
  if (!st.got_data()) return fail(not_found(name));
  return r.to_domain();
}

Result<std::vector<Domain>> SqlDomainRepository::list(std::string_view environment_id,
                                                      std::string_view organization_id) {
  std::vector<Domain> out;
  DomainRow r;
  std::string env(environment_id), org(organization_id);
  soci::statement st = (ctx_.sql.prepare << "SELECT " << domain_columns("")
                                         << " FROM domains WHERE organization_id = :org AND "
                                            "environment_id = :env ORDER BY name",
                        soci::use(org), soci::use(env), GH_DOMAIN_INTO(r));
  st.execute();
  while (st.fetch()) out.push_back(r.to_domain());
  return out;
}

Result<Domain> SqlDomainRepository::remove(std::string_view environment_id,
                                           std::string_view organization_id,
                                           std::string_view name) {
  auto current = get(environment_id, organization_id, name);
  if (!current) return current;
  ctx_.sql << "DELETE FROM domains WHERE organization_id = :org AND name = :name",
      soci::use(current->organization_id), soci::use(current->name);
  ctx_.sql << "DELETE FROM domain_claims WHERE environment_id = :env AND name = :name AND "
              "organization_id = :org",
      soci::use(current->environment_id), soci::use(current->name),
      soci::use(current->organization_id);
  return current;
}

Result<Domain> SqlDomainRepository::mark_verified(std::string_view environment_id,
                                                  std::string_view organization_id,
                                                  std::string_view name, int64_t now_ms,
                                                  int64_t next_check_at_ms) {
  auto current = get(environment_id, organization_id, name);
  if (!current) return current;
  long long now = now_ms, next = next_check_at_ms;
  // The reference table's primary key makes the race between two organizations verifying the
  // same name at once end with exactly one holder.
  ctx_.sql << "INSERT INTO domain_claims (environment_id, name, organization_id, claimed_at) "
              "VALUES (:env, :name, :org, :now) ON CONFLICT (environment_id, name) DO NOTHING",
      soci::use(current->environment_id), soci::use(current->name),
      soci::use(current->organization_id), soci::use(now);
  if (claim_holder(current->environment_id, current->name) != current->organization_id) {
    return fail(claimed(name));
  }
  ctx_.sql << "UPDATE domains SET state = 'verified', last_error = '', verified_at = :now, "
              "checked_at = :now2, next_check_at = :next, updated_at = :now3 WHERE "
              "organization_id = :org AND name = :name",
      soci::use(now), soci::use(now), soci::use(next), soci::use(now),
      soci::use(current->organization_id), soci::use(current->name);
  return get(environment_id, organization_id, name);
}

Result<Domain> SqlDomainRepository::mark_checked(std::string_view environment_id,
                                                 std::string_view organization_id,
                                                 std::string_view name, std::string_view state,
                                                 std::string_view error, int64_t now_ms,
                                                 int64_t next_check_at_ms) {
  auto current = get(environment_id, organization_id, name);
  if (!current) return current;
  long long now = now_ms, next = next_check_at_ms;
  std::string s(state), e(error);
  ctx_.sql << "UPDATE domains SET state = :state, last_error = :err, checked_at = :now, "
              "next_check_at = :next, updated_at = :now2 WHERE organization_id = :org AND "
              "name = :name",
      soci::use(s), soci::use(e), soci::use(now), soci::use(next), soci::use(now),
      soci::use(current->organization_id), soci::use(current->name);
  if (s != "verified") {
    ctx_.sql << "DELETE FROM domain_claims WHERE environment_id = :env AND name = :name AND "
                "organization_id = :org",
        soci::use(current->environment_id), soci::use(current->name),
        soci::use(current->organization_id);
  }
  return get(environment_id, organization_id, name);
}

Result<std::vector<Domain>> SqlDomainRepository::take_due(int64_t now_ms, int64_t next_check_at_ms,
                                                          int limit) {
  std::vector<Domain> due;
  {
    DomainRow r;
    long long now = now_ms;
    int lim = std::clamp(limit, 1, 1000);
    soci::statement st = (ctx_.sql.prepare << "SELECT " << domain_columns("")
                                           << " FROM domains WHERE next_check_at <= :now ORDER "
                                              "BY next_check_at LIMIT :lim",
                          soci::use(now), soci::use(lim), GH_DOMAIN_INTO(r));
    st.execute();
    while (st.fetch()) due.push_back(r.to_domain());
  }
  std::vector<Domain> taken;
  for (auto& d : due) {
    long long now = now_ms, next = next_check_at_ms;
    int hit = 0;
    // Only the node whose UPDATE still sees the row due takes it.
    ctx_.sql << "UPDATE domains SET next_check_at = :next WHERE organization_id = :org AND "
                "name = :name AND next_check_at <= :now RETURNING 1",
        soci::use(next), soci::use(d.organization_id), soci::use(d.name), soci::use(now),
        soci::into(hit);
    if (ctx_.sql.got_data()) {
      d.next_check_at_ms = next_check_at_ms;
      taken.push_back(std::move(d));
    }
  }
  return taken;
}

Result<std::optional<Domain>> SqlDomainRepository::find_verified(std::string_view environment_id,
                                                                 std::string_view name) {
  DomainRow r;
  std::string env(environment_id), n(name);
  soci::statement st =
      (ctx_.sql.prepare << "SELECT " << domain_columns("d.")
                        << " FROM domain_claims c JOIN domains d ON d.organization_id = "
                           "c.organization_id AND d.name = c.name WHERE c.environment_id = :env "
                           "AND c.name = :name AND d.state = 'verified'",
       soci::use(env), soci::use(n), GH_DOMAIN_INTO(r));
  st.execute(true);
  if (!st.got_data()) return std::optional<Domain>{};
  return std::optional<Domain>{r.to_domain()};
}

}  // namespace gh::store
