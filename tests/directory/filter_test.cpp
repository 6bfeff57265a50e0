#include "directory/filter.h"

#include <gtest/gtest.h>

namespace gh::directory {
namespace {

Filter parse_ok(const std::string& text) {
  auto f = parse_filter(text);
  EXPECT_TRUE(f.filter) << text << ": " << f.error.detail;
  return f.filter ? *f.filter : Filter{};
}

// Every example of RFC 7644 §3.4.2.2 and what Entra and Okta send: parse → print → parse gives
// the same tree, and printing is stable.
TEST(ScimFilter, RoundTripsTheRfcExamplesAndIdpFilters) {
  const std::vector<std::string> filters = {
      R"(userName eq "bjensen")",
      R"(name.familyName co "O'Malley")",
      R"(userName sw "J")",
      R"(urn:ietf:params:scim:schemas:core:2.0:User:userName sw "J")",
      R"(title pr)",
      R"(meta.lastModified gt "2011-05-13T04:42:34Z")",
      R"(meta.lastModified ge "2011-05-13T04:42:34Z")",
      R"(meta.lastModified lt "2011-05-13T04:42:34Z")",
      R"(meta.lastModified le "2011-05-13T04:42:34Z")",
      R"(title pr and userType eq "Employee")",
      R"(title pr or userType eq "Intern")",
      R"(schemas eq "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User")",
      R"(userType eq "Employee" and (emails co "example.com" or emails.value co "example.org"))",
      R"(userType ne "Employee" and not (emails co "example.com" or emails.value co "example.org"))",
      R"(userType eq "Employee" and (emails.type eq "work"))",
      R"(userType eq "Employee" and emails[type eq "work" and value co "@example.com"])",
      R"(emails[type eq "work" and value co "@example.com"] or ims[type eq "xmpp" and value co "@foo.com"])",
      R"(emails[type eq "work"].value eq "alice@contoso.example")",
      R"(urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:employeeNumber eq "42")",
      R"(active eq true and x.y eq 1.5 and z eq null and w ne false)",
      R"(a eq "with \"quotes\" and \\ and unicode é")",
  };
  for (const auto& text : filters) {
    const Filter f = parse_ok(text);
    const std::string printed = print_filter(f);
    const Filter again = parse_ok(printed);
    EXPECT_EQ(again, f) << text << " printed as " << printed;
    EXPECT_EQ(print_filter(again), printed);
  }
}

TEST(ScimFilter, OperatorsAndKeywordsAreCaseInsensitiveAndPrecedenceIsNotAndOr) {
  const Filter f = parse_ok(R"(a EQ "1" Or b Eq "2" AND c pr)");
  ASSERT_EQ(f.kind, Filter::Kind::or_);
  EXPECT_EQ(f.kids[0].op, "eq");
  EXPECT_EQ(f.kids[1].kind, Filter::Kind::and_);
  EXPECT_EQ(print_filter(f), R"(a eq "1" or (b eq "2" and c pr))");
  const Filter g = parse_ok(R"((a eq "1" or b eq "2") and c pr)");
  EXPECT_EQ(g.kind, Filter::Kind::and_);
  EXPECT_EQ(g.kids[0].kind, Filter::Kind::or_);
}

TEST(ScimFilter, EntrasUnquotedValueIsAString) {
  const Filter f = parse_ok("externalId eq jyoung");
  EXPECT_EQ(f.value, "jyoung");
  EXPECT_EQ(print_filter(f), R"(externalId eq "jyoung")");
}

TEST(ScimFilter, RejectsMalformedFiltersWithInvalidFilter) {
  for (const std::string bad :
       {"", "userName", "userName xx \"a\"", "userName eq", "(userName eq \"a\"", "userName eq \"a",
        "emails[type eq \"work\"", "emails[type eq \"work\"]]", "1abc eq \"x\"", "a eq \"x\" and",
        "a.b.c eq \"x\"", "emails[value[x eq 1] pr]", "a eq \"x\" b eq \"y\""}) {
    auto f = parse_filter(bad);
    EXPECT_FALSE(f.filter) << bad;
    EXPECT_EQ(f.error.scim_type, "invalidFilter") << bad;
    EXPECT_FALSE(f.error.detail.empty());
  }
  std::string deep;
  for (int i = 0; i < 100; ++i) deep += "(";
  deep += "a pr";
  for (int i = 0; i < 100; ++i) deep += ")";
  EXPECT_FALSE(parse_filter(deep).filter);
  EXPECT_FALSE(parse_filter(std::string(5000, 'a')).filter);
}

const nlohmann::json kAlice = nlohmann::json::parse(R"({
  "id":"0193","externalId":"AbC","userName":"Alice@Contoso.example","active":true,
  "displayName":"Alice A","name":{"givenName":"Alice","familyName":"A"},
  "emails":[{"value":"alice@contoso.example","type":"work","primary":true},
            {"value":"alice@home.example","type":"home"}],
  "meta":{"lastModified":"2026-01-02T00:00:00Z"},
  "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User":{"employeeNumber":"42"}})");

bool eval(const std::string& text) { return matches(parse_ok(text), kAlice, default_case_exact); }

TEST(ScimFilter, EvaluatesWithCaseExactnessFromTheSchema) {
  EXPECT_TRUE(eval(R"(userName eq "alice@contoso.example")"));  // caseExact false
  EXPECT_TRUE(eval(R"(USERNAME eq "ALICE@CONTOSO.EXAMPLE")"));  // names are case-insensitive
  EXPECT_TRUE(eval(R"(externalId eq "AbC")"));
  EXPECT_FALSE(eval(R"(externalId eq "abc")"));  // caseExact true
  EXPECT_TRUE(eval(R"(emails.value eq "alice@home.example")"));
  EXPECT_TRUE(eval(R"(emails co "home")"));  // a complex multi-valued attribute means its value
  EXPECT_TRUE(eval(R"(emails[type eq "work" and value co "@contoso.example"])"));
  EXPECT_FALSE(eval(R"(emails[type eq "home" and value co "@contoso.example"])"));
  EXPECT_TRUE(eval(R"(emails[type eq "work"].value eq "alice@contoso.example")"));
  EXPECT_FALSE(eval(R"(emails[type eq "home"].value eq "alice@contoso.example")"));
  EXPECT_TRUE(eval(R"(name.givenName sw "al" and name.familyName ew "a")"));
  EXPECT_TRUE(eval(R"(meta.lastModified gt "2026-01-01T00:00:00Z")"));
  EXPECT_FALSE(eval(R"(meta.lastModified lt "2026-01-01T00:00:00Z")"));
  EXPECT_TRUE(eval(R"(active eq true)"));
  EXPECT_TRUE(eval(R"(not (active eq false))"));
  EXPECT_TRUE(eval(R"(title pr or displayName pr)"));
  EXPECT_FALSE(eval(R"(title pr)"));
  EXPECT_TRUE(eval(R"(userName ne "bob")"));
  EXPECT_TRUE(
      eval(R"(urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:employeeNumber eq "42")"));
  EXPECT_TRUE(eval(R"(urn:ietf:params:scim:schemas:core:2.0:User:userName sw "alice")"));
}

TEST(ScimPatchPath, ParsesAndRoundTripsPatchPaths) {
  for (const std::string text :
       {"members", "name.familyName", R"(members[value eq "2819c223"])",
        R"(emails[type eq "work"].value)",
        "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:employeeNumber",
        "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager.value"}) {
    auto p = parse_patch_path(text);
    ASSERT_TRUE(p.path) << text << ": " << p.error.detail;
    EXPECT_EQ(print_patch_path(*p.path), text);
    EXPECT_EQ(*parse_patch_path(print_patch_path(*p.path)).path, *p.path);
  }
  auto emp =
      *parse_patch_path("urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:employeeNumber")
           .path;
  EXPECT_EQ(emp.path.urn, "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User");
  EXPECT_EQ(emp.path.attr, "employeeNumber");
  for (const std::string bad : {"", "members[", "members[value eq \"x\"] x", "a b", "name..x"}) {
    auto p = parse_patch_path(bad);
    EXPECT_FALSE(p.path) << bad;
    EXPECT_EQ(p.error.scim_type, "invalidPath");
  }
}

}  // namespace
}  // namespace gh::directory
