// Domain names as Gatehouse accepts them (pure; no DNS, no store): used by verified domains,
// connections' domain lists and the authorization endpoint's domain_hint, and fuzzed through
// the authorization request parser (fuzz/oauth.cmake).
#pragma once

#include <string>
#include <string_view>

#include "core/result.h"

namespace gh::tenancy {

// Lowercase, no trailing dot, LDH labels of 1-63 characters, at most 253 in all, at least two
// labels, a non-numeric top-level label (so no IP addresses); internationalized names must be
// given in IDNA punycode (xn--...). domain.invalid naming what is wrong otherwise.
Result<std::string> normalize_domain(std::string_view input);

}  // namespace gh::tenancy
