#include "http/libcurl.h"

#include <dlfcn.h>

#include <mutex>

namespace gh::http {

namespace {

constexpr const char* kLibrary = "libcurl.so.4";

Result<LibCurl> open_libcurl() {
  // Never closed: curl_global_cleanup is not safe while other threads may still use curl.
  void* handle = dlopen(kLibrary, RTLD_NOW | RTLD_LOCAL);
  if (!handle) {
    const char* why = dlerror();
    return fail(errc::ServerInternal,
                std::string("outbound HTTP needs ") + kLibrary +
                    ", which cannot be loaded (install libcurl4)",
                why ? why : "");
  }
  LibCurl curl;
#define GATEHOUSE_LIBCURL_RESOLVE(name)                                            \
  curl.name = reinterpret_cast<decltype(curl.name)>(dlsym(handle, "curl_" #name)); \
  if (!curl.name) {                                                                \
    return fail(errc::ServerInternal,                                              \
                std::string(kLibrary) + " has no curl_" #name " (too old?)");      \
  }
  GATEHOUSE_LIBCURL_FUNCTIONS(GATEHOUSE_LIBCURL_RESOLVE)
#undef GATEHOUSE_LIBCURL_RESOLVE
  if (const CURLcode rc = curl.global_init(CURL_GLOBAL_DEFAULT); rc != CURLE_OK) {
    return fail(errc::ServerInternal,
                std::string("curl_global_init failed: ") + curl.easy_strerror(rc));
  }
  return curl;
}

}  // namespace

Result<const LibCurl*> load_libcurl() {
  static std::once_flag once;
  static Result<LibCurl> loaded = fail(errc::ServerInternal);
  std::call_once(once, [] { loaded = open_libcurl(); });
  if (!loaded) return fail(loaded.error());
  return &*loaded;
}

}  // namespace gh::http
