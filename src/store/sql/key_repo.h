// SQL repository of signing keys, data keys and key settings.
#pragma once

#include "store/keys.h"
#include "store/sql/sql_store.h"

namespace gh::store {

class SqlKeyRepository final : public KeyRepository {
 public:
  explicit SqlKeyRepository(SqlContext& ctx) : ctx_(ctx) {}

  Result<std::vector<SigningKeyRow>> list_signing_keys(std::string_view environment_id,
                                                       std::string_view organization_id) override;
  Result<void> insert_signing_key(const SigningKeyRow& row) override;
  Result<SigningKeyRow> set_signing_key_state(std::string_view environment_id,
                                              std::string_view organization_id,
                                              std::string_view kid, std::string_view state,
                                              int64_t now_ms) override;
  Result<void> delete_signing_key(std::string_view environment_id, std::string_view organization_id,
                                  std::string_view kid) override;
  Result<void> lock_issuer(std::string_view environment_id,
                           std::string_view organization_id) override;

  Result<DataKeyRow> find_data_key(std::string_view id) override;
  Result<std::optional<DataKeyRow>> find_active_data_key(std::string_view environment_id,
                                                         std::string_view organization_id) override;
  Result<void> insert_active_data_key(const DataKeyRow& row) override;
  Result<void> rewrap_data_key(std::string_view id, std::string_view kek_id,
                               std::string_view wrapped) override;
  Result<std::vector<DataKeyRow>> list_data_keys_by_kek(std::string_view kek_id) override;

  Result<std::optional<KeySettingsRow>> get_settings(std::string_view environment_id,
                                                     std::string_view organization_id) override;
  Result<KeySettingsRow> put_settings(const KeySettingsRow& row, int64_t expected_version) override;
  Result<std::vector<KeySettingsRow>> list_settings(std::string_view environment_id) override;

 private:
  Result<std::vector<DataKeyRow>> select_data_keys(const std::string& where, const std::string& a,
                                                   const std::string& b);
  SqlContext& ctx_;
};

}  // namespace gh::store
