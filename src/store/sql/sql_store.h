// Internals shared by the SQL repositories (not part of the store interface).
#pragma once

#include <soci/soci.h>

#include "core/clock.h"
#include "store/store.h"

namespace gh::store {

struct SqlContext {
  soci::session& sql;
  Backend backend;
  const Clock& clock;
};

bool is_constraint_violation(const soci::soci_error& e);

}  // namespace gh::store
