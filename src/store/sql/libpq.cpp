#include "store/sql/libpq.h"

#include <dlfcn.h>

#include <mutex>

namespace gh::store {

namespace {

constexpr const char* kLibrary = "libpq.so.5";

Result<LibPq> open_libpq() {
  // Never closed: PostgreSQL connections live until exit.
  void* handle = dlopen(kLibrary, RTLD_NOW | RTLD_LOCAL);
  if (!handle) {
    const char* why = dlerror();
    return fail(errc::StoreUnavailable,
                std::string("PostgreSQL needs the client library ") + kLibrary +
                    ", which cannot be loaded (install libpq5)",
                why ? why : "");
  }
  LibPq pq;
#define GATEHOUSE_LIBPQ_RESOLVE(name)                                                              \
  pq.name = reinterpret_cast<decltype(pq.name)>(dlsym(handle, #name));                             \
  if (!pq.name) {                                                                                  \
    return fail(errc::StoreUnavailable, std::string("the PostgreSQL client library ") + kLibrary + \
                                            " has no " #name " (too old?)");                       \
  }
  GATEHOUSE_LIBPQ_FUNCTIONS(GATEHOUSE_LIBPQ_RESOLVE)
#undef GATEHOUSE_LIBPQ_RESOLVE
  return pq;
}

}  // namespace

Result<const LibPq*> load_libpq() {
  static std::once_flag once;
  static Result<LibPq> loaded = fail(errc::StoreUnavailable);
  std::call_once(once, [] { loaded = open_libpq(); });
  if (!loaded) return fail(loaded.error());
  return &*loaded;
}

}  // namespace gh::store
