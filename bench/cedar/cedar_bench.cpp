// Cedar decisions per second and per-decision latency for the workload of
// ../shared/peers/peers/cedar-bench.mjs: 20 policies over a 3-level role hierarchy (tenant-admin
// in editor in viewer) with context (mfa, ip, risk), 16 entities, 4 rotating requests (2 allow,
// 2 deny). Entity lookup and the `in` closure are part of every decision.
//   BM_Authorize            pre-parsed policies, entities already in the store
//   BM_AuthorizeEntityJson  pre-parsed policies, the 16 entities parsed from JSON per decision
//                           (what cedar-wasm's statefulIsAuthorized does)
// Rates use wall-clock time (UseRealTime), like the node side, so a busy machine shows up in both.
#include <benchmark/benchmark.h>

#include <algorithm>
#include <chrono>
#include <nlohmann/json.hpp>
#include <vector>

#include "authz/cedar/authorizer.h"
#include "authz/cedar/cli.h"
#include "authz/cedar/parser.h"

namespace {

using namespace gh::cedar;
using nlohmann::json;

constexpr const char* kPolicies = R"(
@id("p01") permit(principal in Role::"viewer", action in [Action::"read", Action::"list"], resource)
  when { resource.tenant == principal.tenant };
@id("p02") permit(principal in Role::"editor", action in [Action::"create", Action::"update"], resource)
  when { resource.tenant == principal.tenant && context.mfa };
@id("p03") permit(principal in Role::"tenant-admin", action == Action::"delete", resource)
  when { resource.tenant == principal.tenant && context.mfa && context.ip.isInRange(ip("10.0.0.0/8")) };
@id("p04") permit(principal in Role::"tenant-admin", action in [Action::"share", Action::"manage"], resource in Folder::"root")
  when { context.mfa };
@id("p05") permit(principal, action in [Action::"read", Action::"update"], resource)
  when { resource has owner && resource.owner == principal };
@id("p06") permit(principal in Group::"auditors", action in [Action::"read", Action::"list"], resource)
  when { context.ip.isInRange(ip("192.168.0.0/16")) || context.ip.isInRange(ip("10.0.0.0/8")) };
@id("p07") permit(principal, action == Action::"read", resource)
  when { resource.classification == "public" };
@id("p08") permit(principal in Group::"engineering", action == Action::"read", resource in Folder::"eng")
  when { principal.department == "eng" };
@id("f01") forbid(principal, action, resource) when { principal.suspended };
@id("f02") forbid(principal, action, resource) unless { resource.tenant == principal.tenant || resource.classification == "public" };
@id("f03") forbid(principal, action, resource) when { resource.classification == "secret" && !context.mfa };
@id("f04") forbid(principal, action in [Action::"delete", Action::"manage"], resource) unless { context.ip.isInRange(ip("10.0.0.0/8")) };
@id("f05") forbid(principal, action == Action::"share", resource) when { resource.classification == "secret" };
@id("f06") forbid(principal, action, resource) when { context has risk && context.risk > 80 };
@id("a01") permit(principal in Role::"app-crm-user", action == Action::"invoke", resource == App::"crm");
@id("a02") permit(principal in Role::"app-hr-user", action == Action::"invoke", resource == App::"hr");
@id("a03") permit(principal in Role::"app-billing-user", action == Action::"invoke", resource == App::"billing") when { context.mfa };
@id("a04") permit(principal in Role::"viewer", action == Action::"invoke", resource == App::"wiki");
@id("a05") permit(principal in Role::"tenant-admin", action == Action::"invoke", resource is App);
@id("a06") forbid(principal, action == Action::"invoke", resource is App) when { resource.disabled };
)";

json uid(const char* type, const char* id) { return {{"type", type}, {"id", id}}; }
json ent(const char* type, const char* id, json attrs = json::object(),
         json parents = json::array()) {
  return {{"uid", uid(type, id)}, {"attrs", attrs}, {"parents", parents}};
}

json entities_json() {
  json t1 = {{"__entity", uid("Tenant", "t1")}}, t2 = {{"__entity", uid("Tenant", "t2")}};
  return json::array({
      ent("Tenant", "t1"),
      ent("Tenant", "t2"),
      ent("Role", "viewer"),
      ent("Role", "editor", json::object(), {uid("Role", "viewer")}),
      ent("Role", "tenant-admin", json::object(), {uid("Role", "editor")}),
      ent("Role", "app-crm-user"),
      ent("Role", "app-billing-user"),
      ent("Group", "engineering"),
      ent("Group", "auditors"),
      ent("User", "alice", {{"tenant", t1}, {"suspended", false}, {"department", "eng"}},
          {uid("Role", "tenant-admin"), uid("Group", "engineering"), uid("Role", "app-crm-user")}),
      ent("User", "bob", {{"tenant", t1}, {"suspended", false}, {"department", "sales"}},
          {uid("Role", "viewer"), uid("Role", "app-billing-user")}),
      ent("Folder", "root", {{"tenant", t1}, {"classification", "internal"}}),
      ent("Folder", "eng", {{"tenant", t1}, {"classification", "internal"}},
          {uid("Folder", "root")}),
      ent("Document", "d1",
          {{"tenant", t1},
           {"owner", {{"__entity", uid("User", "bob")}}},
           {"classification", "secret"}},
          {uid("Folder", "eng")}),
      ent("Document", "d2", {{"tenant", t2}, {"classification", "internal"}}),
      ent("App", "crm", {{"tenant", t1}, {"disabled", false}, {"classification", "internal"}}),
  });
}

json ipv(const char* s) { return {{"__extn", {{"fn", "ip"}, {"arg", s}}}}; }

struct Workload {
  PolicySet policies;
  Entities entities;
  json entity_doc;
  std::vector<Request> requests;
  std::vector<Decision> expected;

  Workload() {
    auto p = parse_policies(kPolicies);
    if (!p) throw std::runtime_error(p.error().describe());
    policies = std::move(*p);
    entity_doc = entities_json();
    auto e = Entities::from_json(entity_doc, nullptr);
    if (!e) throw std::runtime_error(e.error().message);
    entities = std::move(*e);
    json reqs = json::array({
        {{"principal", uid("User", "alice")},
         {"action", uid("Action", "delete")},
         {"resource", uid("Document", "d1")},
         {"context", {{"mfa", true}, {"ip", ipv("10.1.2.3")}, {"risk", 10}}}},
        {{"principal", uid("User", "bob")},
         {"action", uid("Action", "update")},
         {"resource", uid("Document", "d1")},
         {"context", {{"mfa", false}, {"ip", ipv("203.0.113.9")}, {"risk", 10}}}},
        {{"principal", uid("User", "bob")},
         {"action", uid("Action", "read")},
         {"resource", uid("Document", "d2")},
         {"context", {{"mfa", true}, {"ip", ipv("10.9.9.9")}, {"risk", 5}}}},
        {{"principal", uid("User", "alice")},
         {"action", uid("Action", "invoke")},
         {"resource", uid("App", "crm")},
         {"context", {{"mfa", true}, {"ip", ipv("10.1.2.3")}, {"risk", 20}}}},
    });
    for (const auto& r : reqs) requests.push_back(*request_from_json(r, nullptr));
    expected = {Decision::kAllow, Decision::kDeny, Decision::kDeny, Decision::kAllow};
    for (size_t i = 0; i < requests.size(); ++i) {
      if (is_authorized(policies, entities, requests[i]).decision != expected[i]) {
        throw std::runtime_error("sanity check failed for request " + std::to_string(i));
      }
    }
  }
};

const Workload& workload() {
  static const Workload w;
  return w;
}

template <class Fn>
void run_timed(benchmark::State& state, Fn&& decide) {
  std::vector<double> lat;
  lat.reserve(1 << 20);
  size_t i = 0;
  for (auto _ : state) {
    auto t0 = std::chrono::steady_clock::now();
    decide(i & 3);
    auto t1 = std::chrono::steady_clock::now();
    if (lat.size() < lat.capacity())
      lat.push_back(std::chrono::duration<double, std::micro>(t1 - t0).count());
    ++i;
  }
  std::sort(lat.begin(), lat.end());
  if (!lat.empty()) {
    state.counters["p50_us"] = lat[lat.size() / 2];
    state.counters["p99_us"] = lat[lat.size() * 99 / 100];
  }
  state.SetItemsProcessed(static_cast<int64_t>(i));
}

void BM_Authorize(benchmark::State& state) {
  const Workload& w = workload();
  run_timed(state, [&](size_t k) {
    Response r = is_authorized(w.policies, w.entities, w.requests[k]);
    benchmark::DoNotOptimize(r);
  });
}
BENCHMARK(BM_Authorize)->MinTime(3.0)->UseRealTime();

void BM_AuthorizeEntityJson(benchmark::State& state) {
  const Workload& w = workload();
  run_timed(state, [&](size_t k) {
    auto es = Entities::from_json(w.entity_doc, nullptr);
    Response r = is_authorized(w.policies, *es, w.requests[k]);
    benchmark::DoNotOptimize(r);
  });
}
BENCHMARK(BM_AuthorizeEntityJson)->MinTime(3.0)->UseRealTime();

}  // namespace

BENCHMARK_MAIN();
