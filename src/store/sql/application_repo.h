// SQL repository of applications, client secrets, resources and resource grants.
#pragma once

#include "store/applications.h"
#include "store/sql/sql_store.h"

namespace gh::store {

class SqlApplicationRepository final : public ApplicationRepository {
 public:
  explicit SqlApplicationRepository(SqlContext& ctx) : ctx_(ctx) {}
  Result<Application> create(const Application& app) override;
  Result<Application> get(std::string_view environment_id, std::string_view organization_id,
                          std::string_view id) override;
  Result<Application> find_by_client_id(std::string_view environment_id,
                                        std::string_view client_id) override;
  Result<PageOf<Application>> list(std::string_view environment_id,
                                   std::string_view organization_id, const Page& page) override;
  Result<Application> update(const Application& app) override;
  Result<Application> remove(std::string_view environment_id, std::string_view organization_id,
                             std::string_view id) override;

  Result<ClientSecret> add_secret(const ClientSecret& secret) override;
  Result<std::vector<ClientSecret>> list_secrets(std::string_view environment_id,
                                                 std::string_view organization_id,
                                                 std::string_view application_id) override;
  Result<ClientSecret> revoke_secret(std::string_view environment_id,
                                     std::string_view organization_id,
                                     std::string_view application_id, std::string_view secret_id,
                                     int64_t now_ms) override;

  Result<Resource> create_resource(const Resource& resource) override;
  Result<Resource> get_resource(std::string_view environment_id, std::string_view id) override;
  Result<Resource> find_resource(std::string_view environment_id,
                                 std::string_view identifier) override;
  Result<PageOf<Resource>> list_resources(std::string_view environment_id,
                                          const Page& page) override;
  Result<Resource> update_resource(const Resource& resource) override;
  Result<Resource> remove_resource(std::string_view environment_id, std::string_view id) override;

  Result<ResourceGrant> set_grant(const ResourceGrant& grant) override;
  Result<std::vector<ResourceGrant>> list_grants(std::string_view environment_id,
                                                 std::string_view organization_id,
                                                 std::string_view application_id) override;

 private:
  Result<Application> select_one(const std::string& where, const std::string& a,
                                 const std::string& b, const std::string& c);
  Result<Resource> select_resource(const std::string& column, const std::string& env,
                                   const std::string& value);
  SqlContext& ctx_;
};

}  // namespace gh::store
