#include "core/blocking.h"

namespace gh {

namespace {
thread_local bool t_fast_path = false;
}

bool on_fast_path() noexcept { return t_fast_path; }

FastPathScope::FastPathScope() noexcept { t_fast_path = true; }
FastPathScope::~FastPathScope() { t_fast_path = false; }

}  // namespace gh
