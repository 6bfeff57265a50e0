#include "catalog/default_catalog.h"

namespace gh::catalog {

namespace {

constexpr const char* kUri = "urn:oasis:names:tc:SAML:2.0:attrname-format:uri";
constexpr const char* kBasic = "urn:oasis:names:tc:SAML:2.0:attrname-format:basic";
constexpr const char* kUnspecified = "urn:oasis:names:tc:SAML:2.0:attrname-format:unspecified";
// Entra ID and ADFS use the WS-Federation claim type URIs as SAML attribute names; Entra sends
// no NameFormat (unspecified), ADFS sends the uri format.
constexpr const char* kWsClaims = "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/";
constexpr const char* kEnterprise = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:";

struct Vendors {
  std::string okta, entra, google, adfs, ping;
};

// The usual SAML names: Okta and Google attribute statements as administrators configure them
// (basic / unspecified), Entra ID and ADFS claim URIs, PingFederate's LDAP-style names (basic).
std::vector<SamlSource> saml(const Vendors& v) {
  std::vector<SamlSource> out;
  if (!v.okta.empty()) out.push_back({"okta", v.okta, kBasic});
  if (!v.entra.empty()) out.push_back({"entra_id", v.entra, kUnspecified});
  if (!v.google.empty()) out.push_back({"google", v.google, kUnspecified});
  if (!v.adfs.empty()) out.push_back({"adfs", v.adfs, kUri});
  if (!v.ping.empty()) out.push_back({"ping", v.ping, kBasic});
  return out;
}

std::string ws(const char* claim) { return std::string(kWsClaims) + claim; }

AttributeDefinition attr(std::string name, std::string display, std::string description) {
  AttributeDefinition a;
  a.name = std::move(name);
  a.display_name = std::move(display);
  a.description = std::move(description);
  return a;
}

Catalog build() {
  Catalog c;
  auto& out = c.attributes;
  {
    auto a = attr("username", "Username",
                  "The user's sign-in name at their organization (SCIM userName); unique per "
                  "organization, compared case-insensitively.");
    a.required = true;
    a.purposes = {"authentication", "provisioning", "audit"};
    a.claim = "preferred_username";
    a.sources = {saml({"login", ws("name"), "", ws("upn"), "uid"}),
                 {"preferred_username", "upn"},
                 {"userName"}};
    out.push_back(a);
  }
  {
    auto a = attr("email", "Email address", "The user's primary work email address.");
    a.pattern = R"([^@\s]+@[^@\s]+\.[^@\s]+)";
    a.purposes = {"authentication", "provisioning", "communication", "audit"};
    a.claim = "email";
    a.sources = {saml({"email", ws("emailaddress"), "email", ws("emailaddress"), "mail"}),
                 {"email"},
                 {"emails[type eq \"work\"].value"}};
    out.push_back(a);
  }
  {
    auto a = attr("email_verified", "Email verified",
                  "Whether the upstream IdP vouches for the email address.");
    a.type = DataType::boolean;
    a.purposes = {"authentication"};
    a.sensitivity = Sensitivity::public_data;
    a.claim = "email_verified";
    a.sources = {{}, {"email_verified"}, {}};
    out.push_back(a);
  }
  {
    auto a = attr("given_name", "Given name", "First name.");
    a.purposes = {"personalization", "provisioning"};
    a.claim = "given_name";
    a.sources = {saml({"firstName", ws("givenname"), "firstName", ws("givenname"), "givenName"}),
                 {"given_name"},
                 {"name.givenName"}};
    out.push_back(a);
  }
  {
    auto a = attr("family_name", "Family name", "Last name.");
    a.purposes = {"personalization", "provisioning"};
    a.claim = "family_name";
    a.sources = {saml({"lastName", ws("surname"), "lastName", ws("surname"), "sn"}),
                 {"family_name"},
                 {"name.familyName"}};
    out.push_back(a);
  }
  {
    auto a = attr("formatted_name", "Full name", "The full name as the IdP formats it.");
    a.purposes = {"personalization"};
    a.claim = "name";
    a.sources = {{}, {"name"}, {"name.formatted"}};
    out.push_back(a);
  }
  {
    auto a = attr("display_name", "Display name", "The name to show for the user.");
    a.purposes = {"personalization", "provisioning"};
    a.sources = {saml({"displayName", "http://schemas.microsoft.com/identity/claims/displayname",
                       "displayName", ws("name"), "displayName"}),
                 {"name"},
                 {"displayName"}};
    out.push_back(a);
  }
  {
    auto a = attr("nickname", "Nickname", "A casual name.");
    a.purposes = {"personalization"};
    a.claim = "nickname";
    a.sources = {{}, {"nickname"}, {"nickName"}};
    out.push_back(a);
  }
  {
    auto a = attr("groups", "Groups",
                  "The groups the user belongs to: for role rules and authorization. Managed "
                  "through SCIM Groups, not on the user.");
    a.type = DataType::reference;
    a.reference_types = {"Group"};
    a.multi_valued = true;
    a.case_exact = true;
    a.purposes = {"authorization", "provisioning"};
    a.sensitivity = Sensitivity::confidential;
    a.claim = "groups";
    a.sources = {saml({"groups", "http://schemas.microsoft.com/ws/2008/06/identity/claims/groups",
                       "groups", ws("Group"), "memberOf"}),
                 {"groups"},
                 {"groups"}};
    out.push_back(a);
  }
  {
    auto a = attr("employee_number", "Employee number",
                  "The organization's identifier for the employee.");
    a.case_exact = true;
    a.purposes = {"provisioning", "audit"};
    a.sensitivity = Sensitivity::confidential;
    a.sources = {saml({"employeeNumber",
                       "http://schemas.microsoft.com/ws/2008/06/identity/claims/employeeid",
                       "employeeNumber", ws("employeeid"), "employeeNumber"}),
                 {"employee_number", "employeeid"},
                 {std::string(kEnterprise) + "employeeNumber"}};
    out.push_back(a);
  }
  for (auto [name, display, scim, okta, ping] :
       {std::tuple{"department", "Department", "department", "department", "departmentNumber"},
        std::tuple{"cost_center", "Cost center", "costCenter", "costCenter", "costCenter"},
        std::tuple{"organization", "Organization", "organization", "organization", "o"},
        std::tuple{"division", "Division", "division", "division", "division"}}) {
    auto a = attr(name, display, std::string("The user's ") + display + " (enterprise user).");
    a.purposes = {"authorization", "provisioning", "analytics"};
    a.sources = {
        saml({okta, ws(scim), okta, ws(scim), ping}), {name}, {std::string(kEnterprise) + scim}};
    out.push_back(a);
  }
  {
    auto a = attr("manager", "Manager", "The user's manager: another user's id.");
    a.type = DataType::reference;
    a.reference_types = {"User"};
    a.case_exact = true;
    a.purposes = {"authorization", "provisioning"};
    a.sources = {saml({"manager", ws("manager"), "manager", ws("manager"), "manager"}),
                 {"manager"},
                 {std::string(kEnterprise) + "manager"}};
    out.push_back(a);
  }
  {
    auto a = attr("title", "Job title", "The user's job title.");
    a.purposes = {"authorization", "personalization", "provisioning"};
    a.sources = {saml({"title", ws("title"), "title", ws("title"), "title"}),
                 {"title", "jobTitle"},
                 {"title"}};
    out.push_back(a);
  }
  {
    auto a = attr("phone_number", "Phone number", "Work phone number, E.164 preferred.");
    a.pattern = R"(\+?[0-9 ()./-]{3,32})";
    a.purposes = {"communication"};
    a.claim = "phone_number";
    a.sources = {
        saml({"mobilePhone", ws("mobilephone"), "phone", ws("otherphone"), "telephoneNumber"}),
        {"phone_number"},
        {"phoneNumbers[type eq \"work\"].value"}};
    out.push_back(a);
  }
  {
    auto a = attr("locale", "Locale", "Language and region, BCP 47 (en-US).");
    a.pattern = R"([A-Za-z]{2,3}([-_][A-Za-z0-9]{2,8})*)";
    a.purposes = {"personalization"};
    a.sensitivity = Sensitivity::public_data;
    a.claim = "locale";
    a.sources = {saml({"locale", "", "locale", "", "preferredLanguage"}), {"locale"}, {"locale"}};
    out.push_back(a);
  }
  {
    auto a = attr("preferred_language", "Preferred language", "RFC 7231 language tag.");
    a.purposes = {"personalization"};
    a.sensitivity = Sensitivity::public_data;
    a.sources = {{}, {}, {"preferredLanguage"}};
    out.push_back(a);
  }
  {
    auto a = attr("timezone", "Time zone", "IANA time zone (Europe/Paris).");
    a.purposes = {"personalization"};
    a.sensitivity = Sensitivity::public_data;
    a.claim = "zoneinfo";
    a.sources = {saml({"timezone", "", "", "", ""}), {"zoneinfo"}, {"timezone"}};
    out.push_back(a);
  }
  {
    auto a = attr("user_type", "User type", "Employee, contractor, intern, ...");
    a.purposes = {"authorization", "provisioning"};
    a.sources = {saml({"userType", "", "", "", "employeeType"}), {}, {"userType"}};
    out.push_back(a);
  }
  {
    auto a = attr("employment_start", "Employment start", "When the employment started.");
    a.type = DataType::datetime;
    a.purposes = {"provisioning"};
    a.sensitivity = Sensitivity::confidential;
    a.sources = {{}, {}, {}};
    out.push_back(a);
  }
  return c;
}

}  // namespace

const Catalog& default_catalog() {
  static const Catalog c = build();
  return c;
}

}  // namespace gh::catalog
