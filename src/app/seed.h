// `gatehouse seed-demo` runs these steps in order. Each step adds what it owns to the demo
// record if it is not there yet: secrets are created once and kept in DIR/demo.json (0600);
// derived values (issuer URLs) are recomputed from the current public_url on every run.
#pragma once

#include <functional>
#include <nlohmann/json.hpp>
#include <vector>

#include "core/config.h"
#include "store/store.h"

namespace gh::app {

struct SeedContext {
  const Config& config;
  store::Store& store;
  nlohmann::json& demo;  // the record; steps add fields
};

struct SeedStep {
  int order;  // 100: environment, 200: organization & API key, 300: application, ...
  const char* name;
  std::function<Result<bool>(SeedContext&)> run;
};

std::vector<SeedStep>& seed_steps();

struct RegisterSeedStep {
  explicit RegisterSeedStep(SeedStep step) { seed_steps().push_back(std::move(step)); }
};

}  // namespace gh::app
