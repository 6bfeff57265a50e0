// Verified domains: an organization claims a domain and proves control with a DNS TXT record
// `gatehouse-verification=<token>` at `_gatehouse-verification.<domain>` (a name of its own, so
// the apex's TXT set, crowded with SPF and others, stays untouched and the record can be
// delegated with a CNAME). A verified domain belongs to one organization per environment; it
// is re-checked on a schedule and one that stops verifying becomes `failed` and raises
// `domain.verification_failed`.
//
// States: pending (never verified; failed checks leave it pending with the error) → verified
// ⇄ failed. Only a definitive answer (the name or the record is absent) fails a verified
// domain; a resolver timeout or SERVFAIL is recorded but changes nothing.
#pragma once

#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/clock.h"
#include "core/random.h"
#include "store/store.h"
#include "tenancy/dns_resolver.h"
#include "tenancy/domain_name.h"  // normalize_domain
#include "tenancy/service.h"

namespace gh::tenancy {

constexpr std::string_view kVerificationLabel = "_gatehouse-verification";
constexpr std::string_view kVerificationPrefix = "gatehouse-verification=";

std::string verification_name(const store::Domain& d);   // _gatehouse-verification.<domain>
std::string verification_value(const store::Domain& d);  // gatehouse-verification=<token>

// What one DNS answer means for one domain.
struct CheckOutcome {
  enum class Kind { verified, not_verified, unavailable };
  Kind kind = Kind::unavailable;
  std::string message;  // for an IT admin: what was expected, what was found
  nlohmann::json found = nlohmann::json::array();
};
CheckOutcome evaluate_txt(const store::Domain& d, const TxtAnswer& answer);

nlohmann::json domain_json(const store::Domain& d);

class DomainService {
 public:
  DomainService(store::Store& store, TxtResolver& resolver, int64_t reverify_interval_ms,
                const Clock& clock = SystemClock::instance(),
                Random& random = SecureRandom::instance());

  Result<store::Domain> add(const store::Environment& env, const std::string& org_id,
                            std::string_view name, const Actor& actor);
  Result<store::Domain> get(const store::Environment& env, const std::string& org_id,
                            std::string_view name);
  Result<std::vector<store::Domain>> list(const store::Environment& env, const std::string& org_id);
  Result<store::Domain> remove(const store::Environment& env, const std::string& org_id,
                               std::string_view name, const Actor& actor);
  // Checks DNS now. The state change (and any event) is committed whatever the outcome; a
  // failed check then answers domain.verification_failed (or domain.dns_unavailable) with the
  // expected record and what was found.
  Result<store::Domain> verify(const store::Environment& env, const std::string& org_id,
                               std::string_view name, const Actor& actor);
  // Home-realm discovery: the verified domain (and so the organization) of an email address
  // or a domain name in the environment; nothing when no organization has verified it.
  Result<std::optional<store::Domain>> discover(const store::Environment& env,
                                                std::string_view email_or_domain);
  // Scheduled re-verification: checks up to `limit` domains whose time has come; returns how
  // many were checked.
  Result<int> reverify_due(int limit = 100);

  int64_t reverify_interval_ms() const { return interval_ms_; }

 private:
  // Applies one check's outcome in one transaction with its audit record and event.
  Result<store::Domain> apply(const store::Environment& env, const store::Domain& checked,
                              const CheckOutcome& outcome, const Actor& actor);
  void record(store::Repositories& repos, const store::Environment& env, const store::Domain& d,
              const Actor& actor, const std::string& action, const nlohmann::json& summary,
              bool outbox);

  store::Store& store_;
  TxtResolver& resolver_;
  int64_t interval_ms_;
  const Clock& clock_;
  Random& random_;
};

}  // namespace gh::tenancy
