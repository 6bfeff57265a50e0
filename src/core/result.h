// Result<T> = a value or an Error. libstdc++ 12 has no std::expected in C++20, so we use
// Debian's libexpected-dev (tl::expected), which has the same interface.
#pragma once

#include <tl/expected.hpp>

#include "core/error.h"

namespace gh {

template <class T>
using Result = tl::expected<T, Error>;

inline tl::unexpected<Error> fail(ErrorCode code, std::string message = {},
                                  std::string detail = {}) {
  return tl::unexpected<Error>(Error(code, std::move(message), std::move(detail)));
}
inline tl::unexpected<Error> fail(Error e) { return tl::unexpected<Error>(std::move(e)); }

}  // namespace gh
