// libpq, loaded on first use. Only PostgreSQL needs it, and it drags in ~25 libraries (Kerberos,
// LDAP, GnuTLS, ...) worth megabytes of resident memory, so a SQLite deployment should never
// map it. The first load() dlopen()s libpq.so.5 and resolves the functions below (thread-safe);
// every later call returns the same answer. <libpq-fe.h> still supplies the types.
#pragma once

#include <libpq-fe.h>

#include "core/result.h"

namespace gh::store {

// Exactly the libpq functions Gatehouse calls; add one here before using it.
#define GATEHOUSE_LIBPQ_FUNCTIONS(X) \
  X(PQconninfoParse)                 \
  X(PQconninfoFree)                  \
  X(PQconnectdbParams)               \
  X(PQstatus)                        \
  X(PQexec)                          \
  X(PQresultStatus)                  \
  X(PQclear)                         \
  X(PQsocket)                        \
  X(PQconsumeInput)                  \
  X(PQnotifies)                      \
  X(PQfreemem)                       \
  X(PQfinish)

// Call through the members: pq.PQexec(conn, "...") instead of PQexec(conn, "...").
struct LibPq {
#define GATEHOUSE_LIBPQ_MEMBER(name) decltype(&::name) name = nullptr;
  GATEHOUSE_LIBPQ_FUNCTIONS(GATEHOUSE_LIBPQ_MEMBER)
#undef GATEHOUSE_LIBPQ_MEMBER
};

// The loaded library, or store.unavailable naming what is missing (libpq.so.5 or a symbol).
Result<const LibPq*> load_libpq();

}  // namespace gh::store
