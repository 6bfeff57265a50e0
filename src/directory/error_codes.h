// The directory module's error codes as gh::errc constants (see core/error.h).
#pragma once

#include "core/error.h"

namespace gh::errc {
#define GATEHOUSE_ERROR(name, code, status, title) \
  inline constexpr ErrorInfo name{code, status, title};
#include "directory/errors.def"
#undef GATEHOUSE_ERROR
}  // namespace gh::errc
