// Values checked against their definitions. Pure: the SCIM endpoint turns a violation into
// 400 invalidValue (and applies nothing); a SAML or OIDC login drops the value, records it on
// the login's trace and continues, unless the attribute is required for that connection.
#pragma once

#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>

#include "catalog/attribute.h"

namespace gh::catalog {

// Which rule a value broke. `attribute` names the attribute (and sub-attribute: address.country).
struct ValueViolation {
  std::string attribute;
  std::string rule;  // type | multi_valued | allowed_values | pattern | required | sub_attribute
                     // | unknown_attribute
  std::string message;
};

// Checks one attribute's value (JSON as SCIM and OIDC carry it; SAML values arrive as strings
// and are converted by the connection first). null is "no value": fine unless required.
std::optional<ValueViolation> check_value(const AttributeDefinition& def,
                                          const nlohmann::json& value);

// catalog.invalid_value with `attribute` and `rule` in the problem.
Error to_error(const ValueViolation& v);

// Strings: RFC 3339 date-time (SCIM dateTime is xsd:dateTime, the same shape with a zone).
bool is_datetime(std::string_view s);

// What a login does with one incoming attribute value.
enum class LoginValueOutcome {
  keep,  // valid: released to the user's profile
  drop,  // invalid or unknown: dropped and recorded on the login's trace; the login goes on
  fail,  // invalid and required for this connection: the login fails
};
struct LoginValueDecision {
  LoginValueOutcome outcome = LoginValueOutcome::keep;
  std::optional<ValueViolation> violation;  // for the trace (drop) or the error (fail)
};
LoginValueDecision decide_login_value(const Catalog& effective, std::string_view attribute,
                                      const nlohmann::json& value, bool required_for_connection);

}  // namespace gh::catalog
