// Runs the Cedar integration-test corpus (../shared/cedar-integration-tests, Cedar 4.10): every
// request must match on decision, reason set and erroring-policy set. The generated corpus is
// split into 16 shards by the first hex digit of the case name so ctest can run them in parallel.
// Known disagreements live in exclusions.txt, one per line with its reason.
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>

#include "authz/cedar/authorizer.h"
#include "authz/cedar/cli.h"
#include "authz/cedar/parser.h"

namespace gh::cedar {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

std::string slurp(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// "<case> <request index or *>  # reason"
std::set<std::string> load_exclusions() {
  std::set<std::string> out;
  std::ifstream in(CEDAR_EXCLUSIONS_FILE);
  std::string line;
  while (std::getline(in, line)) {
    auto hash = line.find('#');
    std::string body = line.substr(0, hash);
    std::istringstream ls(body);
    std::string name, index;
    if (ls >> name >> index) out.insert(name + " " + index);
  }
  return out;
}

struct Tally {
  size_t requests = 0;
  size_t passed = 0;
  size_t excluded = 0;
  std::vector<std::string> failures;
};

std::set<std::string> as_set(const json& j) {
  std::set<std::string> out;
  if (j.is_array()) {
    for (const auto& s : j) out.insert(s.get<std::string>());
  }
  return out;
}

// Runs one test file; `root` is the folder its relative paths start from.
void run_case(const fs::path& file, const fs::path& root, const std::set<std::string>& exclusions,
              Tally& t) {
  json test = json::parse(slurp(file));
  std::string name = file.stem().string();
  if (file.parent_path().filename() != "corpus-tests") {
    name = file.parent_path().filename().string() + "/" + name;
  }
  const json& requests = test.contains("requests") ? test["requests"] : test["queries"];
  auto fail_all = [&](const std::string& why) {
    for (size_t i = 0; i < requests.size(); ++i) {
      ++t.requests;
      if (exclusions.count(name + " " + std::to_string(i)) || exclusions.count(name + " *")) {
        ++t.excluded;
      } else {
        t.failures.push_back(name + " #" + std::to_string(i) + ": " + why);
      }
    }
  };
  std::optional<Schema> schema;
  if (test.contains("schema") && test["schema"].is_string()) {
    auto s = parse_schema(slurp(root / test["schema"].get<std::string>()));
    if (!s) return fail_all("schema: " + s.error().describe());
    schema = std::move(*s);
  }
  auto policies = parse_policies(slurp(root / test["policies"].get<std::string>()));
  if (!policies) return fail_all("policies: " + policies.error().describe());
  auto entities = Entities::from_json_text(slurp(root / test["entities"].get<std::string>()),
                                           schema ? &*schema : nullptr);
  if (!entities) return fail_all("entities: " + entities.error().message);
  for (size_t i = 0; i < requests.size(); ++i) {
    const json& rq = requests[i];
    ++t.requests;
    std::string key = name + " " + std::to_string(i);
    bool excluded = exclusions.count(key) || exclusions.count(name + " *");
    auto req = request_from_json(rq, schema ? &*schema : nullptr);
    std::string problem;
    if (!req) {
      problem = "request: " + req.error().message;
    } else {
      Response r = is_authorized(*policies, *entities, *req);
      std::string want = rq["decision"].get<std::string>();
      std::transform(want.begin(), want.end(), want.begin(), ::tolower);
      std::string got = r.decision == Decision::kAllow ? "allow" : "deny";
      auto want_reasons = as_set(rq.contains("reason") ? rq["reason"] : rq["reasons"]);
      auto want_errors = as_set(rq["errors"]);
      std::set<std::string> got_reasons(r.reasons.begin(), r.reasons.end());
      std::set<std::string> got_errors;
      for (const auto& e : r.errors) got_errors.insert(e.policy_id);
      if (got != want || got_reasons != want_reasons || got_errors != want_errors) {
        std::ostringstream ss;
        ss << "decision " << got << " (want " << want << "), reasons " << json(got_reasons).dump()
           << " (want " << json(want_reasons).dump() << "), errors " << json(got_errors).dump()
           << " (want " << json(want_errors).dump() << ")";
        for (const auto& e : r.errors) ss << " [" << e.policy_id << ": " << e.message << "]";
        problem = ss.str();
      }
    }
    if (problem.empty()) {
      ++t.passed;
      if (excluded)
        t.failures.push_back(key + ": passes but is listed in exclusions.txt; remove it");
    } else if (excluded) {
      ++t.excluded;
    } else {
      t.failures.push_back(name + " #" + std::to_string(i) + ": " + problem);
    }
  }
}

void report(const Tally& t, const std::string& label) {
  std::cout << label << ": " << t.requests << " requests, " << t.passed << " passed, " << t.excluded
            << " excluded, " << t.failures.size() << " failed\n";
  for (size_t i = 0; i < t.failures.size() && i < 25; ++i) ADD_FAILURE() << t.failures[i];
  EXPECT_TRUE(t.failures.empty()) << t.failures.size() << " corpus failures";
}

class CorpusShard : public ::testing::TestWithParam<int> {};

TEST_P(CorpusShard, MatchesCedar410) {
  static const std::set<std::string> exclusions = load_exclusions();
  fs::path root = CEDAR_CORPUS_DIR;
  ASSERT_TRUE(fs::exists(root / "corpus-tests")) << "corpus not extracted at " << root;
  char shard = "0123456789abcdef"[GetParam()];
  std::vector<fs::path> files;
  for (const auto& entry : fs::directory_iterator(root / "corpus-tests")) {
    const auto& p = entry.path();
    if (p.extension() == ".json" && p.filename().string()[0] == shard &&
        p.filename().string().find(".entities.") == std::string::npos) {
      files.push_back(p);
    }
  }
  std::sort(files.begin(), files.end());
  Tally t;
  for (const auto& f : files) run_case(f, root, exclusions, t);
  report(t, std::string("shard ") + shard + " (" + std::to_string(files.size()) + " cases)");
}

INSTANTIATE_TEST_SUITE_P(Corpus, CorpusShard, ::testing::Range(0, 16));

TEST(CedarIntegrationTests, HandWritten) {
  static const std::set<std::string> exclusions = load_exclusions();
  fs::path root = CEDAR_SHARED_TESTS_DIR;
  Tally t;
  std::vector<fs::path> files;
  for (const auto& entry : fs::recursive_directory_iterator(root / "tests")) {
    if (entry.path().extension() == ".json") files.push_back(entry.path());
  }
  std::sort(files.begin(), files.end());
  ASSERT_FALSE(files.empty());
  for (const auto& f : files) run_case(f, root, exclusions, t);
  report(t, "hand-written (" + std::to_string(files.size()) + " files)");
}

}  // namespace
}  // namespace gh::cedar
