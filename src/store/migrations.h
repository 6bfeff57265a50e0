// Versioned schema migrations for both engines. Written expand-then-contract so that nodes of
// version N and N+1 can share one database during a rolling upgrade:
//   - a release only ADDS (tables, nullable columns, indexes) and backfills;
//   - columns and tables are dropped, and NOT NULL added, only in a later release, once no
//     running version reads or writes them;
//   - so a node is ready when the database is at or above the version it needs (newer is fine).
#pragma once

#include <string>
#include <vector>

namespace gh::store {

struct Migration {
  int version;
  std::string description;
  std::vector<std::string> sqlite;    // statements, in order
  std::vector<std::string> postgres;  // statements, in order
};

const std::vector<Migration>& migrations();
// The highest version this binary knows (versions may be listed out of order while a lower one
// is still being written; migrate() applies every unrecorded one, lowest first).
inline int latest_migration() {
  int latest = 0;
  for (const auto& m : migrations()) latest = m.version > latest ? m.version : latest;
  return latest;
}

}  // namespace gh::store
