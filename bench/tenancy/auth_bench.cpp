// API-key authentication overhead per request: the HMAC-SHA-256 check alone, and the whole
// TenancyService::authenticate (parse, cached key lookup, constant-time compare, state checks).
#include <benchmark/benchmark.h>

#include <filesystem>

#include "store/store.h"
#include "tenancy/service.h"

namespace {

void BM_SecretHash(benchmark::State& state) {
  gh::tenancy::SecretHasher hasher(std::string(64, 'p'));
  const auto issued = gh::tenancy::issue_secret(gh::tenancy::kApiKeyPrefix, hasher);
  for (auto _ : state) {
    benchmark::DoNotOptimize(hasher.matches(issued.token, issued.hash));
  }
}
BENCHMARK(BM_SecretHash);

void BM_Authenticate(benchmark::State& state) {
  const auto dir = std::filesystem::temp_directory_path() / "gatehouse-auth-bench";
  std::filesystem::remove_all(dir);
  gh::store::StoreOptions options;
  options.url = "sqlite:" + (dir / "gatehouse.db").string();
  options.sqlite_synchronous = "normal";
  auto store = gh::store::open_store(options);
  (void)(*store)->migrate();
  auto env = (*store)->transact<gh::store::Environment>(
      [](gh::store::Repositories& r) { return r.environments().create({.name = "bench"}); });
  gh::tenancy::TenancyService service(**store, gh::tenancy::SecretHasher(std::string(64, 'p')));
  auto issued = service.create_api_key(*env, {"bench", "admin", "", 0}, {});
  const std::string header = "Bearer " + issued->token;
  for (auto _ : state) {
    auto p = service.authenticate(header);
    if (!p) state.SkipWithError("authentication failed");
    benchmark::DoNotOptimize(p);
  }
  std::filesystem::remove_all(dir);
}
BENCHMARK(BM_Authenticate);

}  // namespace

BENCHMARK_MAIN();
