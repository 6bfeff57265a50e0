// SQL repositories of the tenancy tables: organizations, API keys, audit records, policies.
#pragma once

#include "store/api_keys.h"
#include "store/audit.h"
#include "store/organizations.h"
#include "store/policies.h"
#include "store/sql/sql_store.h"

namespace gh::store {

class SqlOrganizationRepository final : public OrganizationRepository {
 public:
  explicit SqlOrganizationRepository(SqlContext& ctx) : ctx_(ctx) {}
  Result<Organization> create(const Organization& org) override;
  Result<Organization> get(std::string_view environment_id, std::string_view org_id,
                           bool include_deleted) override;
  Result<Organization> get_by_slug(std::string_view environment_id, std::string_view slug) override;
  Result<PageOf<Organization>> list(std::string_view environment_id, const Page& page,
                                    bool include_deleted) override;
  Result<Organization> update(const Organization& org, int64_t expected_version) override;
  Result<Organization> soft_delete(std::string_view environment_id, std::string_view org_id,
                                   int64_t now_ms) override;
  Result<Organization> restore(std::string_view environment_id, std::string_view org_id,
                               int64_t now_ms) override;

 private:
  SqlContext& ctx_;
};

class SqlApiKeyRepository final : public ApiKeyRepository {
 public:
  explicit SqlApiKeyRepository(SqlContext& ctx) : ctx_(ctx) {}
  Result<ApiKey> create(const ApiKey& key) override;
  Result<std::optional<ApiKey>> find_by_lookup(std::string_view lookup) override;
  Result<std::vector<ApiKey>> list(std::string_view environment_id,
                                   std::string_view organization_id) override;
  Result<ApiKey> get(std::string_view environment_id, std::string_view organization_id,
                     std::string_view key_id) override;
  Result<ApiKey> revoke(std::string_view environment_id, std::string_view organization_id,
                        std::string_view key_id, int64_t now_ms) override;

 private:
  SqlContext& ctx_;
};

class SqlAuditRepository final : public AuditRepository {
 public:
  explicit SqlAuditRepository(SqlContext& ctx) : ctx_(ctx) {}
  Result<int64_t> append(const AuditRecord& record) override;
  Result<std::vector<AuditRecord>> list(std::string_view environment_id,
                                        std::string_view organization_id, int64_t after,
                                        int limit) override;

 private:
  SqlContext& ctx_;
};

class SqlPolicyRepository final : public PolicyRepository {
 public:
  explicit SqlPolicyRepository(SqlContext& ctx) : ctx_(ctx) {}
  Result<std::optional<PolicyDocument>> get(std::string_view environment_id,
                                            std::string_view organization_id) override;
  Result<PolicyDocument> put(const PolicyDocument& doc, int64_t expected_version) override;

 private:
  SqlContext& ctx_;
};

}  // namespace gh::store
