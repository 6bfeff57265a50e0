// SCIM Bulk (RFC 7644 §3.7) parsing and bulkId references, without a store.
#include "directory/bulk.h"

#include <gtest/gtest.h>

namespace gh::directory {
namespace {

using nlohmann::json;

json request(json operations) {
  return {{"schemas", {std::string(kBulkRequestUrn)}}, {"Operations", std::move(operations)}};
}

TEST(Bulk, ParsesTheRfcExample) {
  // RFC 7644 §3.7.2's shape: a group referencing a user created in the same request.
  auto parsed = parse_bulk_request(request(json::parse(R"([
    {"method":"POST","path":"/Users","bulkId":"qwerty","data":{"userName":"Alice"}},
    {"method":"post","path":"/Groups","bulkId":"ytrewq",
     "data":{"displayName":"Tour Guides","members":[{"type":"User","value":"bulkId:qwerty"}]}},
    {"method":"DELETE","path":"/Users/b7c14771","version":"W/\"0ee8add0a938e1a\""}])")));
  ASSERT_TRUE(parsed) << parsed.error().detail;
  ASSERT_EQ(parsed->operations.size(), 3u);
  EXPECT_EQ(parsed->fail_on_errors, 0);
  EXPECT_EQ(parsed->operations[1].method, "POST");
  EXPECT_EQ(bulk_references(parsed->operations[1]), std::vector<std::string>{"qwerty"});
  EXPECT_TRUE(bulk_references(parsed->operations[0]).empty());
  EXPECT_EQ(parsed->operations[2].version, "W/\"0ee8add0a938e1a\"");
  auto target = bulk_target(parsed->operations[2]);
  ASSERT_TRUE(target);
  EXPECT_EQ(target->type, "User");
  EXPECT_EQ(target->id, "b7c14771");
}

TEST(Bulk, ResolvesReferencesInPathAndData) {
  BulkOperation op{"PATCH", "", "/Groups/bulkId:g1", "",
                   json::parse(R"({"Operations":[{"op":"add","path":"members",
                     "value":[{"value":"bulkId:u1"},{"value":"bulkId:u2"},{"value":"kept"}]}]})")};
  EXPECT_EQ(bulk_references(op), (std::vector<std::string>{"g1", "u1", "u2"}));
  BulkOperation partial = op;
  auto missing = resolve_bulk_references(partial, {{"g1", "G"}, {"u1", "U1"}});
  ASSERT_TRUE(missing);
  EXPECT_EQ(*missing, "u2");
  auto none = resolve_bulk_references(op, {{"g1", "G"}, {"u1", "U1"}, {"u2", "U2"}});
  EXPECT_FALSE(none);
  EXPECT_EQ(op.path, "/Groups/G");
  const auto& v = op.data["Operations"][0]["value"];
  EXPECT_EQ(v[0]["value"], "U1");
  EXPECT_EQ(v[1]["value"], "U2");
  EXPECT_EQ(v[2]["value"], "kept");
  auto target = bulk_target(op);
  ASSERT_TRUE(target);
  EXPECT_EQ(target->type, "Group");
  EXPECT_EQ(target->id, "G");
}

TEST(Bulk, RefusesMalformedRequests) {
  auto err = [](const json& body) {
    auto r = parse_bulk_request(body);
    EXPECT_FALSE(r);
    return r ? ScimError{} : r.error();
  };
  EXPECT_EQ(err(json::array()).scim_type, "invalidSyntax");
  EXPECT_EQ(err(json::object()).scim_type, "invalidSyntax");
  EXPECT_EQ(err(request(json::parse(R"([{"method":"GET","path":"/Users"}])"))).scim_type,
            "invalidSyntax");
  // A POST needs its bulkId; bulkIds are unique in a request; data must be an object.
  EXPECT_EQ(err(request(json::parse(R"([{"method":"POST","path":"/Users","data":{}}])"))).scim_type,
            "invalidSyntax");
  EXPECT_EQ(err(request(json::parse(R"([
    {"method":"POST","path":"/Users","bulkId":"a","data":{}},
    {"method":"POST","path":"/Users","bulkId":"a","data":{}}])")))
                .scim_type,
            "invalidSyntax");
  EXPECT_EQ(err(request(json::parse(R"([{"method":"PUT","path":"/Users/x","data":3}])"))).scim_type,
            "invalidSyntax");
  auto bad_fail = request(json::array());
  bad_fail["failOnErrors"] = 0;
  EXPECT_EQ(err(bad_fail).scim_type, "invalidSyntax");
  // maxOperations: 413 tooMany.
  json many = json::array();
  for (size_t i = 0; i <= kBulkMaxOperations; ++i) {
    many.push_back({{"method", "DELETE"}, {"path", "/Users/" + std::to_string(i)}});
  }
  auto too_many = err(request(many));
  EXPECT_EQ(too_many.status, 413);
  EXPECT_EQ(too_many.scim_type, "tooMany");
  many.erase(many.end() - 1);
  EXPECT_TRUE(parse_bulk_request(request(many)));
}

TEST(Bulk, TargetsAreUsersOrGroupsWithTheRightShape) {
  auto target = [](const std::string& method, const std::string& path) {
    return bulk_target(BulkOperation{method, "b", path, "", json::object()});
  };
  EXPECT_TRUE(target("POST", "/Users"));
  EXPECT_TRUE(target("POST", "Groups"));
  EXPECT_EQ(target("POST", "/Users/x").error().scim_type, "invalidPath");
  EXPECT_EQ(target("PUT", "/Users").error().scim_type, "invalidPath");
  EXPECT_EQ(target("PATCH", "/Things/x").error().scim_type, "invalidPath");
  EXPECT_EQ(target("DELETE", "/Users/a/b").error().scim_type, "invalidPath");
  EXPECT_EQ(target("DELETE", "/Users/a")->id, "a");
}

}  // namespace
}  // namespace gh::directory
