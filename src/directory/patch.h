// SCIM PATCH (RFC 7644 §3.5.2) as real clients send it, as a pure function from (resource,
// request body) to the new resource or an error: nothing is applied unless every operation
// applies. Tolerated on top of the RFC:
// - `op` in any case (Entra's "Replace", "Add", "Remove");
// - booleans as strings ("False", "true") for `active` and `primary`;
// - path-less add/replace whose value keys are paths ("name.givenName", URN-qualified
//   extension attributes) or extension URNs with an object of their attributes;
// - Entra's member removal `{"op":"Remove","path":"members","value":[{"value":"id"}]}`, which
//   removes only the named members (never the whole list, as the RFC's reading would);
// - add/replace through a filter that matches nothing creates the element when the filter is
//   a conjunction of `eq` (emails[type eq "work"].value on a user with no work email yet).
// A value set primary makes every other element of that attribute non-primary.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <tl/expected.hpp>

#include "directory/filter.h"

namespace gh::directory {

inline constexpr std::string_view kPatchOpUrn = "urn:ietf:params:scim:api:messages:2.0:PatchOp";
inline constexpr size_t kMaxPatchOperations = 1000;

// An error in RFC 7644 §3.12's terms.
struct ScimError {
  int status = 400;
  std::string scim_type;  // invalidFilter, invalidPath, invalidValue, invalidSyntax, noTarget,
                          // mutability, uniqueness, tooMany, invalidVers; "" for none
  std::string detail;
};

template <class T>
using ScimResult = tl::expected<T, ScimError>;

inline tl::unexpected<ScimError> scim_fail(int status, std::string scim_type, std::string detail) {
  return tl::unexpected<ScimError>(ScimError{status, std::move(scim_type), std::move(detail)});
}

// Applies every operation of `body` (a PatchOp message) to a copy of `resource`.
ScimResult<nlohmann::json> apply_patch(const nlohmann::json& resource, const nlohmann::json& body,
                                       const CaseExact& case_exact);

// Booleans sent as strings become booleans (active; primary in multi-valued attributes); null
// values and empty arrays are dropped (RFC 7643 §2.5: unassigned); members' "$ref": null goes.
void normalize_resource(nlohmann::json& resource);

}  // namespace gh::directory
