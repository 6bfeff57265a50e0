// libcurl, loaded on first use. Only outbound calls (webhook deliveries) need it, and it drags
// in ~20 libraries (GnuTLS, Kerberos, LDAP, SSH, ...) worth megabytes of resident memory, so a
// server that sends nothing should never map it. The first load_libcurl() dlopen()s
// libcurl.so.4, resolves the functions below and runs curl_global_init (thread-safe); every
// later call returns the same answer. <curl/curl.h> still supplies the types and constants.
#pragma once

#include <curl/curl.h>

#include "core/result.h"

namespace gh::http {

// Exactly the curl_* functions Gatehouse calls, without their curl_ prefix (curl.h defines
// curl_easy_setopt and curl_easy_getinfo as macros, which would rewrite a member call of the
// same name); add one here before using it.
#define GATEHOUSE_LIBCURL_FUNCTIONS(X) \
  X(global_init)                       \
  X(easy_init)                         \
  X(easy_cleanup)                      \
  X(easy_reset)                        \
  X(easy_setopt)                       \
  X(easy_perform)                      \
  X(easy_getinfo)                      \
  X(easy_strerror)                     \
  X(slist_append)                      \
  X(slist_free_all)

// Call through the members: curl.easy_perform(c) instead of curl_easy_perform(c).
struct LibCurl {
#define GATEHOUSE_LIBCURL_MEMBER(name) decltype(&::curl_##name) name = nullptr;
  GATEHOUSE_LIBCURL_FUNCTIONS(GATEHOUSE_LIBCURL_MEMBER)
#undef GATEHOUSE_LIBCURL_MEMBER
};

// The loaded and initialized library, or an error naming what is missing.
Result<const LibCurl*> load_libcurl();

}  // namespace gh::http
