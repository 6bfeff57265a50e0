// Organizations: the tenants. Each belongs to one environment; its id is the tenant key that
// leads every tenant-scoped row. Deletion is soft and restorable for 30 days.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"

namespace gh::store {

struct Organization {
  std::string id;  // UUIDv7
  std::string environment_id;
  std::string slug;
  std::string name;
  nlohmann::json metadata = nlohmann::json::object();
  std::string status = "active";  // active | suspended
  int64_t version = 1;
  int64_t created_at_ms = 0;
  int64_t updated_at_ms = 0;
  int64_t deleted_at_ms = 0;  // 0: not deleted
};

struct Page {
  std::string after;  // opaque cursor from a previous page ("" = start)
  int limit = 20;
};

template <class T>
struct PageOf {
  std::vector<T> items;
  std::string next;  // "" when this is the last page
};

constexpr int64_t kOrganizationRestoreWindowMs = 30LL * 24 * 3600 * 1000;

bool is_valid_slug(std::string_view slug);

class OrganizationRepository {
 public:
  virtual ~OrganizationRepository() = default;
  // tenant.slug_taken when the slug is used in this environment (deleted ones included until
  // purged, so that a restore never collides).
  virtual Result<Organization> create(const Organization& org) = 0;
  // tenant.not_found for unknown ids, ids of another environment, and deleted organizations
  // (unless include_deleted).
  virtual Result<Organization> get(std::string_view environment_id, std::string_view org_id,
                                   bool include_deleted = false) = 0;
  virtual Result<Organization> get_by_slug(std::string_view environment_id,
                                           std::string_view slug) = 0;
  // Ordered by id (time-ordered UUIDv7); `after` is the last id of the previous page.
  virtual Result<PageOf<Organization>> list(std::string_view environment_id, const Page& page,
                                            bool include_deleted = false) = 0;
  // Writes slug, name, metadata and status when `expected_version` is current.
  virtual Result<Organization> update(const Organization& org, int64_t expected_version) = 0;
  virtual Result<Organization> soft_delete(std::string_view environment_id, std::string_view org_id,
                                           int64_t now_ms) = 0;
  // tenant.not_found when not deleted or past the restore window.
  virtual Result<Organization> restore(std::string_view environment_id, std::string_view org_id,
                                       int64_t now_ms) = 0;
};

}  // namespace gh::store
