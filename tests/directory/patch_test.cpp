// PATCH as Entra ID (standards.md §2.1 E4–E10) and Okta (§2.2 O5–O6) send it.
#include "directory/patch.h"

#include <gtest/gtest.h>

namespace gh::directory {
namespace {

using nlohmann::json;

const std::string kEnt = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User";

json user() {
  return json::parse(R"({"id":"u1","userName":"alice@contoso.example","active":true,
    "name":{"givenName":"Alice","familyName":"A"},
    "emails":[{"primary":true,"type":"work","value":"alice@contoso.example"}]})");
}

json ops(json operations) {
  return {{"schemas", {std::string(kPatchOpUrn)}}, {"Operations", std::move(operations)}};
}

json patched(const json& resource, json operations) {
  auto r = apply_patch(resource, ops(std::move(operations)), default_case_exact);
  EXPECT_TRUE(r) << (r ? "" : r.error().scim_type + ": " + r.error().detail);
  return r ? *r : json();
}

TEST(ScimPatch, E4CapitalisedOpsFilteredAndUrnPaths) {
  const json out = patched(user(), json::parse(R"([
    {"op":"Replace","path":"emails[type eq \"work\"].value","value":"new@contoso.example"},
    {"op":"Replace","path":"name.familyName","value":"B"},
    {"op":"Replace","path":"externalId","value":"alice2"},
    {"op":"Replace","path":"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:employeeNumber","value":"42"},
    {"op":"Add","path":"nickName","value":"Al"}])"));
  EXPECT_EQ(out["emails"].size(), 1u);
  EXPECT_EQ(out["emails"][0]["value"], "new@contoso.example");
  EXPECT_EQ(out["emails"][0]["primary"], true);
  EXPECT_EQ(out["name"]["familyName"], "B");
  EXPECT_EQ(out["name"]["givenName"], "Alice");
  EXPECT_EQ(out["externalId"], "alice2");
  EXPECT_EQ(out[kEnt]["employeeNumber"], "42");
  EXPECT_EQ(out["nickName"], "Al");
}

TEST(ScimPatch, E5PathlessReplaceWithDottedAndUrnKeys) {
  const json out = patched(user(), json::parse(R"([
    {"op":"replace","value":{"displayName":"Alice B","name.givenName":"Alicia","name.familyName":"B",
     "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:employeeNumber":"42"}}])"));
  EXPECT_EQ(out["displayName"], "Alice B");
  EXPECT_EQ(out["name"]["givenName"], "Alicia");
  EXPECT_EQ(out["name"]["familyName"], "B");
  EXPECT_EQ(out[kEnt]["employeeNumber"], "42");
}

TEST(ScimPatch, E7AndO5ActiveAsStringBooleanOrPathless) {
  for (const json& op : {json::parse(R"({"op":"Replace","path":"active","value":"False"})"),
                         json::parse(R"({"op":"replace","path":"active","value":false})"),
                         json::parse(R"({"op":"Replace","path":"active","value":"false"})"),
                         json::parse(R"({"op":"replace","value":{"active":false}})"),
                         json::parse(R"({"op":"replace","value":{"active":"False"}})")}) {
    const json out = patched(user(), json::array({op}));
    EXPECT_EQ(out["active"], false) << op.dump();
  }
  const json back =
      patched(patched(user(), json::parse(R"([{"op":"replace","path":"active","value":"False"}])")),
              json::parse(R"([{"op":"Replace","path":"active","value":"True"}])"));
  EXPECT_EQ(back["active"], true);
}

json group() {
  return json::parse(R"({"id":"g1","displayName":"Eng",
    "members":[{"value":"u1"},{"value":"u2"},{"value":"u3"}]})");
}

std::vector<std::string> members(const json& g) {
  std::vector<std::string> out;
  for (const auto& m : g.value("members", json::array())) out.push_back(m["value"]);
  return out;
}

TEST(ScimPatch, E10EntraValueArrayRemovesOnlyTheNamedMember) {
  const json out = patched(group(), json::parse(R"([
    {"op":"Remove","path":"members","value":[{"$ref":null,"value":"u2"}]}])"));
  EXPECT_EQ(members(out), (std::vector<std::string>{"u1", "u3"}));
}

TEST(ScimPatch, E10FilterFormRemovesOnlyTheMatchingMember) {
  const json out =
      patched(group(), json::parse(R"([{"op":"remove","path":"members[value eq \"u1\"]"}])"));
  EXPECT_EQ(members(out), (std::vector<std::string>{"u2", "u3"}));
}

TEST(ScimPatch, RemoveWithoutValueOrFilterClearsTheList) {
  const json out = patched(group(), json::parse(R"([{"op":"remove","path":"members"}])"));
  EXPECT_TRUE(members(out).empty());
}

TEST(ScimPatch, E9AndO6AddReplaceRenameMembers) {
  json out = patched(group(), json::parse(R"([
    {"op":"Add","path":"members","value":[{"$ref":null,"value":"u4"},{"value":"u1"}]}])"));
  EXPECT_EQ(members(out), (std::vector<std::string>{"u1", "u2", "u3", "u4"}));
  EXPECT_FALSE(out["members"][3].contains("$ref"));
  out = patched(
      out, json::parse(R"([{"op":"replace","value":{"id":"g1","displayName":"Test SCIMv2"}}])"));
  EXPECT_EQ(out["displayName"], "Test SCIMv2");
  out = patched(out, json::parse(R"([
    {"op":"remove","path":"members[value eq \"u1\"]"},
    {"op":"add","path":"members","value":[{"value":"u9","display":"b@okta.local"}]}])"));
  EXPECT_EQ(members(out), (std::vector<std::string>{"u2", "u3", "u4", "u9"}));
  out = patched(
      out,
      json::parse(R"([{"op":"replace","path":"members","value":[{"value":"a"},{"value":"b"}]}])"));
  EXPECT_EQ(members(out), (std::vector<std::string>{"a", "b"}));
}

TEST(ScimPatch, PrimaryMovesToTheNewPrimaryValue) {
  const json out = patched(user(), json::parse(R"([
    {"op":"add","path":"emails","value":[{"value":"alice@new.example","type":"other","primary":"True"}]}])"));
  ASSERT_EQ(out["emails"].size(), 2u);
  EXPECT_EQ(out["emails"][0]["primary"], false);
  EXPECT_EQ(out["emails"][1]["primary"], true);
}

TEST(ScimPatch, ReplaceThroughAnUnmatchedEqFilterCreatesTheElement) {
  const json out = patched(user(), json::parse(R"([
    {"op":"replace","path":"phoneNumbers[type eq \"mobile\"].value","value":"+1 555"}])"));
  EXPECT_EQ(out["phoneNumbers"][0]["type"], "mobile");
  EXPECT_EQ(out["phoneNumbers"][0]["value"], "+1 555");
}

TEST(ScimPatch, ErrorsCarryTheirScimTypeAndApplyNothing) {
  struct Case {
    json body;
    std::string scim_type;
  };
  const std::vector<Case> cases = {
      {json::parse(R"({"Operations":[{"op":"frobnicate","path":"x","value":1}]})"),
       "invalidSyntax"},
      {json::parse(R"({"Operations":[]})"), "invalidSyntax"},
      {json::parse(R"({"schemas":["urn:x"],"Operations":[{"op":"add","path":"x","value":1}]})"),
       "invalidSyntax"},
      {json::parse(R"({"Operations":[{"op":"add","path":"a[","value":1}]})"), "invalidPath"},
      {json::parse(R"({"Operations":[{"op":"replace","path":"id","value":"u2"}]})"), "mutability"},
      {json::parse(R"({"Operations":[{"op":"remove","path":"userName"}]})"), "mutability"},
      {json::parse(R"({"Operations":[{"op":"remove"}]})"), "noTarget"},
      {json::parse(
           R"({"Operations":[{"op":"replace","path":"emails[value sw \"x\"]","value":{"a":1}}]})"),
       "noTarget"},
      {json::parse(R"({"Operations":[{"op":"add","path":"nickName","value":"ok"},
                       {"op":"replace","path":"meta.created","value":"x"}]})"),
       "mutability"},
  };
  for (const auto& c : cases) {
    auto r = apply_patch(user(), c.body, default_case_exact);
    ASSERT_FALSE(r) << c.body.dump();
    EXPECT_EQ(r.error().scim_type, c.scim_type) << c.body.dump();
    EXPECT_EQ(r.error().status, 400);
  }
}

}  // namespace
}  // namespace gh::directory
