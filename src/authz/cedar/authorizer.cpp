#include "authz/cedar/authorizer.h"

namespace gh::cedar {

Response is_authorized(const PolicySet& policies, const Entities& entities,
                       const Request& request) {
  Response r;
  std::vector<const Policy*> permits;
  std::vector<const Policy*> forbids;
  const RequestEntities resolved = RequestEntities::resolve(request, entities);
  for (const auto& p : policies.policies) {
    auto s = satisfied(p, request, entities, &resolved);
    if (!s) {
      r.errors.push_back({p.id, s.error().message, s.error().code});
      continue;
    }
    if (*s) (p.effect == Effect::kForbid ? forbids : permits).push_back(&p);
  }
  const auto& determining = forbids.empty() ? permits : forbids;
  r.decision = forbids.empty() && !permits.empty() ? Decision::kAllow : Decision::kDeny;
  r.reasons.reserve(determining.size());
  for (const Policy* p : determining) r.reasons.push_back(p->id);
  return r;
}

}  // namespace gh::cedar
