#include "http/router.h"

#include <gtest/gtest.h>

#include "http/metrics.h"
#include "http/proxy.h"

namespace gh::http {
namespace {

Response ok(Request&) { return Response::text(200, "ok"); }

TEST(Router, StaticParamsAndBacktracking) {
  Router r;
  r.add("GET", "/healthz", ok);
  r.add("GET", "/{env}", ok);
  r.add("GET", "/{env}/.well-known/openid-configuration", ok);
  r.add("GET", "/api/v1/environments/{env}/organizations/{org}", ok);
  r.add("PATCH", "/api/v1/environments/{env}/organizations/{org}", ok);

  auto m = r.match("GET", "/api/v1/environments/sandbox/organizations/42");
  ASSERT_TRUE(m.route);
  EXPECT_EQ(m.route->pattern, "/api/v1/environments/{env}/organizations/{org}");
  ASSERT_EQ(m.params.size(), 2u);
  EXPECT_EQ(m.params[0], (std::pair<std::string, std::string>{"env", "sandbox"}));
  EXPECT_EQ(m.params[1].second, "42");

  // "api" is a static segment, but /api/.well-known/... only exists under {env}: backtrack.
  auto b = r.match("GET", "/api/.well-known/openid-configuration");
  ASSERT_TRUE(b.route);
  EXPECT_EQ(b.params[0].second, "api");

  EXPECT_TRUE(r.match("GET", "/healthz").route);
  EXPECT_EQ(r.match("GET", "/healthz").route->pattern, "/healthz");
  EXPECT_TRUE(r.match("HEAD", "/healthz").route);  // HEAD falls back to GET
}

TEST(Router, NotFoundAndMethodNotAllowed) {
  Router r;
  r.add("GET", "/a/{x}", ok);
  r.add("DELETE", "/a/{x}", ok);
  auto nf = r.match("GET", "/b");
  EXPECT_FALSE(nf.route);
  EXPECT_FALSE(nf.path_exists);
  auto na = r.match("POST", "/a/1");
  EXPECT_FALSE(na.route);
  EXPECT_TRUE(na.path_exists);
  EXPECT_EQ(na.allowed, (std::vector<std::string>{"DELETE", "GET"}));
  EXPECT_THROW(r.add("GET", "/a/{y}", ok), std::logic_error);
  EXPECT_THROW(r.add("GET", "/a/{x}", ok), std::logic_error);
}

TEST(TrustedProxies, OnlyConfiguredPeersAreBelieved) {
  auto t = TrustedProxies::parse({"10.0.0.0/8", "::1"});
  ASSERT_TRUE(t);
  EXPECT_TRUE(t->trusts("10.1.2.3"));
  EXPECT_TRUE(t->trusts("::1"));
  EXPECT_FALSE(t->trusts("11.0.0.1"));
  EXPECT_FALSE(t->trusts("127.0.0.1"));
  // Untrusted peer: its header is ignored.
  EXPECT_EQ(t->client_ip("192.0.2.1", "203.0.113.9"), "192.0.2.1");
  // Trusted peer: walk from the right past trusted hops.
  EXPECT_EQ(t->client_ip("10.0.0.1", "203.0.113.9, 10.0.0.7"), "203.0.113.9");
  // A client-forged left part is not believed past the first untrusted hop.
  EXPECT_EQ(t->client_ip("10.0.0.1", "1.1.1.1, 203.0.113.9"), "203.0.113.9");
  EXPECT_EQ(t->client_ip("10.0.0.1", "garbage"), "10.0.0.1");
  EXPECT_FALSE(TrustedProxies::parse({"10.0.0.0/33"}));
  EXPECT_FALSE(TrustedProxies::parse({"nonsense"}));
}

TEST(Metrics, RendersPrometheusText) {
  Metrics m;
  m.set_routes({"GET /healthz"});
  m.observe(0, "GET", 200, 0.0002);
  m.observe(0, "GET", 200, 0.003);
  m.observe(m.unmatched_slot(), "GET", 404, 0.0001);
  m.add_gauge_source([] {
    return std::vector<std::pair<std::string, double>>{{"gatehouse_store_pool_size", 8}};
  });
  const auto text = m.render();
  EXPECT_NE(text.find(R"(gatehouse_http_requests_total{route="GET /healthz",status="200"} 2)"),
            std::string::npos);
  EXPECT_NE(text.find(R"(gatehouse_http_requests_total{route="unmatched",status="404"} 1)"),
            std::string::npos);
  EXPECT_NE(text.find(R"(le="0.00025"} 1)"), std::string::npos);
  EXPECT_NE(text.find(R"(le="+Inf"} 2)"), std::string::npos);
  EXPECT_NE(text.find("gatehouse_store_pool_size 8"), std::string::npos);
}

}  // namespace
}  // namespace gh::http
