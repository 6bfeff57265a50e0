// SQL repositories of connections, login transactions and login traces.
#pragma once

#include "store/connections.h"
#include "store/sql/sql_store.h"

namespace gh::store {

class SqlConnectionRepository final : public ConnectionRepository {
 public:
  explicit SqlConnectionRepository(SqlContext& ctx) : ctx_(ctx) {}
  Result<Connection> create(const Connection& c) override;
  Result<Connection> get(std::string_view environment_id, std::string_view organization_id,
                         std::string_view id) override;
  Result<std::vector<Connection>> list(std::string_view environment_id,
                                       std::string_view organization_id) override;
  Result<Connection> update(const Connection& c, int64_t expected_version) override;
  Result<Connection> remove(std::string_view environment_id, std::string_view organization_id,
                            std::string_view id) override;
  Result<std::vector<Connection>> list_of_type(std::string_view type, std::string_view status,
                                               std::string_view after_id, int limit) override;
  Result<LoginTransaction> create_transaction(const LoginTransaction& t) override;
  Result<LoginTransaction> get_transaction(std::string_view environment_id,
                                           std::string_view organization_id, std::string_view id,
                                           int64_t now_ms) override;
  Result<LoginTransaction> finish_transaction(std::string_view environment_id,
                                              std::string_view organization_id, std::string_view id,
                                              int64_t now_ms) override;
  Result<int64_t> purge_transactions(int64_t before_ms) override;

 private:
  bool name_taken(const Connection& c);
  SqlContext& ctx_;
};

class SqlLoginTraceRepository final : public LoginTraceRepository {
 public:
  explicit SqlLoginTraceRepository(SqlContext& ctx) : ctx_(ctx) {}
  Result<LoginTrace> put(const LoginTrace& t) override;
  Result<LoginTrace> get(std::string_view environment_id, std::string_view organization_id,
                         std::string_view request_id, int64_t now_ms) override;
  Result<int64_t> purge_expired(int64_t now_ms) override;

 private:
  SqlContext& ctx_;
};

}  // namespace gh::store
