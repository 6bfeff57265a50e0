// Unit tests of the Cedar engine: parser errors, every operator's edge cases, the authorizer's
// combination rules, entity loading (typed by a schema, cycles, bounds) and the command.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "authz/cedar/authorizer.h"
#include "authz/cedar/cli.h"
#include "authz/cedar/json_value.h"
#include "authz/cedar/parser.h"

namespace gh::cedar {
namespace {

using nlohmann::json;

// --- helpers ----------------------------------------------------------------------------------

const char* kEntities = R"([
  {"uid": {"type": "User", "id": "alice"}, "parents": [{"type": "Group", "id": "eng"}],
   "attrs": {"age": 30, "name": "Alice", "rec": {"a": {"b": 1}}, "team": {"__entity": {"type": "Group", "id": "eng"}},
             "ip": {"__extn": {"fn": "ip", "arg": "10.1.2.3"}}},
   "tags": {"level": "gold"}},
  {"uid": {"type": "Group", "id": "eng"}, "parents": [{"type": "Group", "id": "all"}], "attrs": {}},
  {"uid": {"type": "Group", "id": "all"}, "parents": [], "attrs": {}},
  {"uid": {"type": "Action", "id": "read"}, "parents": [{"type": "Action", "id": "any"}], "attrs": {}}
])";

struct Fixture {
  Entities entities;
  Request request;
  Fixture() {
    auto loaded = Entities::from_json_text(kEntities, nullptr);
    if (loaded.ok()) entities = std::move(*loaded);
    request = Request::make({"User", "alice"}, {"Action", "read"}, {"Doc", "d1"},
                            *value_from_json(json::parse(R"({"n": 5, "s": "hi"})"), nullptr));
  }
};

// Evaluates an expression; "error" when evaluation fails, else the value in Cedar JSON.
std::string eval(const std::string& text) {
  static const Fixture f;
  auto e = parse_expression(text);
  if (!e) return "parse error: " + e.error().describe();
  auto v = evaluate(**e, f.request, f.entities);
  if (!v) return "error";
  return value_to_json(*v).dump();
}

// --- parser -----------------------------------------------------------------------------------

TEST(CedarParser, PolicyIdsArePositionalUnlessAnnotated) {
  auto set = parse_policies(
      "permit(principal, action, resource);\n"
      "@id(\"named\") @other forbid(principal == User::\"a\", action in [Action::\"r\"], resource "
      "is Doc in Folder::\"f\");\n"
      "permit(principal is User, action == Action::\"r\", resource in Folder::\"x\") when { true } "
      "unless { false };");
  ASSERT_TRUE(set.ok()) << set.error().describe();
  ASSERT_EQ(set->policies.size(), 3u);
  EXPECT_EQ(set->policies[0].id, "policy0");
  EXPECT_EQ(set->policies[1].id, "named");
  EXPECT_EQ(set->policies[2].id, "policy2");
  EXPECT_EQ(set->policies[1].effect, Effect::kForbid);
  EXPECT_EQ(set->policies[1].resource.kind, ScopeConstraint::Kind::kIsIn);
  EXPECT_EQ(set->policies[2].conditions.size(), 2u);
}

TEST(CedarParser, ErrorsNameLineAndColumn) {
  auto r = parse_policies("permit(principal, action, resource)\nwhen { 1 + };");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().line, 2);
  EXPECT_EQ(r.error().column, 12);
  EXPECT_STREQ(r.error().code, "cedar.parse_error");
  EXPECT_NE(r.error().message.find("expected an expression"), std::string::npos)
      << r.error().message;

  r = parse_policies("permit(principal, action, resource) when { true }");
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message.find("';'"), std::string::npos);

  r = parse_policies("permit(principal, action, resource) when { principal.foo(1) };");
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message.find("unknown method 'foo'"), std::string::npos);

  r = parse_policies("permit(principal, action, resource) when { \"abc };");
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message.find("unterminated string"), std::string::npos);

  r = parse_policies("permit(principal, action, resource) when { 1 < 2 < 3 };");
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message.find("cannot be chained"), std::string::npos);

  r = parse_policies("permit(principal == ?principal, action, resource);");
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message.find("templates"), std::string::npos);

  r = parse_policies("@id(\"a\") @id(\"b\") permit(principal, action, resource);");
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message.find("duplicate annotation"), std::string::npos);

  EXPECT_FALSE(parse_policies("permit(principal, action is Action, resource);").ok());
  EXPECT_FALSE(parse_policies("allow(principal, action, resource);").ok());
  EXPECT_FALSE(parse_policies("permit(principal, action, resource) when { };").ok());
}

TEST(CedarParser, IntegerLiteralBounds) {
  EXPECT_EQ(eval("-9223372036854775808"), "-9223372036854775808");
  EXPECT_EQ(eval("9223372036854775807"), "9223372036854775807");
  EXPECT_NE(eval("9223372036854775808").find("out of range"), std::string::npos);
  EXPECT_NE(eval("99999999999999999999999").find("out of range"), std::string::npos);
  EXPECT_EQ(eval("--9223372036854775808"), "error");  // negating the minimum overflows
  EXPECT_EQ(eval("- -1"), "1");
}

TEST(CedarParser, StringEscapes) {
  EXPECT_EQ(eval(R"("a\n\t\"\\\0\u{1F600}\x41")"),
            json("a\n\t\"\\" + std::string(1, '\0') + "\xF0\x9F\x98\x80" + "A").dump());
  EXPECT_NE(eval(R"("\q")").find("unknown escape"), std::string::npos);
  EXPECT_NE(eval(R"("\*")").find("only allowed in `like`"), std::string::npos);
  EXPECT_NE(eval(R"("\u{D800}")").find("scalar"), std::string::npos);
}

TEST(CedarParser, HostileNestingIsAnErrorNotACrash) {
  std::string deep(100000, '(');
  deep += "1";
  deep += std::string(100000, ')');
  auto r = parse_expression(deep);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message.find("nested too deeply"), std::string::npos);
  std::string sets(100000, '[');
  EXPECT_FALSE(parse_expression(sets).ok());
  // Long operator chains do not recurse in the parser but would in the evaluator: capped.
  std::string chain = "1";
  for (int i = 0; i < 100000; ++i) chain += " + 1";
  r = parse_expression(chain);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message.find("too long"), std::string::npos);
  std::string ors = "true";
  for (int i = 0; i < 200; ++i) ors += " || false";
  EXPECT_EQ(eval(ors), "true");
  std::string nested;  // chains inside parentheses still add up
  for (int i = 0; i < 150; ++i)
    nested += "(1 + 1 + 1 + 1 + 1 + 1 + 1 + 1 + 1 + 1 + 1 + 1 + 1 + 1 + 1 + ";
  nested += "1";
  nested.append(150, ')');
  EXPECT_FALSE(parse_expression(nested).ok());
  std::string path = "principal has a";
  for (int i = 0; i < 1000; ++i) path += ".a";
  EXPECT_FALSE(parse_expression(path).ok());
  std::string nots(10, '!');
  EXPECT_FALSE(parse_expression(nots + "true").ok());  // at most 4 unary operators in a row
}

// --- evaluator --------------------------------------------------------------------------------

TEST(CedarEval, Arithmetic) {
  EXPECT_EQ(eval("1 + 2 * 3 - 4"), "3");
  EXPECT_EQ(eval("9223372036854775807 + 1"), "error");
  {
    static const Fixture f;
    auto e = parse_expression("9223372036854775807 + 1");
    EXPECT_STREQ(evaluate(**e, f.request, f.entities).error().code, "cedar.arith_bounds_error");
    e = parse_expression("ip(\"nope\")");
    EXPECT_STREQ(evaluate(**e, f.request, f.entities).error().code, "cedar.extension_error");
    e = parse_expression("User::\"ghost\".a");
    EXPECT_STREQ(evaluate(**e, f.request, f.entities).error().code, "cedar.entity_does_not_exist");
    e = parse_expression("principal.getTag(\"zz\")");
    EXPECT_STREQ(evaluate(**e, f.request, f.entities).error().code, "cedar.tag_does_not_exist");
  }
  EXPECT_EQ(eval("-9223372036854775808 - 1"), "error");
  EXPECT_EQ(eval("4611686018427387904 * 2"), "error");
  EXPECT_EQ(eval("1 + \"a\""), "error");
  EXPECT_EQ(eval("-(-9223372036854775807 - 1)"), "error");
}

TEST(CedarEval, ComparisonAndEquality) {
  EXPECT_EQ(eval("1 < 2 && 2 <= 2 && 3 > 2 && 3 >= 3"), "true");
  EXPECT_EQ(eval("1 == \"1\""), "false");  // different types are unequal, not an error
  EXPECT_EQ(eval("\"a\" < \"b\""), "error");
  EXPECT_EQ(eval("[1, 2, 2] == [2, 1]"), "true");
  EXPECT_EQ(eval("{a: 1, b: [1]} == {b: [1], a: 1}"), "true");
  EXPECT_EQ(eval("User::\"alice\" != User::\"bob\""), "true");
  EXPECT_EQ(eval("datetime(\"2024-01-01\") < datetime(\"2024-01-02\")"), "true");
  EXPECT_EQ(eval("duration(\"1h\") >= duration(\"60m\")"), "true");
  EXPECT_EQ(eval("decimal(\"1.0\") < decimal(\"2.0\")"), "error");  // decimals use methods
}

TEST(CedarEval, ShortCircuitAndTypes) {
  EXPECT_EQ(eval("false && (1 + \"a\" == 1)"), "false");
  EXPECT_EQ(eval("true || (1 + \"a\" == 1)"), "true");
  EXPECT_EQ(eval("true && 1"), "error");
  EXPECT_EQ(eval("1 && true"), "error");
  EXPECT_EQ(eval("if true then 1 else 1 + \"a\""), "1");
  EXPECT_EQ(eval("if 1 then 1 else 2"), "error");
  EXPECT_EQ(eval("!1"), "error");
}

TEST(CedarEval, HierarchyAndAttributes) {
  EXPECT_EQ(eval("principal in Group::\"all\""), "true");  // transitive
  EXPECT_EQ(eval("principal in principal"), "true");
  EXPECT_EQ(eval("Group::\"all\" in principal"), "false");
  EXPECT_EQ(eval("User::\"ghost\" in User::\"ghost\""), "true");
  EXPECT_EQ(eval("principal in [Group::\"x\", Group::\"eng\"]"), "true");
  EXPECT_EQ(eval("principal in [Group::\"eng\", 1]"), "error");
  EXPECT_EQ(eval("1 in Group::\"eng\""), "error");
  EXPECT_EQ(eval("action in Action::\"any\""), "true");
  EXPECT_EQ(eval("principal.age"), "30");
  EXPECT_EQ(eval("principal[\"name\"]"), "\"Alice\"");
  EXPECT_EQ(eval("principal.missing"), "error");
  EXPECT_EQ(eval("User::\"ghost\".age"), "error");
  EXPECT_EQ(eval("User::\"ghost\" has age"), "false");
  EXPECT_EQ(eval("principal has rec.a.b"), "true");
  EXPECT_EQ(eval("principal has rec.a.c"), "false");
  EXPECT_EQ(eval("principal has missing.a"), "false");
  EXPECT_EQ(eval("principal.team in Group::\"all\""), "true");
  EXPECT_EQ(eval("context.n + 1"), "6");
  EXPECT_EQ(eval("1 has a"), "error");
  EXPECT_EQ(eval("principal is User && !(principal is Group)"), "true");
  EXPECT_EQ(eval("principal is User in Group::\"eng\""), "true");
  EXPECT_EQ(eval("1 is User"), "error");
}

TEST(CedarEval, TagsAndSets) {
  EXPECT_EQ(eval("principal.hasTag(\"level\")"), "true");
  EXPECT_EQ(eval("principal.getTag(\"level\")"), "\"gold\"");
  EXPECT_EQ(eval("principal.getTag(\"nope\")"), "error");
  EXPECT_EQ(eval("User::\"ghost\".hasTag(\"level\")"), "false");
  EXPECT_EQ(eval("User::\"ghost\".getTag(\"level\")"), "error");
  EXPECT_EQ(eval("principal.hasTag(1)"), "error");
  EXPECT_EQ(eval("[1, 2].contains(2)"), "true");
  EXPECT_EQ(eval("[1, 2].containsAll([2])"), "true");
  EXPECT_EQ(eval("[1, 2].containsAll([3, 2])"), "false");
  EXPECT_EQ(eval("[1, 2].containsAny([3, 2])"), "true");
  EXPECT_EQ(eval("[].isEmpty() && ![1].isEmpty()"), "true");
  EXPECT_EQ(eval("1.contains(1)"), "error");
  EXPECT_EQ(eval("principal.contains(1)"), "error");
  EXPECT_EQ(eval("[1].containsAll(1)"), "error");
}

TEST(CedarEval, Like) {
  EXPECT_EQ(eval(R"("abc" like "a*c")"), "true");
  EXPECT_EQ(eval(R"("a*c" like "a\*c")"), "true");
  EXPECT_EQ(eval(R"("abc" like "a\*c")"), "false");
  EXPECT_EQ(eval(R"("" like "*")"), "true");
  EXPECT_EQ(eval(R"("aaaaaaaaaaaaaaaaaaaaaaaaaaaaab" like "*a*a*a*a*a*a*a*c")"), "false");
  EXPECT_EQ(eval(R"("über" like "ü*r")"), "true");
  EXPECT_EQ(eval(R"(1 like "*")"), "error");
}

TEST(CedarEval, IpAddr) {
  EXPECT_EQ(eval(R"(ip("10.1.2.3").isInRange(ip("10.0.0.0/8")))"), "true");
  EXPECT_EQ(eval(R"(ip("10.0.0.0/8").isInRange(ip("10.1.0.0/16")))"), "false");
  EXPECT_EQ(eval(R"(ip("10.1.2.3").isInRange(ip("::/0")))"), "false");
  EXPECT_EQ(eval(R"(ip("127.0.0.2").isLoopback() && ip("::1").isLoopback())"), "true");
  EXPECT_EQ(eval(R"(ip("127.0.0.0/7").isLoopback())"), "false");
  EXPECT_EQ(eval(R"(ip("224.0.0.1").isMulticast() && ip("ff02::1").isMulticast())"), "true");
  EXPECT_EQ(eval(R"(ip("1.2.3.4").isIpv4() && ip("::").isIpv6())"), "true");
  EXPECT_EQ(eval(R"(ip("1.2.3.4") == ip("1.2.3.4/32"))"), "true");
  EXPECT_EQ(eval(R"(ip("1.2.3.4/24") == ip("1.2.3.0/24"))"), "false");
  EXPECT_EQ(eval(R"(principal.ip.isInRange(ip("10.0.0.0/8")))"), "true");
  for (const char* bad :
       {"1.2.3.256", "01.2.3.4", "1.2.3", "1.2.3.4/33", "1.2.3.4/08", "::ffff:1.2.3.4", "1::2::3",
        "12345::", "1:2:3:4:5:6:7:8:9", "1:2:3:4::5:6:7:8", ""}) {
    EXPECT_EQ(eval(std::string("ip(\"") + bad + "\")"), "error") << bad;
  }
  EXPECT_NE(eval(R"(ip("1:2:3:4:5:6:7::"))"), "error");
}

TEST(CedarEval, Decimal) {
  EXPECT_EQ(eval(R"(decimal("1.5").lessThan(decimal("1.50001")))"), "error");
  EXPECT_EQ(eval(R"(decimal("-1.5").lessThan(decimal("1.5")))"), "true");
  EXPECT_EQ(eval(R"(decimal("1.5").greaterThanOrEqual(decimal("1.5000")))"), "true");
  EXPECT_EQ(eval(R"(decimal("922337203685477.5807").greaterThan(decimal("0.0")))"), "true");
  EXPECT_EQ(eval(R"(decimal("922337203685477.5808"))"), "error");
  EXPECT_EQ(eval(R"(decimal("-922337203685477.5808").lessThanOrEqual(decimal("0.0")))"), "true");
  for (const char* bad : {"1", "1.", ".5", "1.23456", "-.5", "+1.0", "1.0.0", "-"}) {
    EXPECT_EQ(eval(std::string("decimal(\"") + bad + "\")"), "error") << bad;
  }
  EXPECT_EQ(eval(R"(decimal("1.0").lessThan(1))"), "error");
  EXPECT_EQ(eval(R"(decimal("1.0").lessThan(decimal("2.0"), 3))"), "error");  // arity at runtime
}

TEST(CedarEval, DatetimeAndDuration) {
  EXPECT_EQ(
      eval(
          R"(datetime("1970-01-01T00:00:01Z").durationSince(datetime("1970-01-01")).toMilliseconds())"),
      "1000");
  EXPECT_EQ(eval(R"(datetime("2024-01-01T01:00:00+0100") == datetime("2024-01-01"))"), "true");
  EXPECT_EQ(
      eval(
          R"(datetime("2024-01-01T00:00:00.500-0030").durationSince(datetime("2024-01-01")).toSeconds())"),
      "1800");
  EXPECT_EQ(eval(R"(datetime("1969-12-31T23:00:00Z").toDate() == datetime("1969-12-31"))"), "true");
  EXPECT_EQ(eval(R"(datetime("1969-12-31T23:00:00Z").toTime() == duration("23h"))"), "true");
  EXPECT_EQ(eval(R"(datetime("2024-02-29").offset(duration("1d")) == datetime("2024-03-01"))"),
            "true");
  EXPECT_EQ(eval(R"(duration("1d2h3m4s5ms").toMilliseconds())"), "93784005");
  EXPECT_EQ(eval(R"(duration("-1d").toHours())"), "-24");
  EXPECT_EQ(eval(R"(duration("90m").toHours())"), "1");
  EXPECT_EQ(eval(R"(duration("36h").toDays())"), "1");
  EXPECT_EQ(eval(R"(duration("9223372036854775807ms").toMinutes())"), "153722867280912");
  EXPECT_EQ(eval(R"(duration("9223372036854775808ms"))"), "error");
  EXPECT_EQ(eval(R"(datetime("2024-01-01").offset(duration("9223372036854775807ms")))"), "error");
  for (const char* bad :
       {"2023-02-29", "2024-13-01", "2024-1-01", "2024-01-01T24:00:00Z", "2024-01-01T00:00:60Z",
        "2024-01-01T00:00:00", "2024-01-01T00:00:00.5Z", "2024-01-01T00:00:00+2400",
        "2024-01-01T00:00:00+0060", "2024-01-01 00:00:00Z", "20240101"}) {
    EXPECT_EQ(eval(std::string("datetime(\"") + bad + "\")"), "error") << bad;
  }
  for (const char* bad : {"", "-", "1", "1h1d", "1d1d", "ms", "1.5h", "1 h", "--1h", "h1"}) {
    EXPECT_EQ(eval(std::string("duration(\"") + bad + "\")"), "error") << bad;
  }
  EXPECT_EQ(eval(R"(datetime("2024-01-01") < duration("1h"))"), "error");
}

TEST(CedarEval, ExtensionValuesFromJson) {
  auto v = value_from_json(json::parse(R"({"__extn": {"fn": "offset", "args": [
      {"__extn": {"fn": "datetime", "arg": "1970-01-01"}}, {"__extn": {"fn": "duration", "arg": "1s"}}]}})"),
                           nullptr);
  ASSERT_TRUE(v.ok()) << v.error().message;
  EXPECT_EQ(v->as_datetime().ms, 1000);
  EXPECT_FALSE(
      value_from_json(json::parse(R"({"__extn": {"fn": "ip", "arg": "nope"}})"), nullptr).ok());
  EXPECT_FALSE(value_from_json(json::parse(R"(1.5)"), nullptr).ok());
  EXPECT_FALSE(value_from_json(json::parse(R"(18446744073709551615)"), nullptr).ok());
}

// --- authorizer -------------------------------------------------------------------------------

Response decide(const std::string& policies) {
  static const Fixture f;
  auto set = parse_policies(policies);
  EXPECT_TRUE(set.ok()) << set.error().describe();
  return is_authorized(*set, f.entities, f.request);
}

TEST(CedarAuthorizer, DefaultDenyForbidWinsErrorsSkipped) {
  auto r = decide("permit(principal, action, resource) when { false };");
  EXPECT_EQ(r.decision, Decision::kDeny);
  EXPECT_TRUE(r.reasons.empty());

  r = decide(
      "permit(principal in Group::\"all\", action, resource);\n"
      "permit(principal, action in Action::\"any\", resource) when { principal.age > 18 };\n"
      "permit(principal, action, resource) when { principal.nope };");
  EXPECT_EQ(r.decision, Decision::kAllow);
  EXPECT_EQ(r.reasons, (std::vector<std::string>{"policy0", "policy1"}));
  ASSERT_EQ(r.errors.size(), 1u);
  EXPECT_EQ(r.errors[0].policy_id, "policy2");
  EXPECT_STREQ(r.errors[0].code, "cedar.attr_does_not_exist");

  r = decide(
      "permit(principal, action, resource);\n"
      "@id(\"block\") forbid(principal, action, resource) unless { context.s == \"bye\" };\n"
      "forbid(principal, action, resource) when { 1 + \"x\" };");
  EXPECT_EQ(r.decision, Decision::kDeny);
  EXPECT_EQ(r.reasons, (std::vector<std::string>{"block"}));
  ASSERT_EQ(r.errors.size(), 1u);
  EXPECT_EQ(r.errors[0].policy_id, "policy2");

  r = decide("permit(principal, action, resource) when { 1 };");  // non-boolean condition
  EXPECT_EQ(r.decision, Decision::kDeny);
  EXPECT_EQ(r.errors.size(), 1u);
}

// --- entities and schemas ---------------------------------------------------------------------

TEST(CedarEntities, CyclesDuplicatesAndBounds) {
  auto cyc = Entities::from_json_text(R"([
    {"uid": {"type": "G", "id": "a"}, "attrs": {}, "parents": [{"type": "G", "id": "b"}]},
    {"uid": {"type": "G", "id": "b"}, "attrs": {}, "parents": [{"type": "G", "id": "a"}]}])",
                                      nullptr);
  ASSERT_FALSE(cyc.ok());
  EXPECT_NE(cyc.error().message.find("cycle"), std::string::npos);

  auto dup = Entities::from_json_text(
      R"([{"uid": {"type": "G", "id": "a"}}, {"uid": {"type": "G", "id": "a"}}])", nullptr);
  ASSERT_FALSE(dup.ok());
  EXPECT_NE(dup.error().message.find("duplicate"), std::string::npos);

  json chain = json::array();
  for (int i = 0; i < 200; ++i) {
    chain.push_back({{"uid", {{"type", "G"}, {"id", std::to_string(i)}}},
                     {"parents", json::array({{{"type", "G"}, {"id", std::to_string(i + 1)}}})}});
  }
  EntityLimits tight;
  tight.max_ancestor_pairs = 1000;
  auto big = Entities::from_json(chain, nullptr, tight);
  ASSERT_FALSE(big.ok());
  EXPECT_NE(big.error().message.find("too large"), std::string::npos);
  auto ok = Entities::from_json(chain, nullptr);
  ASSERT_TRUE(ok.ok());
  EXPECT_TRUE(ok->is_in({"G", "0"}, {"G", "200"}));

  std::string deep =
      "[{\"uid\": {\"type\": \"G\", \"id\": \"a\"}, \"attrs\": {\"x\": " + std::string(5000, '[') +
      std::string(5000, ']') + "}}]";
  EXPECT_FALSE(Entities::from_json_text(deep, nullptr).ok());
  EXPECT_FALSE(Entities::from_json_text("{}", nullptr).ok());
  EXPECT_FALSE(Entities::from_json_text("[{\"uid\": {\"type\": \"G\"}}]", nullptr).ok());
}

const char* kSchemaText = R"(
namespace App {
  type Addr = { ip: ipaddr, zone?: String };
  entity Group;
  entity User in [Group] = { score: decimal, addr: Addr, boss?: User, since: datetime } tags String;
  action "view" appliesTo { principal: [User], resource: [Group], context: { src: ipaddr, ttl: duration } };
  action edit in "view" appliesTo { principal: User, resource: Group };
}
)";

const char* kSchemaJson = R"({"App": {
  "commonTypes": {"Addr": {"type": "Record", "attributes": {"ip": {"type": "Extension", "name": "ipaddr"},
                                                             "zone": {"type": "String", "required": false}}}},
  "entityTypes": {
    "Group": {},
    "User": {"memberOfTypes": ["Group"], "tags": {"type": "String"},
             "shape": {"type": "Record", "attributes": {
               "score": {"type": "Extension", "name": "decimal"}, "addr": {"type": "Addr"},
               "boss": {"type": "Entity", "name": "User", "required": false},
               "since": {"type": "Extension", "name": "datetime"}}}}},
  "actions": {
    "view": {"appliesTo": {"principalTypes": ["User"], "resourceTypes": ["Group"],
             "context": {"type": "Record", "attributes": {"src": {"type": "Extension", "name": "ipaddr"},
                                                          "ttl": {"type": "Extension", "name": "duration"}}}}},
    "edit": {"memberOf": [{"id": "view"}], "appliesTo": {"principalTypes": ["User"], "resourceTypes": ["Group"]}}}
}})";

const char* kTypedEntities = R"([
  {"uid": {"type": "App::User", "id": "a"}, "parents": [{"type": "App::Group", "id": "g"}],
   "attrs": {"score": "0.75", "addr": {"ip": "10.0.0.1"}, "boss": {"type": "App::User", "id": "b"},
             "since": "2024-01-01"}, "tags": {"t": "x"}},
  {"uid": {"type": "App::User", "id": "b"}, "attrs": {"score": {"__extn": {"fn": "decimal", "arg": "1.0"}},
   "addr": {"ip": "::1", "zone": "z"}, "since": "2023-06-30T12:00:00Z"}},
  {"uid": {"type": "App::Group", "id": "g"}}
])";

class CedarSchema : public ::testing::TestWithParam<const char*> {};

TEST_P(CedarSchema, TypesEntitiesAndContext) {
  auto schema = parse_schema(GetParam());
  ASSERT_TRUE(schema.ok()) << schema.error().describe();
  auto es = Entities::from_json_text(kTypedEntities, &*schema);
  ASSERT_TRUE(es.ok()) << es.error().message;
  auto req = request_from_json(json::parse(R"({"principal": {"type": "App::User", "id": "a"},
      "action": {"type": "App::Action", "id": "edit"}, "resource": {"type": "App::Group", "id": "g"},
      "context": {"src": "192.168.0.1", "ttl": "1h"}})"),
                               &*schema);
  // "edit" declares no context attributes: undeclared ones are read untyped (the validator, a later
  // issue, will refuse them), so "src" stays a string here.
  ASSERT_TRUE(req.ok()) << req.error().message;
  EXPECT_EQ(find_field(req->context.as_record(), "src")->kind(), Kind::kString);
  auto view = request_from_json(json::parse(R"({"principal": {"type": "App::User", "id": "a"},
      "action": {"type": "App::Action", "id": "view"}, "resource": {"type": "App::Group", "id": "g"},
      "context": {"src": "192.168.0.1", "ttl": "1h"}})"),
                                &*schema);
  ASSERT_TRUE(view.ok()) << view.error().message;
  auto policies = parse_policies(R"(
    permit(principal, action in App::Action::"view", resource) when {
      principal.score.greaterThan(decimal("0.5")) && principal.addr.ip.isInRange(ip("10.0.0.0/8")) &&
      principal.boss.addr.ip.isLoopback() && principal.since > principal.boss.since &&
      context.src.isInRange(ip("192.168.0.0/16")) && context.ttl == duration("60m") &&
      principal.getTag("t") == "x" && principal in App::Group::"g"
    };)");
  ASSERT_TRUE(policies.ok());
  auto edit_req = Request::make({"App::User", "a"}, {"App::Action", "edit"}, {"App::Group", "g"},
                                view->context);
  EXPECT_EQ(is_authorized(*policies, *es, *view).decision, Decision::kAllow);
  EXPECT_EQ(is_authorized(*policies, *es, edit_req).decision, Decision::kAllow);  // edit in view

  // Wrong types and undeclared types are refused with the attribute named.
  auto bad = Entities::from_json_text(
      R"([{"uid": {"type": "App::User", "id": "a"}, "attrs": {"score": "x", "addr": {"ip": "1.1.1.1"}, "since": "2024-01-01"}}])",
      &*schema);
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.error().message.find("score"), std::string::npos);
  EXPECT_FALSE(
      Entities::from_json_text(R"([{"uid": {"type": "App::Nope", "id": "a"}}])", &*schema).ok());
  EXPECT_FALSE(
      Entities::from_json_text(
          R"([{"uid": {"type": "App::Group", "id": "a"}, "parents": [{"type": "Other", "id": "x"}]}])",
          &*schema)
          .ok());
  auto wrong_parent = Entities::from_json_text(
      R"([{"uid": {"type": "App::Group", "id": "a"}, "parents": [{"type": "App::User", "id": "x"}]}])",
      &*schema);
  ASSERT_FALSE(wrong_parent.ok());
  EXPECT_NE(wrong_parent.error().message.find("does not allow a parent"), std::string::npos);
  EXPECT_FALSE(Entities::from_json_text(
                   R"([{"uid": {"type": "App::User", "id": "a"}, "attrs": {}}])", &*schema)
                   .ok());  // required attributes missing
}

INSTANTIATE_TEST_SUITE_P(BothFormats, CedarSchema, ::testing::Values(kSchemaText, kSchemaJson));

TEST(CedarSchemaText, Errors) {
  auto r = parse_schema_text("entity User = { a: Strin };");
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message.find("undeclared type Strin"), std::string::npos);
  r = parse_schema_text("entity User\n  = { a: String ");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().line, 2);
  EXPECT_FALSE(parse_schema_text("type A = B; type B = A; entity E = { x: A };").ok());
  EXPECT_FALSE(parse_schema_json("[]").ok());
}

// --- the command ------------------------------------------------------------------------------

class CedarCommand : public ::testing::Test {
 protected:
  std::filesystem::path dir_ =
      std::filesystem::temp_directory_path() /
      ("cedar-cli-" + std::to_string(::testing::UnitTest::GetInstance()->random_seed()) + "-" +
       ::testing::UnitTest::GetInstance()->current_test_info()->name());
  void SetUp() override { std::filesystem::create_directories(dir_); }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  std::string file(const std::string& name, const std::string& text) {
    auto p = dir_ / name;
    std::ofstream(p) << text;
    return p.string();
  }
  int run(const AuthorizeArgs& a, std::string& out, std::string& err) {
    std::ostringstream o, e;
    int code = run_authorize(a, o, e);
    out = o.str();
    err = e.str();
    return code;
  }
};

TEST_F(CedarCommand, OneAndManyRequests) {
  AuthorizeArgs a;
  a.policies_file = file("p.cedar",
                         "permit(principal in Group::\"eng\", action, resource);\n"
                         "forbid(principal, action, resource) when { context.blocked };");
  a.entities_file = file("e.json", kEntities);
  a.request_file = file(
      "r.json",
      R"({"principal": {"type": "User", "id": "alice"}, "action": {"type": "Action", "id": "read"},
      "resource": {"type": "Doc", "id": "x"}, "context": {"blocked": false}})");
  std::string out, err;
  ASSERT_EQ(run(a, out, err), 0) << err;
  EXPECT_EQ(json::parse(out),
            json::parse(R"({"decision": "allow", "reasons": ["policy0"], "errors": []})"));

  a.request_file =
      file("r-str.json", R"({"principal": "User::\"alice\"", "action": "Action::\"read\"",
      "resource": "Doc::\"x\"", "context": {"blocked": false}})");
  ASSERT_EQ(run(a, out, err), 0) << err;
  EXPECT_EQ(json::parse(out)["decision"], "allow");

  a.request_file.reset();
  a.requests_file = file("rs.json", R"([
      {"principal": {"type": "User", "id": "alice"}, "action": {"type": "Action", "id": "read"},
       "resource": {"type": "Doc", "id": "x"}, "context": {"blocked": true}},
      {"principal": {"type": "User", "id": "bob"}, "action": {"type": "Action", "id": "read"},
       "resource": {"type": "Doc", "id": "x"}, "context": {}}])");
  ASSERT_EQ(run(a, out, err), 0) << err;
  auto answers = json::parse(out);
  ASSERT_EQ(answers.size(), 2u);
  EXPECT_EQ(answers[0]["decision"], "deny");
  EXPECT_EQ(answers[0]["reasons"], json::array({"policy1"}));
  EXPECT_EQ(answers[1]["decision"], "deny");
  EXPECT_EQ(answers[1]["errors"][0]["policy"], "policy1");
  EXPECT_FALSE(answers[1]["errors"][0]["message"].get<std::string>().empty());
}

TEST_F(CedarCommand, BadInputIsAClearErrorNotACrash) {
  AuthorizeArgs a;
  a.policies_file =
      file("p.cedar", "permit(principal, action, resource)\n  when { principal.x ==  };");
  a.entities_file = file("e.json", kEntities);
  a.request_file = file(
      "r.json",
      R"({"principal": {"type": "User", "id": "alice"}, "action": {"type": "Action", "id": "read"},
      "resource": {"type": "Doc", "id": "x"}})");
  std::string out, err;
  EXPECT_EQ(run(a, out, err), 2);
  EXPECT_NE(err.find("p.cedar:2:26: expected an expression"), std::string::npos) << err;

  a.policies_file = file("p.cedar", "permit(principal, action, resource);");
  a.entities_file = file("bad.json", "[{\"uid\": ");
  EXPECT_EQ(run(a, out, err), 2);
  EXPECT_NE(err.find("not valid JSON"), std::string::npos) << err;

  a.entities_file =
      file("bad2.json", R"([{"uid": {"type": "User", "id": "a"}, "parents": [{"type": "User"}]}])");
  EXPECT_EQ(run(a, out, err), 2);
  EXPECT_NE(err.find("parent"), std::string::npos) << err;

  a.entities_file = file("e.json", kEntities);
  a.schema_file = file("s.cedarschema", "entity User;");
  EXPECT_EQ(run(a, out, err), 2);  // Group and Doc are not declared
  EXPECT_NE(err.find("not declared"), std::string::npos) << err;
  a.schema_file.reset();

  a.request_file = file(
      "r2.json", R"({"principal": {"type": "User"}, "action": {"type": "Action", "id": "read"}})");
  EXPECT_EQ(run(a, out, err), 2);
  EXPECT_NE(err.find("principal"), std::string::npos) << err;

  a.requests_file = a.request_file;
  EXPECT_EQ(run(a, out, err), 2);
  EXPECT_NE(err.find("exactly one"), std::string::npos) << err;

  a.requests_file.reset();
  a.request_file = (dir_ / "missing.json").string();
  EXPECT_EQ(run(a, out, err), 2);
  EXPECT_NE(err.find("cannot read"), std::string::npos) << err;
}

}  // namespace
}  // namespace gh::cedar
