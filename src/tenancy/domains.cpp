#include "tenancy/domains.h"

#include <map>

#include "core/log.h"
#include "tenancy/error_codes.h"

namespace gh::tenancy {

std::string verification_name(const store::Domain& d) {
  return std::string(kVerificationLabel) + "." + d.name;
}

std::string verification_value(const store::Domain& d) {
  return std::string(kVerificationPrefix) + d.token;
}

CheckOutcome evaluate_txt(const store::Domain& d, const TxtAnswer& answer) {
  CheckOutcome out;
  const std::string name = verification_name(d);
  const std::string value = verification_value(d);
  const std::string publish =
      "publish a TXT record at " + name + " with the value \"" + value + "\"";
  switch (answer.status) {
    case TxtAnswer::Status::found:
      for (const auto& r : answer.records) {
        if (r == value) {
          out.kind = CheckOutcome::Kind::verified;
          return out;
        }
      }
      out.kind = CheckOutcome::Kind::not_verified;
      out.found = answer.records;
      out.message = "The TXT record(s) at " + name + " do not include \"" + value + "\" (found " +
                    nlohmann::json(answer.records).dump() + "); " + publish;
      return out;
    case TxtAnswer::Status::no_name:
      out.kind = CheckOutcome::Kind::not_verified;
      out.message = "The name " + name + " does not exist in DNS; " + publish;
      return out;
    case TxtAnswer::Status::no_data:
      out.kind = CheckOutcome::Kind::not_verified;
      out.message = "The name " + name + " has no TXT record; " + publish;
      return out;
    case TxtAnswer::Status::failure:
      out.kind = CheckOutcome::Kind::unavailable;
      out.message = "Could not look up " + name + ": " + answer.detail +
                    ". Nothing was changed; check again later";
      return out;
  }
  return out;
}

nlohmann::json domain_json(const store::Domain& d) {
  nlohmann::json j = {
      {"id", d.id},
      {"domain", d.name},
      {"organization_id", d.organization_id},
      {"state", d.state},
      {"verification",
       {{"type", "TXT"}, {"name", verification_name(d)}, {"value", verification_value(d)}}},
      {"created_at", format_rfc3339(d.created_at_ms)},
      {"next_check_at", format_rfc3339(d.next_check_at_ms)}};
  j["verified_at"] = d.verified_at_ms ? nlohmann::json(format_rfc3339(d.verified_at_ms)) : nullptr;
  j["last_checked_at"] =
      d.last_checked_at_ms ? nlohmann::json(format_rfc3339(d.last_checked_at_ms)) : nullptr;
  j["last_error"] = d.last_error.empty() ? nlohmann::json(nullptr) : nlohmann::json(d.last_error);
  return j;
}

DomainService::DomainService(store::Store& store, TxtResolver& resolver,
                             int64_t reverify_interval_ms, const Clock& clock, Random& random)
    : store_(store),
      resolver_(resolver),
      interval_ms_(reverify_interval_ms),
      clock_(clock),
      random_(random) {}

void DomainService::record(store::Repositories& repos, const store::Environment& env,
                           const store::Domain& d, const Actor& actor, const std::string& action,
                           const nlohmann::json& summary, bool outbox) {
  store::AuditRecord rec;
  rec.environment_id = env.id;
  rec.organization_id = d.organization_id;
  rec.actor_type = actor.type;
  rec.actor_id = actor.id;
  rec.action = action;
  rec.target_type = "domain";
  rec.target_id = d.name;
  rec.request_id = actor.request_id;
  rec.source_ip = actor.source_ip;
  rec.summary = summary;
  rec.occurred_at_ms = clock_.now_ms();
  (void)repos.audit().append(rec);
  if (outbox) {
    store::OutboxEvent ev;
    ev.environment_id = env.id;
    ev.organization_id = d.organization_id;
    ev.type = action;
    ev.payload = {{"domain", domain_json(d)}, {"environment", env.name}};
    if (!summary.empty()) ev.payload["change"] = summary;
    ev.occurred_at_ms = rec.occurred_at_ms;
    (void)repos.outbox().enqueue(ev);
  }
  repos.changed("domain", env.id + "/" + d.name);
}

Result<store::Domain> DomainService::add(const store::Environment& env, const std::string& org_id,
                                         std::string_view name, const Actor& actor) {
  auto normalized = normalize_domain(name);
  if (!normalized) return fail(normalized.error());
  store::Domain d;
  d.environment_id = env.id;
  d.organization_id = org_id;
  d.name = *normalized;
  d.token = random_.base64url(24);
  // The first scheduled check comes one interval after the claim; "verify" checks at once.
  d.next_check_at_ms = clock_.now_ms() + interval_ms_;
  return store_.transact<store::Domain>([&](store::Repositories& repos) -> Result<store::Domain> {
    if (auto org = repos.organizations().get(env.id, org_id); !org) return fail(org.error());
    auto created = repos.domains().create(d);
    if (!created) return created;
    record(repos, env, *created, actor, "domain.added", {{"domain", created->name}}, true);
    return created;
  });
}

Result<store::Domain> DomainService::get(const store::Environment& env, const std::string& org_id,
                                         std::string_view name) {
  auto normalized = normalize_domain(name);
  if (!normalized) return fail(normalized.error());
  return store_.read<store::Domain>(
      [&](store::Repositories& repos) { return repos.domains().get(env.id, org_id, *normalized); });
}

Result<std::vector<store::Domain>> DomainService::list(const store::Environment& env,
                                                       const std::string& org_id) {
  return store_.read<std::vector<store::Domain>>(
      [&](store::Repositories& repos) -> Result<std::vector<store::Domain>> {
        if (auto org = repos.organizations().get(env.id, org_id); !org) return fail(org.error());
        return repos.domains().list(env.id, org_id);
      });
}

Result<store::Domain> DomainService::remove(const store::Environment& env,
                                            const std::string& org_id, std::string_view name,
                                            const Actor& actor) {
  auto normalized = normalize_domain(name);
  if (!normalized) return fail(normalized.error());
  return store_.transact<store::Domain>([&](store::Repositories& repos) -> Result<store::Domain> {
    auto removed = repos.domains().remove(env.id, org_id, *normalized);
    if (!removed) return removed;
    record(repos, env, *removed, actor, "domain.removed", {{"domain", removed->name}}, true);
    return removed;
  });
}

Result<store::Domain> DomainService::apply(const store::Environment& env,
                                           const store::Domain& checked,
                                           const CheckOutcome& outcome, const Actor& actor) {
  return store_.transact<store::Domain>([&](store::Repositories& repos) -> Result<store::Domain> {
    auto current = repos.domains().get(env.id, checked.organization_id, checked.name);
    if (!current) return current;
    const int64_t now = clock_.now_ms();
    const int64_t next = now + interval_ms_;
    if (outcome.kind == CheckOutcome::Kind::verified) {
      auto verified =
          repos.domains().mark_verified(env.id, checked.organization_id, checked.name, now, next);
      if (!verified) return verified;
      if (current->state != "verified") {
        record(repos, env, *verified, actor, "domain.verified",
               {{"previous_state", current->state}}, true);
      }
      return verified;
    }
    std::string state = current->state;
    // Only a definitive answer takes verification away; pending stays pending until it first
    // verifies.
    if (outcome.kind == CheckOutcome::Kind::not_verified && state == "verified") state = "failed";
    auto updated = repos.domains().mark_checked(env.id, checked.organization_id, checked.name,
                                                state, outcome.message, now, next);
    if (!updated) return updated;
    if (current->state == "verified" && state == "failed") {
      record(repos, env, *updated, actor, "domain.verification_failed",
             {{"previous_state", "verified"}, {"reason", outcome.message}}, true);
    }
    return updated;
  });
}

Result<store::Domain> DomainService::verify(const store::Environment& env,
                                            const std::string& org_id, std::string_view name,
                                            const Actor& actor) {
  auto current = get(env, org_id, name);
  if (!current) return current;
  // The DNS query runs outside any transaction: it may take seconds.
  const TxtAnswer answer = resolver_.lookup_txt(verification_name(*current));
  const CheckOutcome outcome = evaluate_txt(*current, answer);
  auto applied = apply(env, *current, outcome, actor);
  if (!applied) return applied;
  if (outcome.kind == CheckOutcome::Kind::verified) return applied;
  Error e(outcome.kind == CheckOutcome::Kind::unavailable ? errc::DomainDnsUnavailable
                                                          : errc::DomainVerificationFailed,
          outcome.message);
  e.extra["domain"] = applied->name;
  e.extra["state"] = applied->state;
  e.extra["expected"] = {{"type", "TXT"},
                         {"name", verification_name(*applied)},
                         {"value", verification_value(*applied)}};
  e.extra["found"] = outcome.found;
  return fail(e);
}

Result<std::optional<store::Domain>> DomainService::discover(const store::Environment& env,
                                                             std::string_view email_or_domain) {
  const size_t at = email_or_domain.rfind('@');
  auto name = normalize_domain(at == std::string_view::npos ? email_or_domain
                                                            : email_or_domain.substr(at + 1));
  if (!name) return std::optional<store::Domain>{};
  return store_.read<std::optional<store::Domain>>(
      [&](store::Repositories& repos) { return repos.domains().find_verified(env.id, *name); });
}

Result<int> DomainService::reverify_due(int limit) {
  auto envs = store_.read<std::vector<store::Environment>>(
      [](store::Repositories& repos) { return repos.environments().list(); });
  if (!envs) return fail(envs.error());
  std::map<std::string, store::Environment> by_id;
  for (auto& e : *envs) by_id[e.id] = e;
  const int64_t now = clock_.now_ms();
  auto due = store_.transact<std::vector<store::Domain>>([&](store::Repositories& repos) {
    return repos.domains().take_due(now, now + interval_ms_, limit);
  });
  if (!due) return fail(due.error());
  const Actor actor{"system", "domain-reverification", "", ""};
  int checked = 0;
  for (const auto& d : *due) {
    auto env = by_id.find(d.environment_id);
    if (env == by_id.end()) continue;
    const CheckOutcome outcome = evaluate_txt(d, resolver_.lookup_txt(verification_name(d)));
    auto applied = apply(env->second, d, outcome, actor);
    if (!applied && applied.error().code != errc::DomainNotFound) {
      log::warn("domain re-verification failed",
                {{"domain", d.name}, {"error", std::string(applied.error().code_name())}});
    }
    ++checked;
  }
  return checked;
}

}  // namespace gh::tenancy
