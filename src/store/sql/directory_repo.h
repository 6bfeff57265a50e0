// SQL repository of SCIM directories, tokens, resources, memberships and the request log.
#pragma once

#include "store/directories.h"
#include "store/sql/sql_store.h"

namespace gh::store {

class SqlDirectoryRepository final : public DirectoryRepository {
 public:
  explicit SqlDirectoryRepository(SqlContext& ctx) : ctx_(ctx) {}
  Result<Directory> create(const Directory& d) override;
  Result<Directory> get(std::string_view environment_id, std::string_view organization_id,
                        std::string_view id) override;
  Result<std::vector<Directory>> list(std::string_view environment_id,
                                      std::string_view organization_id) override;
  Result<Directory> set_status(std::string_view environment_id, std::string_view organization_id,
                               std::string_view id, std::string_view status,
                               int64_t now_ms) override;
  Result<Directory> remove(std::string_view environment_id, std::string_view organization_id,
                           std::string_view id) override;
  Result<DirectoryToken> add_token(const DirectoryToken& t) override;
  Result<std::vector<DirectoryToken>> list_tokens(std::string_view environment_id,
                                                  std::string_view organization_id,
                                                  std::string_view directory_id) override;
  Result<DirectoryToken> revoke_token(std::string_view environment_id,
                                      std::string_view organization_id,
                                      std::string_view directory_id, std::string_view token_id,
                                      int64_t now_ms) override;
  Result<std::optional<DirectoryToken>> find_token(std::string_view lookup) override;
  Result<bool> touch_token(std::string_view organization_id, std::string_view token_id,
                           int64_t now_ms) override;
  Result<ScimResource> create_resource(const ScimResource& r) override;
  Result<ScimResource> get_resource(std::string_view environment_id,
                                    std::string_view organization_id, std::string_view directory_id,
                                    std::string_view type, std::string_view id) override;
  Result<std::vector<ScimResource>> find_resources(std::string_view environment_id,
                                                   std::string_view organization_id,
                                                   std::string_view directory_id,
                                                   std::string_view type, ScimIndex index,
                                                   std::string_view value) override;
  Result<std::vector<ScimResource>> scan_resources(std::string_view environment_id,
                                                   std::string_view organization_id,
                                                   std::string_view directory_id,
                                                   std::string_view type, std::string_view after_id,
                                                   int limit) override;
  Result<std::vector<ScimResource>> page_resources(std::string_view environment_id,
                                                   std::string_view organization_id,
                                                   std::string_view directory_id,
                                                   std::string_view type, int64_t offset,
                                                   int limit) override;
  Result<int64_t> count_resources(std::string_view environment_id, std::string_view organization_id,
                                  std::string_view directory_id, std::string_view type) override;
  Result<ScimResource> update_resource(const ScimResource& r, int64_t expected_version) override;
  Result<ScimResource> delete_resource(std::string_view environment_id,
                                       std::string_view organization_id,
                                       std::string_view directory_id, std::string_view type,
                                       std::string_view id) override;
  Result<std::vector<std::string>> members(std::string_view organization_id,
                                           std::string_view directory_id,
                                           std::string_view group_id) override;
  Result<bool> add_member(std::string_view environment_id, std::string_view organization_id,
                          std::string_view directory_id, std::string_view group_id,
                          std::string_view member_id) override;
  Result<bool> remove_member(std::string_view organization_id, std::string_view directory_id,
                             std::string_view group_id, std::string_view member_id) override;
  Result<std::vector<std::pair<std::string, std::string>>> groups_of(
      std::string_view organization_id, std::string_view directory_id,
      std::string_view member_id) override;
  Result<std::string> query_plan(std::string_view environment_id, std::string_view organization_id,
                                 std::string_view directory_id, std::string_view type,
                                 ScimIndex index, std::string_view value) override;
  Result<std::vector<ScimResource>> resources_of_user(std::string_view environment_id,
                                                      std::string_view organization_id,
                                                      std::string_view user_id) override;
  Result<int64_t> append_log(const ScimRequestLogEntry& e) override;
  Result<std::vector<ScimRequestLogEntry>> list_log(std::string_view environment_id,
                                                    std::string_view organization_id,
                                                    std::string_view directory_id,
                                                    int64_t before_seq, int limit) override;
  Result<std::vector<ScimRequestLogEntry>> list_failures(std::string_view environment_id,
                                                         std::string_view organization_id,
                                                         std::string_view directory_id,
                                                         int64_t before_seq, int limit) override;
  Result<DirectoryCounts> counts(std::string_view environment_id, std::string_view organization_id,
                                 std::string_view directory_id, int64_t untouched_before_ms,
                                 int64_t failed_since_ms) override;
  Result<std::vector<ScimResource>> untouched_users(std::string_view environment_id,
                                                    std::string_view organization_id,
                                                    std::string_view directory_id,
                                                    int64_t before_ms, int limit) override;
  Result<std::vector<ScimUserDrift>> drifted_users(std::string_view environment_id,
                                                   std::string_view organization_id,
                                                   std::string_view directory_id,
                                                   int limit) override;
  Result<int64_t> record_deactivation(const ScimDeactivation& d) override;
  Result<std::vector<ScimDeactivation>> list_deactivations(std::string_view environment_id,
                                                           std::string_view organization_id,
                                                           std::string_view directory_id,
                                                           int limit) override;
  Result<bool> set_link_rule(std::string_view environment_id, std::string_view organization_id,
                             std::string_view connection_id, std::string_view rule,
                             int64_t now_ms) override;
  Result<std::string> link_rule(std::string_view environment_id, std::string_view organization_id,
                                std::string_view connection_id) override;

 private:
  SqlContext& ctx_;
};

}  // namespace gh::store
