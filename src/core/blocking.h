// The fast path: a route may be tried first on its I/O thread, where nothing may block. Code
// that would block (a store transaction, an outbound HTTP request) calls may_block(), which on
// the fast path throws WouldBlock; the server then runs the handler again, from the start, on
// the worker pool. A handler that warm caches answer entirely (the token endpoint for a cached
// client, introspection of a verified token, discovery, JWKS) thus never pays for the hand-off
// to a worker thread and back.
//
// A fast-path handler must not change anything before it may block (the request it was given
// included): whatever it did is done again on the worker. In-memory effects that are harmless
// to repeat (a cache fill, a rate-limit token) are fine.
#pragma once

namespace gh {

// Not a std::exception: handlers' `catch (const std::exception&)` must let it through.
struct WouldBlock {};

// True while this thread runs a handler on the fast path.
bool on_fast_path() noexcept;

// Throws WouldBlock on the fast path; a no-op anywhere else.
inline void may_block() {
  if (on_fast_path()) throw WouldBlock{};
}

// Marks the current thread as running on the fast path for its lifetime (not nestable).
class FastPathScope {
 public:
  FastPathScope() noexcept;
  ~FastPathScope();
  FastPathScope(const FastPathScope&) = delete;
  FastPathScope& operator=(const FastPathScope&) = delete;
};

}  // namespace gh
