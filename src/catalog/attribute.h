// The attribute catalog's vocabulary: one definition per attribute Gatehouse accepts or emits
// (its type, cardinality, the rules its values follow, what it may be used for, how sensitive
// it is) and where it comes from at each upstream IdP vendor and protocol. Plain structs read
// from JSON once at the edge (parse_attribute) and written back (attribute_json); the store
// keeps catalogs as that JSON.
#pragma once

#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"

namespace gh::catalog {

enum class DataType { string, boolean, integer, datetime, reference, complex };
enum class Sensitivity { personal, confidential, public_data };  // "public" on the wire

std::string_view to_string(DataType t);
std::string_view to_string(Sensitivity s);
std::optional<DataType> parse_data_type(std::string_view s);
std::optional<Sensitivity> parse_sensitivity(std::string_view s);

// The purposes an attribute may be used for (data minimisation: a consumer asks for a purpose).
// authentication, authorization, provisioning, personalization, analytics, audit, communication.
bool is_known_purpose(std::string_view purpose);

// A SAML attribute as one IdP vendor sends it.
struct SamlSource {
  std::string vendor;       // okta | entra_id | google | adfs | ping | generic
  std::string name;         // e.g. http://schemas.xmlsoap.org/ws/2005/05/identity/claims/...
  std::string name_format;  // urn:oasis:names:tc:SAML:2.0:attrname-format:uri | basic | unspecified

  bool operator==(const SamlSource&) const = default;
};

// Where an attribute's values come from: SAML attributes per vendor, OIDC claims, SCIM paths
// (the first SCIM path is where the attribute lives in the generated SCIM schemas).
struct SourceMappings {
  std::vector<SamlSource> saml;
  std::vector<std::string> oidc;
  std::vector<std::string> scim;

  bool operator==(const SourceMappings&) const = default;
};

// A field of a complex attribute (SCIM sub-attribute; a record field in Cedar).
struct SubAttribute {
  std::string name;  // camelCase as SCIM spells it: givenName, streetAddress
  std::string description;
  DataType type = DataType::string;  // not complex: SCIM allows one level only
  bool multi_valued = false;
  bool required = false;
  bool case_exact = false;
  std::vector<std::string> allowed_values;

  bool operator==(const SubAttribute&) const = default;
};

struct AttributeDefinition {
  std::string name;  // snake_case: email, given_name; org custom: org.<namespace>.<name>
  std::string display_name;
  std::string description;
  DataType type = DataType::string;
  bool multi_valued = false;
  std::vector<SubAttribute> sub_attributes;  // complex only
  std::vector<std::string> reference_types;  // reference only: User, Group, external
  std::vector<std::string> allowed_values;   // empty: any
  std::string pattern;                       // RE2, whole-value match; empty: any
  bool case_exact = false;
  std::vector<std::string> purposes;
  Sensitivity sensitivity = Sensitivity::personal;
  bool required = false;
  std::string claim;  // the OIDC claim Gatehouse releases it as; empty: not released
  SourceMappings sources;
  bool deprecated = false;
  std::string replaced_by;  // with deprecated: the attribute to use instead
  bool custom = false;      // an organization's custom attribute

  bool operator==(const AttributeDefinition&) const = default;
};

// A catalog: the environment's attributes, or an organization's custom ones (`name_space` set,
// attribute names unqualified in storage and qualified by effective()).
struct Catalog {
  std::vector<AttributeDefinition> attributes;
  std::string name_space;  // organizations only: fixed when their first custom attribute is added

  const AttributeDefinition* find(std::string_view name) const;
};

// Attribute names: 1-64 of [a-z0-9_], starting with a letter.
bool is_valid_attribute_name(std::string_view name);

// Reads a definition from the admin API's or CLI's JSON: catalog.invalid_attribute naming the
// `field`, catalog.invalid_pattern when RE2 refuses the pattern.
Result<AttributeDefinition> parse_attribute(const nlohmann::json& j);
nlohmann::json attribute_json(const AttributeDefinition& a);

Result<Catalog> parse_catalog(const nlohmann::json& j);
nlohmann::json catalog_json(const Catalog& c);

// Checks the catalog as a whole: unique names, replacements that exist.
Result<bool> check_catalog(const Catalog& c);

// The attributes an organization sees: the environment's, then its own custom ones named
// org.<namespace>.<name> (the SCIM path of a custom attribute is in the organization's
// extension schema unless it names one).
std::string qualified_custom_name(std::string_view name_space, std::string_view name);
std::string custom_extension_urn(std::string_view name_space);
Catalog effective(const Catalog& environment, const Catalog* organization);

}  // namespace gh::catalog
