// OIDC discovery's claims_supported (OpenID Connect Discovery 1.0 §3): the protocol claims every
// ID token carries, then each catalog attribute's released claim.
#pragma once

#include <string>
#include <vector>

#include "catalog/attribute.h"

namespace gh::catalog {

std::vector<std::string> claims_supported(const Catalog& effective);

}  // namespace gh::catalog
