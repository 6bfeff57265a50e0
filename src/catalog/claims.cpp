#include "catalog/claims.h"

#include <algorithm>

namespace gh::catalog {

std::vector<std::string> claims_supported(const Catalog& effective) {
  std::vector<std::string> out = {"sub",   "iss", "aud", "exp", "iat", "auth_time",
                                  "nonce", "acr", "amr", "azp", "sid", "org_id"};
  for (const auto& a : effective.attributes) {
    if (a.claim.empty()) continue;
    if (std::find(out.begin(), out.end(), a.claim) == out.end()) out.push_back(a.claim);
  }
  return out;
}

}  // namespace gh::catalog
