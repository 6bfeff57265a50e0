// SCIM schemas generated from the catalog (RFC 7643 §7) and User resources checked against
// them, with the bodies Entra ID and Okta really send (../shared/research/standards.md §2).
#include <gtest/gtest.h>

#include "catalog/default_catalog.h"
#include "catalog/scim_schema.h"

namespace gh::catalog {
namespace {

using nlohmann::json;

const json* attr(const json& list, const std::string& name) {
  for (const auto& a : list) {
    if (a["name"] == name) return &a;
  }
  return nullptr;
}

bool has_null(const json& j) {
  if (j.is_null()) return true;
  if (j.is_structured()) {
    for (const auto& v : j) {
      if (has_null(v)) return true;
    }
  }
  return false;
}

Catalog with_acme() {
  Catalog acme;
  acme.name_space = "acme";
  acme.attributes.push_back(*parse_attribute({{"name", "badge_id"}, {"pattern", "B-[0-9]{4}"}}));
  acme.attributes.push_back(*parse_attribute({{"name", "clearance"}, {"type", "integer"}}));
  return effective(default_catalog(), &acme);
}

TEST(ScimSchemas, CoreUserAndEnterpriseExtensionAsRfc7643Describes) {
  const json list = scim_schemas_list(default_catalog(), "https://id.example/scim/v2");
  EXPECT_EQ(list["schemas"][0], "urn:ietf:params:scim:api:messages:2.0:ListResponse");
  ASSERT_EQ(list["totalResults"], 2);
  EXPECT_TRUE(list["totalResults"].is_number_integer());
  EXPECT_FALSE(has_null(list)) << "Entra: null values are not sent";

  const json& core = list["Resources"][0];
  EXPECT_EQ(core["id"], "urn:ietf:params:scim:schemas:core:2.0:User");
  EXPECT_EQ(core["schemas"][0], "urn:ietf:params:scim:schemas:core:2.0:Schema");
  EXPECT_EQ(core["meta"]["location"],
            "https://id.example/scim/v2/Schemas/urn:ietf:params:scim:schemas:core:2.0:User");
  const json& attrs = core["attributes"];
  const json* user_name = attr(attrs, "userName");
  ASSERT_NE(user_name, nullptr);
  EXPECT_EQ((*user_name)["uniqueness"], "server");
  EXPECT_EQ((*user_name)["required"], true);
  EXPECT_EQ((*user_name)["caseExact"], false);
  EXPECT_EQ((*user_name)["mutability"], "readWrite");  // camelCase values (Entra)

  const json* name = attr(attrs, "name");
  ASSERT_NE(name, nullptr);
  EXPECT_EQ((*name)["type"], "complex");
  EXPECT_EQ((*name)["multiValued"], false);
  EXPECT_NE(attr((*name)["subAttributes"], "givenName"), nullptr);
  EXPECT_NE(attr((*name)["subAttributes"], "familyName"), nullptr);
  EXPECT_NE(attr((*name)["subAttributes"], "formatted"), nullptr);

  const json* emails = attr(attrs, "emails");
  ASSERT_NE(emails, nullptr);
  EXPECT_EQ((*emails)["multiValued"], true);
  const json* type = attr((*emails)["subAttributes"], "type");
  ASSERT_NE(type, nullptr);
  EXPECT_EQ((*type)["canonicalValues"], json::array({"work"}));
  EXPECT_NE(attr((*emails)["subAttributes"], "primary"), nullptr);

  const json* groups = attr(attrs, "groups");
  ASSERT_NE(groups, nullptr);
  EXPECT_EQ((*groups)["mutability"], "readOnly");
  EXPECT_EQ((*attr((*groups)["subAttributes"], "$ref"))["referenceTypes"], json::array({"Group"}));
  const json* password = attr(attrs, "password");
  ASSERT_NE(password, nullptr);
  EXPECT_EQ((*password)["mutability"], "writeOnly");
  EXPECT_EQ((*password)["returned"], "never");
  for (const char* n : {"displayName", "nickName", "title", "locale", "timezone", "active",
                        "phoneNumbers", "userType", "preferredLanguage", "roles"}) {
    EXPECT_NE(attr(attrs, n), nullptr) << n;
  }

  const json& ent = list["Resources"][1];
  EXPECT_EQ(ent["id"], "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User");
  for (const char* n :
       {"employeeNumber", "costCenter", "organization", "division", "department", "manager"}) {
    EXPECT_NE(attr(ent["attributes"], n), nullptr) << n;
  }
  const json* manager = attr(ent["attributes"], "manager");
  EXPECT_EQ((*manager)["type"], "complex");
  for (const char* n : {"value", "$ref", "displayName"}) {
    EXPECT_NE(attr((*manager)["subAttributes"], n), nullptr) << n;
  }
}

TEST(ScimSchemas, OrganizationCustomExtension) {
  const json list = scim_schemas_list(with_acme(), "");
  ASSERT_EQ(list["totalResults"], 3);
  const json& custom = list["Resources"][2];
  EXPECT_EQ(custom["id"], "urn:gatehouse:scim:schemas:extension:acme:2.0:User");
  EXPECT_NE(attr(custom["attributes"], "badge_id"), nullptr);
  EXPECT_EQ((*attr(custom["attributes"], "clearance"))["type"], "integer");
  // Another organization's (or the environment's) schemas have no trace of it.
  EXPECT_EQ(scim_schemas_list(default_catalog(), "").dump().find("acme"), std::string::npos);
}

// Entra ID E2 (the tutorial's Example 2: nulls, roles [], meta, and the malformed
// "...enterprise:2.0User" schema URN).
const json kEntraCreate = json::parse(R"({
  "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User",
              "urn:ietf:params:scim:schemas:extension:enterprise:2.0User"],
  "externalId": "0a21f0f2-8d2a-4f8e-bf98-7363c4aed4ef",
  "userName": "Test_User_ab6490ee-1e48-479e-a20b-2d77186b5dd1",
  "active": true,
  "emails": [{"primary": true, "type": "work", "value": "Test_User_fd0ea19b@testuser.com"}],
  "meta": {"resourceType": "User"},
  "name": {"formatted": "givenName familyName", "familyName": "familyName", "givenName": "givenName"},
  "roles": [],
  "addresses": null,
  "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User": {
    "employeeNumber": "42", "department": "Sales", "manager": null}
})");

// Okta O2 (password, groups [], locale, displayName).
const json kOktaCreate = json::parse(R"({
  "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
  "userName": "test.user@okta.local",
  "name": {"givenName": "Test", "familyName": "User"},
  "emails": [{"primary": true, "value": "test.user@okta.local", "type": "work"}],
  "displayName": "Test User", "locale": "en-US", "externalId": "00ujl29u0le5T6Aj10h7",
  "groups": [], "password": "1mz050nq", "active": true
})");

TEST(ScimCheck, AcceptsWhatEntraIdAndOktaSend) {
  for (const auto& body : {kEntraCreate, kOktaCreate}) {
    auto check = check_scim_user(default_catalog(), body);
    EXPECT_TRUE(check.ok()) << check.invalid.front().attribute << ": "
                            << check.invalid.front().message;
  }
  // Okta O4: PUT with the full object, id and groups included (groups are read-only: ignored).
  json put = kOktaCreate;
  put["id"] = "23a35c27-23d3-4c03-b4c5-6443c09e7173";
  put["groups"] = json::array({{{"value", "g1"}, {"display", "Eng"}}});
  put["emails"].push_back({{"value", "home@example.com"}, {"type", "home"}});
  auto check = check_scim_user(default_catalog(), put);
  EXPECT_TRUE(check.ok());
  EXPECT_NE(std::find(check.ignored.begin(), check.ignored.end(), "groups"), check.ignored.end());
  // The malformed enterprise URN is an unknown attribute: ignored, not an error.
  auto entra = check_scim_user(default_catalog(), kEntraCreate);
  EXPECT_NE(std::find(entra.ignored.begin(), entra.ignored.end(), "addresses"),
            entra.ignored.end());
}

TEST(ScimCheck, ValuesThatBreakTheCatalogAreInvalidValue) {
  struct Case {
    std::function<void(json&)> edit;
    std::string attribute;
    std::string rule;
  };
  const std::string ent = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User";
  const std::vector<Case> cases = {
      {[](json& b) { b["locale"] = "not a locale!"; }, "locale", "pattern"},
      {[](json& b) { b["emails"][0]["value"] = "nobody"; }, "emails.value", "pattern"},
      {[](json& b) { b["active"] = "yes"; }, "active", "type"},
      {[](json& b) { b.erase("userName"); }, "userName", "required"},
      {[](json& b) { b["userName"] = nullptr; }, "userName", "required"},
      {[](json& b) {
         b["emails"] = {{"value", "a@b.example"}};
       },
       "emails", "multi_valued"},
      {[](json& b) { b["displayName"] = json::array({"x"}); }, "displayName", "multi_valued"},
      {[&](json& b) {
         b[ent] = {{"employeeNumber", 42}};
       },
       ent + ":employeeNumber", "type"},
      {[](json& b) { b["name"] = "Test User"; }, "name", "type"},
  };
  for (const auto& c : cases) {
    json body = kOktaCreate;
    c.edit(body);
    auto check = check_scim_user(default_catalog(), body);
    ASSERT_FALSE(check.ok()) << body.dump();
    EXPECT_EQ(check.invalid.front().attribute, c.attribute) << body.dump();
    EXPECT_EQ(check.invalid.front().rule, c.rule) << body.dump();
  }
  // A home email is not the catalog's work email: only its SCIM type applies.
  json home = kOktaCreate;
  home["emails"].push_back({{"value", "not-an-email"}, {"type", "home"}});
  EXPECT_TRUE(check_scim_user(default_catalog(), home).ok());

  json bad = kOktaCreate;
  bad["locale"] = "???";
  auto check = check_scim_user(default_catalog(), bad);
  const json err = scim_invalid_value_error(check.invalid);
  EXPECT_EQ(err["schemas"][0], "urn:ietf:params:scim:api:messages:2.0:Error");
  EXPECT_EQ(err["status"], "400");  // a string (RFC 7644 §3.12)
  EXPECT_EQ(err["scimType"], "invalidValue");
  EXPECT_NE(err["detail"].get<std::string>().find("locale"), std::string::npos);
}

TEST(ScimCheck, CustomExtensionOfTheOrganizationOnly) {
  const std::string urn = "urn:gatehouse:scim:schemas:extension:acme:2.0:User";
  json body = kOktaCreate;
  body["schemas"].push_back(urn);
  body[urn] = {{"badge_id", "B-1234"}, {"clearance", 3}};
  EXPECT_TRUE(check_scim_user(with_acme(), body).ok());
  body[urn]["badge_id"] = "nope";
  auto check = check_scim_user(with_acme(), body);
  ASSERT_FALSE(check.ok());
  EXPECT_EQ(check.invalid.front().attribute, urn + ":badge_id");
  EXPECT_EQ(check.invalid.front().rule, "pattern");
  // For any other organization the extension does not exist: ignored, never validated.
  auto other = check_scim_user(default_catalog(), body);
  EXPECT_TRUE(other.ok());
  EXPECT_NE(std::find(other.ignored.begin(), other.ignored.end(), urn), other.ignored.end());
}

}  // namespace
}  // namespace gh::catalog
