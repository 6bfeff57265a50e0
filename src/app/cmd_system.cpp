// `gatehouse version`, `migrate`, `config check`, `backup`, `restore`.
#include <sqlite3.h>

#include <filesystem>
#include <iostream>

#include "app/command_registry.h"
#include "app/options.h"
#include "store/migrations.h"

#ifndef GATEHOUSE_VERSION
#define GATEHOUSE_VERSION "0.0.0"
#endif

namespace gh::app {
namespace {

const std::vector<std::string> kStoreFlags = {"data_dir", "store", "log_level",
                                              "sqlite_synchronous"};

// SQLite online backup (https://sqlite.org/backup.html): consistent while the server runs.
Result<bool> sqlite_copy(const std::string& from, const std::string& to, bool to_must_exist) {
  sqlite3* src = nullptr;
  sqlite3* dst = nullptr;
  auto close_all = [&] {
    if (src) sqlite3_close(src);
    if (dst) sqlite3_close(dst);
  };
  if (sqlite3_open_v2(from.c_str(), &src, SQLITE_OPEN_READONLY, nullptr) != SQLITE_OK) {
    close_all();
    return fail(errc::StoreUnavailable, "cannot open " + from);
  }
  int flags = SQLITE_OPEN_READWRITE | (to_must_exist ? 0 : SQLITE_OPEN_CREATE);
  if (sqlite3_open_v2(to.c_str(), &dst, flags, nullptr) != SQLITE_OK) {
    close_all();
    return fail(errc::StoreUnavailable, "cannot open " + to);
  }
  sqlite3_busy_timeout(dst, 10000);
  sqlite3_busy_timeout(src, 10000);
  sqlite3_backup* backup = sqlite3_backup_init(dst, "main", src, "main");
  if (!backup) {
    std::string msg = sqlite3_errmsg(dst);
    close_all();
    return fail(errc::StoreUnavailable, "backup failed: " + msg);
  }
  int rc;
  do {
    rc = sqlite3_backup_step(backup, 256);
    if (rc == SQLITE_BUSY || rc == SQLITE_LOCKED) sqlite3_sleep(50);
  } while (rc == SQLITE_OK || rc == SQLITE_BUSY || rc == SQLITE_LOCKED);
  sqlite3_backup_finish(backup);
  const bool ok = rc == SQLITE_DONE;
  std::string msg = ok ? "" : sqlite3_errstr(rc);
  close_all();
  if (!ok) return fail(errc::StoreUnavailable, "backup failed: " + msg);
  return true;
}

Result<bool> is_gatehouse_database(const std::string& path) {
  sqlite3* db = nullptr;
  if (sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READONLY, nullptr) != SQLITE_OK) {
    sqlite3_close(db);
    return fail(errc::RequestInvalidParameter, path + " cannot be opened as SQLite");
  }
  sqlite3_stmt* stmt = nullptr;
  const bool ok = sqlite3_prepare_v2(db, "SELECT MAX(version) FROM schema_migrations", -1, &stmt,
                                     nullptr) == SQLITE_OK &&
                  sqlite3_step(stmt) == SQLITE_ROW;
  sqlite3_finalize(stmt);
  sqlite3_close(db);
  if (!ok) {
    return fail(errc::RequestInvalidParameter, path + " is not a Gatehouse backup");
  }
  return true;
}

std::string sqlite_path_or_exit(const Config& config, const char* what) {
  auto parsed = store::parse_store_url(config.store);
  if (!parsed) exit_with(parsed.error(), 2);
  if (parsed->first != store::Backend::sqlite) {
    exit_with(Error(errc::ConfigInvalid,
                    std::string(what) +
                        " works on the embedded SQLite store; for PostgreSQL use pg_dump / "
                        "pg_restore as docs/operations.md describes"),
              2);
  }
  return parsed->second;
}

}  // namespace

GATEHOUSE_REGISTER_COMMAND(system, [](CLI::App& root) {
  root.add_subcommand("version", "Print the version")->callback([] {
    std::cout << "gatehouse " << GATEHOUSE_VERSION << " (schema " << store::latest_migration()
              << ")\n";
  });

  {
    auto flags = std::make_shared<ConfigFlags>();
    auto* cmd = root.add_subcommand("migrate", "Apply pending schema migrations");
    add_config_flags(cmd, flags, kStoreFlags);
    cmd->callback([flags] {
      Config config = load_or_exit(*flags);
      auto store = open_store_or_exit(config, false);
      auto status = store->migrate();
      if (!status) exit_with(status.error(), 3);
      std::cout << "schema at version " << status->current << " (latest " << status->latest
                << ")\n";
    });
  }

  {
    auto* config_cmd = root.add_subcommand("config", "Inspect the configuration");
    config_cmd->require_subcommand(1);
    auto flags = std::make_shared<ConfigFlags>();
    auto* check = config_cmd->add_subcommand(
        "check", "Validate the configuration and print the effective settings");
    std::vector<std::string> all;
    for (const auto& s : config_settings()) all.push_back(s.name);
    add_config_flags(check, flags, all);
    check->callback([flags] {
      Config config = load_or_exit(*flags);
      std::cout << describe_config(config) << "\n";
    });
  }

  {
    auto flags = std::make_shared<ConfigFlags>();
    auto out = std::make_shared<std::string>();
    auto* cmd = root.add_subcommand("backup", "Copy the SQLite store to a file while it runs");
    add_config_flags(cmd, flags, kStoreFlags);
    cmd->add_option("--out", *out, "Backup file to write")->required();
    cmd->callback([flags, out] {
      Config config = load_or_exit(*flags);
      const std::string db = sqlite_path_or_exit(config, "backup");
      if (!std::filesystem::exists(db)) {
        exit_with(Error(errc::StoreUnavailable, "no store at " + db), 3);
      }
      if (std::filesystem::exists(*out)) {
        exit_with(Error(errc::RequestInvalidParameter, *out + " exists; not overwriting"));
      }
      auto r = sqlite_copy(db, *out, false);
      if (!r) exit_with(r.error(), 3);
      std::filesystem::permissions(
          *out, std::filesystem::perms::owner_read | std::filesystem::perms::owner_write);
      std::cout << "backup written to " << *out << "\n";
    });
  }

  {
    auto flags = std::make_shared<ConfigFlags>();
    auto from = std::make_shared<std::string>();
    auto* cmd = root.add_subcommand("restore", "Replace the SQLite store with a backup");
    add_config_flags(cmd, flags, kStoreFlags);
    cmd->add_option("--from", *from, "Backup file made by `gatehouse backup`")->required();
    cmd->callback([flags, from] {
      Config config = load_or_exit(*flags);
      const std::string db = sqlite_path_or_exit(config, "restore");
      auto valid = is_gatehouse_database(*from);
      if (!valid) exit_with(valid.error());
      std::error_code ec;
      std::filesystem::create_directories(std::filesystem::path(db).parent_path(), ec);
      auto r = sqlite_copy(*from, db, false);
      if (!r) exit_with(r.error(), 3);
      std::cout << "store restored from " << *from << "\n";
    });
  }
});

}  // namespace gh::app
