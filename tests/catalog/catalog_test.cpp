// The catalog's pure core: definitions read at the edge, value rules (which rule failed), the
// login-side decision, mapping validation, diffs, claims_supported, the Cedar schema (parsed by
// our own engine) and the public page.
#include <gtest/gtest.h>

#include "authz/cedar/schema.h"
#include "catalog/cedar_schema.h"
#include "catalog/claims.h"
#include "catalog/default_catalog.h"
#include "catalog/diff.h"
#include "catalog/error_codes.h"
#include "catalog/mapping.h"
#include "catalog/public_catalog.h"
#include "catalog/value_check.h"

namespace gh::catalog {
namespace {

using nlohmann::json;

AttributeDefinition parse_ok(const json& j) {
  auto a = parse_attribute(j);
  EXPECT_TRUE(a) << (a ? "" : a.error().text());
  return a ? *a : AttributeDefinition{};
}

Error parse_error(const json& j) {
  auto a = parse_attribute(j);
  EXPECT_FALSE(a) << j.dump();
  return a ? Error() : a.error();
}

TEST(AttributeDefinition, RoundTripsThroughJson) {
  for (const auto& a : default_catalog().attributes) {
    auto back = parse_attribute(attribute_json(a));
    ASSERT_TRUE(back) << a.name << ": " << back.error().text();
    EXPECT_EQ(*back, a) << a.name;
  }
}

TEST(AttributeDefinition, DefaultCatalogIsConsistent) {
  const auto& c = default_catalog();
  EXPECT_TRUE(check_catalog(c));
  for (const char* name : {"email", "given_name", "family_name", "display_name", "groups",
                           "department", "employee_number", "manager", "cost_center", "title",
                           "phone_number", "locale", "username"}) {
    EXPECT_NE(c.find(name), nullptr) << name;
  }
  // Every vendor's SAML name for email, with its NameFormat.
  const auto* email = c.find("email");
  std::set<std::string> vendors;
  for (const auto& s : email->sources.saml) vendors.insert(s.vendor);
  EXPECT_EQ(vendors, (std::set<std::string>{"okta", "entra_id", "google", "adfs", "ping"}));
  for (const auto& s : email->sources.saml) {
    if (s.vendor == "entra_id") {
      EXPECT_EQ(s.name, "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/emailaddress");
    }
    if (s.vendor == "adfs") {
      EXPECT_EQ(s.name_format, "urn:oasis:names:tc:SAML:2.0:attrname-format:uri");
    }
  }
  EXPECT_EQ(c.find("employee_number")->sources.scim.front(),
            "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:employeeNumber");
}

TEST(AttributeDefinition, RefusesBadDefinitionsNamingTheField) {
  struct Case {
    json def;
    std::string field;
    ErrorCode code = errc::CatalogInvalidAttribute;
  };
  const std::vector<Case> cases = {
      {{{"name", "Bad-Name"}}, "name"},
      {{{"display_name", "x"}}, "name"},
      {{{"name", "a"}, {"type", "float"}}, "type"},
      {{{"name", "a"}, {"sensitivity", "secret"}}, "sensitivity"},
      {{{"name", "a"}, {"purposes", {"marketing"}}}, "purposes"},
      {{{"name", "a"}, {"type", "complex"}}, "sub_attributes"},
      {{{"name", "a"}, {"sub_attributes", {{{"name", "x"}}}}}, "sub_attributes"},
      {{{"name", "a"}, {"type", "integer"}, {"pattern", "[0-9]+"}}, "pattern"},
      {{{"name", "a"}, {"pattern", "(a"}}, "pattern", errc::CatalogInvalidPattern},
      {{{"name", "a"}, {"pattern", "(a)\\1"}}, "pattern", errc::CatalogInvalidPattern},
      {{{"name", "a"}, {"replaced_by", "b"}}, "replaced_by"},
      {{{"name", "a"}, {"colour", "red"}}, "colour"},
      {{{"name", "a"}, {"sources", {{"saml", {{{"vendor", "onelogin"}, {"name", "x"}}}}}}},
       "sources.saml[0].vendor"},
      {{{"name", "a"},
        {"sources", {{"saml", {{{"vendor", "okta"}, {"name", "x"}, {"name_format", "x"}}}}}}},
       "sources.saml[0].name_format"},
      {{{"name", "a"}, {"multi_valued", "yes"}}, "multi_valued"},
  };
  for (const auto& c : cases) {
    auto e = parse_error(c.def);
    EXPECT_EQ(e.code, c.code) << c.def.dump();
    EXPECT_EQ(e.extra.value("field", ""), c.field) << c.def.dump();
  }
}

TEST(ValueCheck, NamesTheRuleThatFailed) {
  auto dept = parse_ok({{"name", "department"}, {"allowed_values", {"Sales", "R&D"}}});
  EXPECT_FALSE(check_value(dept, "sales"));  // case-insensitive by default
  EXPECT_EQ(check_value(dept, "Legal")->rule, "allowed_values");
  EXPECT_EQ(check_value(dept, 3)->rule, "type");
  EXPECT_EQ(check_value(dept, json::array({"Sales"}))->rule, "multi_valued");
  EXPECT_FALSE(check_value(dept, nullptr));

  dept.case_exact = true;
  EXPECT_EQ(check_value(dept, "sales")->rule, "allowed_values");

  auto badge = parse_ok({{"name", "badge"}, {"pattern", "B-[0-9]{4}"}, {"required", true}});
  EXPECT_FALSE(check_value(badge, "B-1234"));
  EXPECT_EQ(check_value(badge, "B-12345")->rule, "pattern");  // whole-value match
  EXPECT_EQ(check_value(badge, nullptr)->rule, "required");

  auto start = parse_ok({{"name", "start"}, {"type", "datetime"}});
  EXPECT_FALSE(check_value(start, "2024-05-01T12:00:00Z"));
  EXPECT_FALSE(check_value(start, "2024-05-01T12:00:00.123+02:00"));
  EXPECT_EQ(check_value(start, "2024-05-01")->rule, "type");

  auto level = parse_ok({{"name", "level"}, {"type", "integer"}, {"multi_valued", true}});
  EXPECT_FALSE(check_value(level, json::array({1, 2})));
  EXPECT_EQ(check_value(level, json::array({1, "2"}))->rule, "type");
  EXPECT_EQ(check_value(level, 1)->rule, "multi_valued");

  auto address = parse_ok({{"name", "address"},
                           {"type", "complex"},
                           {"sub_attributes",
                            {{{"name", "country"}, {"allowed_values", {"FR", "DE"}}},
                             {{"name", "locality"}, {"required", true}}}}});
  EXPECT_FALSE(check_value(address, {{"country", "FR"}, {"locality", "Paris"}}));
  auto bad = check_value(address, {{"country", "US"}, {"locality", "NYC"}});
  EXPECT_EQ(bad->rule, "allowed_values");
  EXPECT_EQ(bad->attribute, "address.country");
  EXPECT_EQ(check_value(address, {{"zip", "1"}, {"locality", "x"}})->rule, "sub_attribute");
  EXPECT_EQ(check_value(address, {{"country", "FR"}})->rule, "required");

  auto e = to_error(*bad);
  EXPECT_EQ(e.code, errc::CatalogInvalidValue);
  EXPECT_EQ(e.extra["rule"], "allowed_values");
  EXPECT_EQ(e.extra["attribute"], "address.country");
}

TEST(LoginDecision, DropsAndRecordsUnlessRequired) {
  Catalog c = default_catalog();
  auto d = decide_login_value(c, "email", "alice@example.com", false);
  EXPECT_EQ(d.outcome, LoginValueOutcome::keep);
  EXPECT_FALSE(d.violation);

  d = decide_login_value(c, "email", "not-an-email", false);
  EXPECT_EQ(d.outcome, LoginValueOutcome::drop);
  EXPECT_EQ(d.violation->rule, "pattern");

  d = decide_login_value(c, "email", "not-an-email", true);
  EXPECT_EQ(d.outcome, LoginValueOutcome::fail);

  d = decide_login_value(c, "shoe_size", "42", false);
  EXPECT_EQ(d.outcome, LoginValueOutcome::drop);
  EXPECT_EQ(d.violation->rule, "unknown_attribute");

  d = decide_login_value(c, "department", nullptr, true);
  EXPECT_EQ(d.outcome, LoginValueOutcome::fail);
  EXPECT_EQ(d.violation->rule, "required");
}

TEST(Mapping, RefusesAnUnknownAttributeWithItsOwnCode) {
  const Catalog& c = default_catalog();
  auto ok = validate_mapping(
      c, {{"http://schemas.xmlsoap.org/ws/2005/05/identity/claims/emailaddress", "email"},
          {"department", "department"}});
  ASSERT_TRUE(ok);
  EXPECT_TRUE(ok->warnings.empty());

  auto bad = validate_mapping(c, {{"email", "email"}, {"shoe", "shoe_size"}});
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().code, errc::CatalogUnknownAttribute);
  EXPECT_EQ(bad.error().code_name(), "catalog.unknown_attribute");
  EXPECT_EQ(bad.error().extra["index"], 1);
  EXPECT_EQ(bad.error().extra["attribute"], "shoe_size");

  auto twice = validate_mapping(c, {{"email", "email"}, {"email", "username"}});
  ASSERT_FALSE(twice);
  EXPECT_EQ(twice.error().code, errc::RequestInvalidField);

  // An organization's custom attribute is known to it under its namespace, and not to others.
  Catalog acme;
  acme.name_space = "acme";
  acme.attributes.push_back(parse_ok({{"name", "badge_id"}}));
  const Catalog seen = effective(c, &acme);
  EXPECT_TRUE(validate_mapping(seen, {{"badge", "org.acme.badge_id"}}));
  EXPECT_FALSE(validate_mapping(c, {{"badge", "org.acme.badge_id"}}));

  Catalog dep = c;
  for (auto& a : dep.attributes) {
    if (a.name == "formatted_name") {
      a.deprecated = true;
      a.replaced_by = "display_name";
    }
  }
  auto warned = validate_mapping(dep, {{"name", "formatted_name"}});
  ASSERT_TRUE(warned);
  ASSERT_EQ(warned->warnings.size(), 1u);
  EXPECT_NE(warned->warnings[0].find("display_name"), std::string::npos);
}

TEST(Diff, AddedChangedDeprecatedRemoved) {
  Catalog a = default_catalog();
  Catalog b = a;
  b.attributes.push_back(parse_ok({{"name", "badge"}}));
  for (auto& x : b.attributes) {
    if (x.name == "title") x.description = "Job title (HR)";
    if (x.name == "formatted_name") {
      x.deprecated = true;
      x.replaced_by = "display_name";
    }
  }
  b.attributes.erase(std::remove_if(b.attributes.begin(), b.attributes.end(),
                                    [](const auto& x) { return x.name == "nickname"; }),
                     b.attributes.end());
  auto d = diff_catalogs(a, b);
  ASSERT_EQ(d.size(), 4u) << d.dump(2);
  std::map<std::string, json> by_attr;
  for (const auto& c : d) by_attr[c["attribute"]] = c;
  EXPECT_EQ(by_attr["badge"]["op"], "added");
  EXPECT_EQ(by_attr["nickname"]["op"], "removed");
  EXPECT_EQ(by_attr["title"]["op"], "changed");
  EXPECT_EQ(by_attr["title"]["changes"]["description"]["to"], "Job title (HR)");
  EXPECT_EQ(by_attr["formatted_name"]["op"], "deprecated");
  EXPECT_EQ(by_attr["formatted_name"]["changes"]["replaced_by"]["to"], "display_name");
  EXPECT_TRUE(diff_catalogs(a, a).empty());
}

TEST(Claims, ProtocolClaimsThenReleasedAttributes) {
  auto claims = claims_supported(default_catalog());
  auto has = [&](const std::string& c) {
    return std::find(claims.begin(), claims.end(), c) != claims.end();
  };
  for (const char* c : {"sub", "iss", "email", "given_name", "family_name", "groups", "locale",
                        "preferred_username", "name"}) {
    EXPECT_TRUE(has(c)) << c;
  }
  EXPECT_FALSE(has("department"));  // not released as a claim by default
  EXPECT_EQ(std::set<std::string>(claims.begin(), claims.end()).size(), claims.size());
}

TEST(CedarSchema, ParsesWithOurEngineAndTypesEachAttribute) {
  Catalog acme;
  acme.name_space = "acme";
  acme.attributes.push_back(parse_ok({{"name", "badge_id"}}));
  acme.attributes.push_back(parse_ok({{"name", "clearance"}, {"type", "integer"}}));
  const Catalog seen = effective(default_catalog(), &acme);
  const json schema = cedar_schema(seen);
  auto parsed = cedar::parse_schema_json(schema.dump());
  ASSERT_TRUE(parsed) << parsed.error().describe() << "\n" << schema.dump(2);
  const auto* user = parsed->entity_type("Gatehouse::User");
  ASSERT_NE(user, nullptr);
  EXPECT_EQ(user->parent_types, std::vector<std::string>{"Gatehouse::Group"});
  using K = cedar::SchemaType::Kind;
  const auto& attrs = user->shape->attrs;
  EXPECT_EQ(attrs.at("email").type->kind, K::kString);
  EXPECT_FALSE(attrs.at("email").required);
  EXPECT_TRUE(attrs.at("username").required);
  EXPECT_EQ(attrs.at("email_verified").type->kind, K::kBool);
  EXPECT_EQ(attrs.at("employment_start").type->kind, K::kDatetime);
  EXPECT_EQ(attrs.at("manager").type->kind, K::kEntity);
  EXPECT_EQ(attrs.at("manager").type->entity_type, "Gatehouse::User");
  EXPECT_EQ(attrs.count("groups"), 0u);  // membership is the hierarchy, not an attribute
  const auto& custom = attrs.at("custom").type->attrs;
  EXPECT_EQ(custom.at("badge_id").type->kind, K::kString);
  EXPECT_EQ(custom.at("clearance").type->kind, K::kLong);
  // The environment's own schema has no custom record.
  auto plain = cedar::parse_schema_json(cedar_schema(default_catalog()).dump());
  ASSERT_TRUE(plain);
  EXPECT_EQ(plain->entity_type("Gatehouse::User")->shape->attrs.count("custom"), 0u);
}

TEST(PublicCatalog, HtmlIsEscapedAndHasNoScript) {
  Catalog c = default_catalog();
  c.attributes.push_back(
      parse_ok({{"name", "evil"}, {"description", "<script>alert('x')</script> & \"q\""}}));
  const json doc = public_catalog_json("sandbox", 3, 0, c);
  EXPECT_EQ(doc["version"], 3);
  EXPECT_EQ(doc["attributes"].size(), c.attributes.size());
  const std::string html = public_catalog_html(doc);
  EXPECT_EQ(html.find("<script"), std::string::npos);
  EXPECT_NE(html.find("&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; &amp; &quot;q&quot;"),
            std::string::npos);
  EXPECT_NE(html.find("Employee number"), std::string::npos);
}

}  // namespace
}  // namespace gh::catalog
