#include "store/sql/key_repo.h"

#include "core/encoding.h"
#include "crypto/error_codes.h"

namespace gh::store {

namespace {

constexpr const char* kSigningColumns =
    "environment_id, organization_id, kid, alg, use_, state, public_jwk, private_sealed, "
    "state_since, created_at";

Error signing_key_not_found(std::string_view kid) {
  return Error(errc::KeyNotFound, "No signing key '" + std::string(kid) + "' on this issuer");
}

// Binary values (sealed keys, wrapped data keys) are stored as base64 text: both backends
// compare and copy text the same way.
std::string decode_stored(const std::string& text) {
  auto bytes = base64_decode(text);
  return bytes ? *bytes : std::string();
}

}  // namespace

Result<std::vector<SigningKeyRow>> SqlKeyRepository::list_signing_keys(
    std::string_view environment_id, std::string_view organization_id) {
  std::vector<SigningKeyRow> out;
  SigningKeyRow r;
  std::string sealed;
  long long since = 0, created = 0;
  const std::string env(environment_id), org(organization_id);
  soci::statement st =
      (ctx_.sql.prepare << "SELECT " << kSigningColumns
                        << " FROM signing_keys WHERE organization_id = :org AND environment_id = "
                           ":env ORDER BY created_at, kid",
       soci::use(org), soci::use(env), soci::into(r.environment_id), soci::into(r.organization_id),
       soci::into(r.kid), soci::into(r.alg), soci::into(r.use), soci::into(r.state),
       soci::into(r.public_jwk), soci::into(sealed), soci::into(since), soci::into(created));
  st.execute();
  while (st.fetch()) {
    SigningKeyRow row = r;
    row.private_sealed = decode_stored(sealed);
    row.state_since_ms = since;
    row.created_at_ms = created;
    out.push_back(std::move(row));
  }
  return out;
}

Result<void> SqlKeyRepository::insert_signing_key(const SigningKeyRow& row) {
  const std::string sealed = base64_encode(row.private_sealed);
  long long since = row.state_since_ms, created = row.created_at_ms;
  try {
    ctx_.sql << "INSERT INTO signing_keys (" << kSigningColumns
             << ") VALUES (:env, :org, :kid, :alg, :use, :state, :pub, :priv, :since, :created)",
        soci::use(row.environment_id), soci::use(row.organization_id), soci::use(row.kid),
        soci::use(row.alg), soci::use(row.use), soci::use(row.state), soci::use(row.public_jwk),
        soci::use(sealed), soci::use(since), soci::use(created);
  } catch (const soci::soci_error& e) {
    if (!is_constraint_violation(e)) throw;
    return fail(errc::KeyAlreadyExists, "A signing key '" + row.kid + "' already exists");
  }
  return {};
}

Result<SigningKeyRow> SqlKeyRepository::set_signing_key_state(std::string_view environment_id,
                                                              std::string_view organization_id,
                                                              std::string_view kid,
                                                              std::string_view state,
                                                              int64_t now_ms) {
  const std::string env(environment_id), org(organization_id), k(kid), s(state);
  long long now = now_ms;
  soci::statement st =
      (ctx_.sql.prepare << "UPDATE signing_keys SET state = :s, state_since = :now WHERE "
                           "organization_id = :org AND environment_id = :env AND kid = :kid",
       soci::use(s), soci::use(now), soci::use(org), soci::use(env), soci::use(k));
  st.execute(true);
  if (st.get_affected_rows() == 0) return fail(signing_key_not_found(kid));
  auto rows = list_signing_keys(environment_id, organization_id);
  if (!rows) return fail(rows.error());
  for (auto& r : *rows) {
    if (r.kid == kid) return r;
  }
  return fail(signing_key_not_found(kid));
}

Result<void> SqlKeyRepository::delete_signing_key(std::string_view environment_id,
                                                  std::string_view organization_id,
                                                  std::string_view kid) {
  const std::string env(environment_id), org(organization_id), k(kid);
  soci::statement st =
      (ctx_.sql.prepare << "DELETE FROM signing_keys WHERE organization_id = :org AND "
                           "environment_id = :env AND kid = :kid",
       soci::use(org), soci::use(env), soci::use(k));
  st.execute(true);
  if (st.get_affected_rows() == 0) return fail(signing_key_not_found(kid));
  return {};
}

Result<void> SqlKeyRepository::lock_issuer(std::string_view environment_id,
                                           std::string_view organization_id) {
  if (ctx_.backend != Backend::postgres) return {};
  const std::string key =
      "signing_keys/" + std::string(environment_id) + "/" + std::string(organization_id);
  ctx_.sql << "SELECT pg_advisory_xact_lock(hashtextextended(:k, 0))", soci::use(key);
  return {};
}

Result<std::vector<DataKeyRow>> SqlKeyRepository::select_data_keys(const std::string& where,
                                                                   const std::string& a,
                                                                   const std::string& b) {
  std::vector<DataKeyRow> out;
  DataKeyRow r;
  std::string wrapped;
  int active = 0;
  long long created = 0;
  soci::statement st =
      (ctx_.sql.prepare << "SELECT id, environment_id, organization_id, kek_id, wrapped, active, "
                           "created_at FROM data_keys WHERE "
                        << where << " ORDER BY created_at, id",
       soci::use(a), soci::use(b), soci::into(r.id), soci::into(r.environment_id),
       soci::into(r.organization_id), soci::into(r.kek_id), soci::into(wrapped), soci::into(active),
       soci::into(created));
  st.execute();
  while (st.fetch()) {
    DataKeyRow row = r;
    row.wrapped = decode_stored(wrapped);
    row.active = active != 0;
    row.created_at_ms = created;
    out.push_back(std::move(row));
  }
  return out;
}

Result<DataKeyRow> SqlKeyRepository::find_data_key(std::string_view id) {
  auto rows = select_data_keys("id = :a AND :b = ''", std::string(id), "");
  if (!rows) return fail(rows.error());
  if (rows->empty()) {
    return fail(errc::CryptoDataKeyNotFound, "No data key '" + std::string(id) + "'");
  }
  return rows->front();
}

Result<std::optional<DataKeyRow>> SqlKeyRepository::find_active_data_key(
    std::string_view environment_id, std::string_view organization_id) {
  auto rows = select_data_keys("organization_id = :a AND environment_id = :b AND active = 1",
                               std::string(organization_id), std::string(environment_id));
  if (!rows) return fail(rows.error());
  if (rows->empty()) return std::optional<DataKeyRow>();
  return std::optional<DataKeyRow>(rows->back());
}

Result<void> SqlKeyRepository::insert_active_data_key(const DataKeyRow& row) {
  ctx_.sql << "UPDATE data_keys SET active = 0 WHERE organization_id = :org AND environment_id = "
              ":env AND active = 1",
      soci::use(row.organization_id), soci::use(row.environment_id);
  const std::string wrapped = base64_encode(row.wrapped);
  long long created = row.created_at_ms;
  ctx_.sql << "INSERT INTO data_keys (id, environment_id, organization_id, kek_id, wrapped, "
              "active, created_at) VALUES (:id, :env, :org, :kek, :w, 1, :c)",
      soci::use(row.id), soci::use(row.environment_id), soci::use(row.organization_id),
      soci::use(row.kek_id), soci::use(wrapped), soci::use(created);
  return {};
}

Result<void> SqlKeyRepository::rewrap_data_key(std::string_view id, std::string_view kek_id,
                                               std::string_view wrapped) {
  const std::string i(id), k(kek_id), w = base64_encode(wrapped);
  soci::statement st = (ctx_.sql.prepare << "UPDATE data_keys SET kek_id = :k, wrapped = :w "
                                            "WHERE id = :id",
                        soci::use(k), soci::use(w), soci::use(i));
  st.execute(true);
  if (st.get_affected_rows() == 0) {
    return fail(errc::CryptoDataKeyNotFound, "No data key '" + i + "'");
  }
  return {};
}

Result<std::vector<DataKeyRow>> SqlKeyRepository::list_data_keys_by_kek(std::string_view kek_id) {
  return select_data_keys("kek_id = :a AND :b = ''", std::string(kek_id), "");
}

Result<std::optional<KeySettingsRow>> SqlKeyRepository::get_settings(
    std::string_view environment_id, std::string_view organization_id) {
  KeySettingsRow r;
  long long version = 0, updated = 0;
  const std::string env(environment_id), org(organization_id);
  ctx_.sql << "SELECT environment_id, organization_id, settings, version, updated_at FROM "
              "key_settings WHERE organization_id = :org AND environment_id = :env",
      soci::use(org), soci::use(env), soci::into(r.environment_id), soci::into(r.organization_id),
      soci::into(r.settings), soci::into(version), soci::into(updated);
  if (!ctx_.sql.got_data()) return std::optional<KeySettingsRow>();
  r.version = version;
  r.updated_at_ms = updated;
  return std::optional<KeySettingsRow>(r);
}

Result<KeySettingsRow> SqlKeyRepository::put_settings(const KeySettingsRow& in,
                                                      int64_t expected_version) {
  KeySettingsRow r = in;
  r.updated_at_ms = ctx_.clock.now_ms();
  r.version = expected_version + 1;
  long long version = r.version, expected = expected_version, at = r.updated_at_ms;
  if (expected_version == 0) {
    try {
      ctx_.sql << "INSERT INTO key_settings (organization_id, environment_id, settings, version, "
                  "updated_at) VALUES (:org, :env, :s, :v, :u)",
          soci::use(r.organization_id), soci::use(r.environment_id), soci::use(r.settings),
          soci::use(version), soci::use(at);
    } catch (const soci::soci_error& e) {
      if (!is_constraint_violation(e)) throw;
      return fail(errc::RequestPreconditionFailed,
                  "The key settings were changed by someone else; read them again");
    }
    return r;
  }
  soci::statement st =
      (ctx_.sql.prepare << "UPDATE key_settings SET settings = :s, version = :v, updated_at = :u "
                           "WHERE organization_id = :org AND environment_id = :env AND version = "
                           ":expected",
       soci::use(r.settings), soci::use(version), soci::use(at), soci::use(r.organization_id),
       soci::use(r.environment_id), soci::use(expected));
  st.execute(true);
  if (st.get_affected_rows() == 0) {
    return fail(errc::RequestPreconditionFailed,
                "The key settings were changed by someone else; read them again");
  }
  return r;
}

Result<std::vector<KeySettingsRow>> SqlKeyRepository::list_settings(
    std::string_view environment_id) {
  std::vector<KeySettingsRow> out;
  KeySettingsRow r;
  long long version = 0, updated = 0;
  const std::string env(environment_id);
  soci::statement st =
      (ctx_.sql.prepare << "SELECT environment_id, organization_id, settings, version, updated_at "
                           "FROM key_settings WHERE environment_id = :env ORDER BY organization_id",
       soci::use(env), soci::into(r.environment_id), soci::into(r.organization_id),
       soci::into(r.settings), soci::into(version), soci::into(updated));
  st.execute();
  while (st.fetch()) {
    KeySettingsRow row = r;
    row.version = version;
    row.updated_at_ms = updated;
    out.push_back(std::move(row));
  }
  return out;
}

}  // namespace gh::store
