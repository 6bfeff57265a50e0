// The organization security policy: one typed, versioned document per organization, with the
// environment's document (organization_id empty) as defaults beneath it.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>

#include "core/result.h"

namespace gh::store {

struct PolicyDocument {
  std::string environment_id;
  std::string organization_id;  // empty: the environment's defaults
  nlohmann::json document = nlohmann::json::object();
  int64_t version = 0;  // 0: never written
  int64_t updated_at_ms = 0;
};

class PolicyRepository {
 public:
  virtual ~PolicyRepository() = default;
  // nullopt when never written.
  virtual Result<std::optional<PolicyDocument>> get(std::string_view environment_id,
                                                    std::string_view organization_id) = 0;
  // Creates (expected_version 0) or replaces when expected_version is current.
  virtual Result<PolicyDocument> put(const PolicyDocument& doc, int64_t expected_version) = 0;
};

}  // namespace gh::store
