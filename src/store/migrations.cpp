#include "store/migrations.h"

namespace gh::store {

// Never edit a released migration; add a new one. Keep SQL in the subset both engines share
// (TEXT, BIGINT, ON CONFLICT, RETURNING); times are epoch milliseconds.
const std::vector<Migration>& migrations() {
  static const std::vector<Migration> all = [] {
    std::vector<Migration> m;
    const std::vector<std::string> v1 = {
        R"(CREATE TABLE environments (
             id TEXT PRIMARY KEY,
             name TEXT NOT NULL UNIQUE,
             display_name TEXT NOT NULL,
             kind TEXT NOT NULL,
             version BIGINT NOT NULL,
             created_at BIGINT NOT NULL,
             updated_at BIGINT NOT NULL))",
    };
    m.push_back({1, "environments", v1, v1});
    return m;
  }();
  return all;
}

}  // namespace gh::store
