// The only translation unit that includes Beast (it is slow to compile).
#include <utility>  // Boost 1.74's awaitable.hpp uses std::exchange without including it.

#include "http/server.h"

#include <fmt/format.h>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/thread_pool.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>

#include <array>
#include <atomic>
#include <limits>
#include <list>
#include <mutex>
#include <random>
#include <thread>

#include "core/blocking.h"
#include "core/encoding.h"
#include "core/ids.h"
#include "core/log.h"
#include "core/random.h"

namespace gh::http {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
using tcp = asio::ip::tcp;
using asio::awaitable;
using asio::use_awaitable;

namespace {

// Per-connection handle the drain uses to close idle keep-alive connections.
struct ConnectionHandle {
  asio::any_io_executor executor;
  std::atomic<bool> idle{true};
  std::function<void()> close;  // runs on `executor`
};

std::string json_escape(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (unsigned char c : s) {
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\r':
        out += "\\r";
        break;
      case '\t':
        out += "\\t";
        break;
      default:
        if (c < 0x20) {
          out += fmt::format("\\u{:04x}", c);
        } else {
          out += static_cast<char>(c);
        }
    }
  }
  return out;
}

}  // namespace

struct Server::Impl {
  ServerOptions options;
  std::shared_ptr<const Router> router;
  std::shared_ptr<Metrics> metrics;

  std::vector<std::unique_ptr<asio::io_context>> contexts;
  std::vector<asio::executor_work_guard<asio::io_context::executor_type>> guards;
  std::vector<std::thread> threads;
  std::unique_ptr<asio::thread_pool> workers;
  std::unique_ptr<tcp::acceptor> acceptor;
  std::unique_ptr<asio::ssl::context> tls;
  std::atomic<size_t> next_context{0};
  std::atomic<int64_t> queued_work{0};
  std::atomic<bool> is_draining{false};
  std::atomic<bool> stopped{false};

  std::mutex connections_mu;
  std::list<std::shared_ptr<ConnectionHandle>> connections;

  Impl(ServerOptions o, std::shared_ptr<const Router> r, std::shared_ptr<Metrics> m)
      : options(std::move(o)), router(std::move(r)), metrics(std::move(m)) {}
  ~Impl() {
    // Suspended coroutine frames die with their io_context and untrack themselves, so the
    // contexts go first, while the connection list still exists.
    acceptor.reset();
    guards.clear();
    contexts.clear();
  }

  std::list<std::shared_ptr<ConnectionHandle>>::iterator track(
      std::shared_ptr<ConnectionHandle> handle) {
    std::lock_guard lock(connections_mu);
    connections.push_front(std::move(handle));
    return connections.begin();
  }
  void untrack(std::list<std::shared_ptr<ConnectionHandle>>::iterator it) {
    std::lock_guard lock(connections_mu);
    connections.erase(it);
  }

  awaitable<void> accept_loop();
  template <class Stream>
  awaitable<void> session(Stream stream, std::string peer_ip,
                          std::shared_ptr<ConnectionHandle> handle);
  awaitable<void> reject(tcp::socket socket);
  Response dispatch_inline(Request& req, const Route& route);
  std::optional<Response> dispatch_fast(Request& req, const Route& route);
};

namespace {

// A header value never carries a line break (response splitting): CR and LF become spaces.
void append_field_value(std::string& out, std::string_view v) {
  for (char c : v) out += (c == '\r' || c == '\n') ? ' ' : c;
}

// The whole response in one buffer, written with one send: cheaper than Beast's serializer,
// which walks a buffer sequence per field. Content-Length is computed here (for HEAD, from
// the body the GET would have had); handlers never set framing headers themselves.
std::string serialize(Response&& res, unsigned version, const std::string& request_id,
                      bool keep_alive, bool head) {
  std::string out;
  out.reserve(160 + res.body.size() + res.headers.size() * 48);
  out += version == 10 ? "HTTP/1.0 " : "HTTP/1.1 ";
  out += std::to_string(res.status);
  out += ' ';
  const auto reason = bhttp::obsolete_reason(static_cast<bhttp::status>(res.status));
  out.append(reason.data(), reason.size());
  out += "\r\n";
  for (const auto& [k, v] : res.headers) {
    if (beast::iequals(k, "Content-Length") || beast::iequals(k, "Transfer-Encoding") ||
        beast::iequals(k, "Connection")) {
      continue;
    }
    out += k;
    out += ": ";
    append_field_value(out, v);
    out += "\r\n";
  }
  out += "X-Request-Id: ";
  out += request_id;
  out += "\r\n";
  const bool bodiless =
      (res.status >= 100 && res.status < 200) || res.status == 204 || res.status == 304;
  if (!bodiless) {
    out += "Content-Length: ";
    out += std::to_string(res.body.size());
    out += "\r\n";
  }
  if (version == 10 && keep_alive) out += "Connection: keep-alive\r\n";
  if (version != 10 && !keep_alive) out += "Connection: close\r\n";
  out += "\r\n";
  if (!bodiless && !head) out += res.body;
  return out;
}

// Request ids need to be unique, not secret: a per-thread generator seeded from the CSPRNG
// keeps the hot path off OpenSSL's RAND lock.
std::string fast_request_id() {
  thread_local std::mt19937_64 gen = [] {
    std::array<uint8_t, 8> seed{};
    SecureRandom::instance().fill(seed);
    uint64_t v = 0;
    for (uint8_t b : seed) v = (v << 8) | b;
    return std::mt19937_64(v);
  }();
  static constexpr char kHex[] = "0123456789abcdef";
  const uint64_t v = gen();
  std::string id(16, '0');
  for (int i = 0; i < 16; ++i) id[static_cast<size_t>(i)] = kHex[(v >> (60 - 4 * i)) & 0xf];
  return id;
}

// One timer per connection, re-armed lazily: setting a deadline only stores a time, and the
// timer, when it fires early, waits again for the current deadline. A request costs no timer
// syscalls; a deadline that passes cancels the socket's pending operations.
struct Watchdog : std::enable_shared_from_this<Watchdog> {
  using clock = std::chrono::steady_clock;
  explicit Watchdog(asio::any_io_executor ex) : timer(std::move(ex)) {}
  asio::steady_timer timer;
  clock::time_point deadline = clock::time_point::max();
  std::function<void()> on_expire;
  uint64_t generation = 0;
  bool waiting = false;
  bool fired = false;
  bool stopped = false;

  void set(std::chrono::milliseconds d) {
    deadline = clock::now() + d;
    fired = false;
    if (!waiting || deadline < timer.expiry()) start();
  }
  void clear() { deadline = clock::time_point::max(); }
  void stop() {
    stopped = true;
    on_expire = nullptr;
    timer.cancel();
  }
  void start() {
    waiting = true;
    const uint64_t gen = ++generation;
    timer.expires_at(deadline);
    timer.async_wait([self = shared_from_this(), gen](beast::error_code) {
      if (self->stopped || gen != self->generation) return;
      self->waiting = false;
      if (self->deadline == clock::time_point::max()) return;
      if (clock::now() >= self->deadline) {
        self->fired = true;
        self->deadline = clock::time_point::max();
        if (self->on_expire) self->on_expire();
      } else {
        self->start();
      }
    });
  }
};

Response error_response(ErrorCode code, const std::string& request_id, std::string message = {}) {
  Request r;
  r.request_id = request_id;
  Response res = Response::problem(Error(code, std::move(message)), r);
  res.close = true;
  return res;
}

template <class Stream>
tcp::socket& lowest_socket(Stream& stream) {
  return beast::get_lowest_layer(stream).socket();
}

// After an error answer the client may still be sending (a body we refused): closing at once
// would make the kernel send RST and the client could lose our answer. So, like nginx's
// lingering close, shut down our side and read and discard for a bounded time.
template <class Stream>
awaitable<void> graceful_close(Stream& stream, bool linger) {
  beast::error_code ec;
  if constexpr (std::is_same_v<Stream, beast::ssl_stream<beast::tcp_stream>>) {
    beast::get_lowest_layer(stream).expires_after(std::chrono::seconds(2));
    co_await stream.async_shutdown(asio::redirect_error(use_awaitable, ec));
  } else {
    lowest_socket(stream).shutdown(tcp::socket::shutdown_send, ec);
    if (linger && !ec) {
      std::array<char, 16384> sink;
      const auto until = std::chrono::steady_clock::now() + std::chrono::seconds(2);
      size_t drained = 0;
      while (std::chrono::steady_clock::now() < until && drained < 64 * 1024 * 1024) {
        beast::get_lowest_layer(stream).expires_after(std::chrono::milliseconds(500));
        const size_t n = co_await stream.async_read_some(asio::buffer(sink),
                                                         asio::redirect_error(use_awaitable, ec));
        if (ec) break;
        drained += n;
      }
    }
  }
  co_return;
}

}  // namespace

awaitable<void> Server::Impl::reject(tcp::socket socket) {
  metrics->rejected_connections.fetch_add(1);
  beast::tcp_stream stream(std::move(socket));
  stream.expires_after(std::chrono::seconds(2));
  const std::string request_id = fast_request_id();
  Response res = error_response(errc::ServerOverloaded, request_id);
  res.set_header("Retry-After", "1");
  const std::string out = serialize(std::move(res), 11, request_id, false, false);
  beast::error_code ec;
  co_await asio::async_write(stream, asio::buffer(out), asio::redirect_error(use_awaitable, ec));
  stream.socket().shutdown(tcp::socket::shutdown_send, ec);
}

awaitable<void> Server::Impl::accept_loop() {
  for (;;) {
    const size_t i = next_context.fetch_add(1) % contexts.size();
    beast::error_code ec;
    tcp::socket socket = co_await acceptor->async_accept(contexts[i]->get_executor(),
                                                         asio::redirect_error(use_awaitable, ec));
    if (ec) {
      if (ec == asio::error::operation_aborted || !acceptor->is_open()) co_return;
      log::warn("accept failed", {{"error", ec.message()}});
      continue;
    }
    socket.set_option(tcp::no_delay(true), ec);
    if (metrics->open_connections.load() >= options.max_connections || is_draining) {
      asio::co_spawn(contexts[i]->get_executor(), reject(std::move(socket)), asio::detached);
      continue;
    }
    std::string peer = socket.remote_endpoint(ec).address().to_string();
    auto handle = std::make_shared<ConnectionHandle>();
    handle->executor = contexts[i]->get_executor();
    if (tls) {
      beast::ssl_stream<beast::tcp_stream> stream(beast::tcp_stream(std::move(socket)), *tls);
      asio::co_spawn(contexts[i]->get_executor(),
                     session(std::move(stream), std::move(peer), handle), asio::detached);
    } else {
      asio::co_spawn(contexts[i]->get_executor(),
                     session(beast::tcp_stream(std::move(socket)), std::move(peer), handle),
                     asio::detached);
    }
  }
}

template <class Stream>
awaitable<void> Server::Impl::session(Stream stream, std::string peer_ip,
                                      std::shared_ptr<ConnectionHandle> handle) {
  metrics->open_connections.fetch_add(1);
  auto tracked = track(handle);
  handle->close = [&stream] {
    beast::error_code ec;
    lowest_socket(stream).shutdown(tcp::socket::shutdown_both, ec);
    lowest_socket(stream).close(ec);
  };
  struct Untrack {
    Impl* self;
    std::list<std::shared_ptr<ConnectionHandle>>::iterator it;
    std::shared_ptr<ConnectionHandle> handle;
    ~Untrack() {
      handle->close = nullptr;
      self->untrack(it);
      self->metrics->open_connections.fetch_sub(1);
    }
  } untrack_guard{this, tracked, handle};

  beast::error_code ec;
  if constexpr (std::is_same_v<Stream, beast::ssl_stream<beast::tcp_stream>>) {
    beast::get_lowest_layer(stream).expires_after(options.read_timeout);
    co_await stream.async_handshake(asio::ssl::stream_base::server,
                                    asio::redirect_error(use_awaitable, ec));
    if (ec) co_return;
    beast::get_lowest_layer(stream).expires_never();
  }

  // Deadlines use our own watchdog, which cancels the pending operation but keeps the socket
  // open, so a slow client still gets its 408 (a tcp_stream timeout would close it first).
  auto watchdog = std::make_shared<Watchdog>(co_await asio::this_coro::executor);
  watchdog->on_expire = [&stream] {
    beast::error_code ignored;
    lowest_socket(stream).cancel(ignored);
  };
  struct StopWatchdog {
    std::shared_ptr<Watchdog> w;
    ~StopWatchdog() { w->stop(); }
  } stop_watchdog{watchdog};
  auto arm = [&](std::chrono::milliseconds d) { watchdog->set(d); };
  auto disarm = [&] { watchdog->clear(); };
  beast::flat_buffer buffer;
  bool first = true;
  bool linger = false;  // set when we answer an error before reading the whole request
  for (;;) {
    if (is_draining) break;
    bhttp::request_parser<bhttp::string_body> parser;
    parser.header_limit(static_cast<uint32_t>(options.max_header_bytes));
    // The route decides the body limit; until we know it, Beast must not judge Content-Length.
    parser.body_limit(std::numeric_limits<uint64_t>::max());
    arm(first ? options.read_timeout : options.idle_timeout);
    handle->idle = true;
    co_await bhttp::async_read_header(stream, buffer, parser,
                                      asio::redirect_error(use_awaitable, ec));
    disarm();
    handle->idle = false;
    if (ec == asio::error::operation_aborted && watchdog->fired) ec = beast::error::timeout;
    first = false;
    const auto started = std::chrono::steady_clock::now();
    const std::string request_id = fast_request_id();

    auto send = [&](Response res, unsigned version, bool keep_alive,
                    bool head = false) -> awaitable<bool> {
      keep_alive = keep_alive && !res.close && !is_draining;
      const std::string out = serialize(std::move(res), version, request_id, keep_alive, head);
      arm(options.read_timeout);
      beast::error_code wec;
      co_await asio::async_write(stream, asio::buffer(out),
                                 asio::redirect_error(use_awaitable, wec));
      disarm();
      co_return !wec && keep_alive;
    };

    if (ec) {
      linger = true;
      if (ec == bhttp::error::header_limit) {
        metrics->observe(metrics->unmatched_slot(), "", 431, 0);
        co_await send(error_response(errc::RequestHeadersTooLarge, request_id), 11, false);
      } else if (ec == beast::error::timeout) {
        if (buffer.size() > 0) {
          co_await send(error_response(errc::RequestTimeout, request_id), 11, false);
        }
      } else if (ec != bhttp::error::end_of_stream && ec != asio::error::eof &&
                 ec != asio::error::connection_reset && ec != asio::error::operation_aborted &&
                 ec != asio::error::bad_descriptor && buffer.size() > 0) {
        co_await send(error_response(errc::RequestMalformed, request_id, ec.message()), 11, false);
      }
      break;
    }

    auto& header = parser.get();
    Request req;
    req.method = std::string(header.method_string());
    req.target = std::string(header.target());
    req.request_id = request_id;
    req.peer_ip = peer_ip;
    const size_t qmark = req.target.find('?');
    auto decoded_path = percent_decode(std::string_view(req.target).substr(0, qmark), false);
    if (qmark != std::string::npos) req.query = req.target.substr(qmark + 1);
    const unsigned version = header.version();

    if (!decoded_path || decoded_path->empty() || (*decoded_path)[0] != '/' ||
        !is_valid_utf8(*decoded_path)) {
      metrics->observe(metrics->unmatched_slot(), req.method, 400, 0);
      linger = true;
      co_await send(error_response(errc::RequestMalformed, request_id,
                                   "The request path is not a valid absolute path"),
                    version, false);
      break;
    }
    req.path = std::move(*decoded_path);
    RouteMatch match = router->match(req.method, req.path);
    int64_t body_limit = options.max_body_bytes;
    if (match.route && match.route->options.max_body_bytes >= 0) {
      body_limit = match.route->options.max_body_bytes;
    }
    const size_t slot = match.route ? match.route->index : metrics->unmatched_slot();

    if (parser.content_length() && *parser.content_length() > static_cast<uint64_t>(body_limit)) {
      metrics->observe(slot, req.method, 413, 0);
      linger = true;
      co_await send(
          error_response(errc::RequestBodyTooLarge, request_id,
                         fmt::format("This endpoint accepts at most {} bytes", body_limit)),
          version, false);
      break;
    }
    parser.body_limit(static_cast<uint64_t>(body_limit));
    if (!parser.is_done()) {
      if (auto expect = header[bhttp::field::expect]; beast::iequals(expect, "100-continue")) {
        bhttp::response<bhttp::empty_body> cont{bhttp::status::continue_, version};
        co_await bhttp::async_write(stream, cont, asio::redirect_error(use_awaitable, ec));
        if (ec) break;
      }
      arm(options.read_timeout);
      co_await bhttp::async_read(stream, buffer, parser, asio::redirect_error(use_awaitable, ec));
      disarm();
      if (ec == asio::error::operation_aborted && watchdog->fired) ec = beast::error::timeout;
      if (ec) {
        linger = true;
        if (ec == bhttp::error::body_limit) {
          metrics->observe(slot, req.method, 413, 0);
          co_await send(error_response(errc::RequestBodyTooLarge, request_id), version, false);
        } else if (ec == beast::error::timeout) {
          co_await send(error_response(errc::RequestTimeout, request_id), version, false);
        }
        break;
      }
    }
    auto message = parser.release();
    const bool keep_alive = message.keep_alive();
    req.headers.reserve(16);
    for (const auto& field : message) {
      req.headers.emplace_back(std::string(field.name_string()), std::string(field.value()));
    }
    req.body = std::move(message.body());
    req.client_ip = options.trusted_proxies.client_ip(peer_ip, req.header("X-Forwarded-For"));
    const bool from_proxy = options.trusted_proxies.trusts(peer_ip);
    req.scheme = tls ? "https" : "http";
    if (from_proxy) {
      if (auto proto = req.header("X-Forwarded-Proto")) req.scheme = std::string(*proto);
    }
    req.host = std::string(
        req.header(from_proxy && req.header("X-Forwarded-Host") ? "X-Forwarded-Host" : "Host")
            .value_or(""));

    Response res;
    metrics->in_flight.fetch_add(1);
    if (!match.route) {
      if (match.path_exists) {
        res = Response::problem(Error(errc::RouteMethodNotAllowed), req);
        std::string allow;
        for (const auto& m : match.allowed) allow += (allow.empty() ? "" : ", ") + m;
        res.set_header("Allow", allow);
      } else {
        res = Response::problem(Error(errc::RouteNotFound), req);
      }
    } else {
      req.route = match.route->pattern;
      req.params = std::move(match.params);
      const Route& route = *match.route;
      std::optional<Response> fast;
      if (route.options.fast_path && !route.options.inline_handler) {
        fast = dispatch_fast(req, route);
      }
      if (route.options.inline_handler) {
        res = dispatch_inline(req, route);
      } else if (fast) {
        res = std::move(*fast);
      } else if (queued_work.load() >= options.worker_queue_limit) {
        res = Response::problem(Error(errc::ServerOverloaded), req);
        res.set_header("Retry-After", "1");
      } else {
        queued_work.fetch_add(1);
        res = co_await asio::co_spawn(
            workers->get_executor(),
            [this, &req, &route]() -> awaitable<Response> {
              queued_work.fetch_sub(1);
              co_return dispatch_inline(req, route);
            },
            use_awaitable);
      }
    }
    metrics->in_flight.fetch_sub(1);
    const int status = res.status;
    const bool again = co_await send(std::move(res), version, keep_alive, req.method == "HEAD");
    const double seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
    metrics->observe(slot, req.method, status, seconds);
    if (options.access_log && log::enabled(log::Level::info)) {
      log::write_raw(
          log::Level::info,
          fmt::format(
              R"({{"ts":"{}","level":"info","msg":"request","server":"{}","request_id":"{}",)"
              R"("method":"{}","path":"{}","route":"{}","status":{},"duration_ms":{:.3f},)"
              R"("client_ip":"{}","bytes_in":{}}})",
              format_rfc3339(SystemClock::instance().now_ms()), options.name, request_id,
              json_escape(req.method), json_escape(req.path), json_escape(req.route), status,
              seconds * 1000, json_escape(req.client_ip), req.body.size()));
    }
    if (!again) break;
  }
  co_await graceful_close(stream, linger);
}

Response Server::Impl::dispatch_inline(Request& req, const Route& route) {
  try {
    return route.handler(req);
  } catch (const std::exception& e) {
    log::error("handler threw",
               {{"request_id", req.request_id}, {"route", route.pattern}, {"error", e.what()}});
    return Response::problem(Error(errc::ServerInternal), req);
  }
}

std::optional<Response> Server::Impl::dispatch_fast(Request& req, const Route& route) {
  FastPathScope scope;
  try {
    return route.handler(req);
  } catch (const WouldBlock&) {
    return std::nullopt;  // to the worker pool, from the start
  } catch (const std::exception& e) {
    log::error("handler threw",
               {{"request_id", req.request_id}, {"route", route.pattern}, {"error", e.what()}});
    return Response::problem(Error(errc::ServerInternal), req);
  }
}

Server::Server(ServerOptions options, std::shared_ptr<const Router> router,
               std::shared_ptr<Metrics> metrics)
    : impl_(std::make_unique<Impl>(std::move(options), std::move(router), std::move(metrics))) {}

Server::~Server() { drain(std::chrono::milliseconds(0)); }

bool Server::draining() const { return impl_->is_draining.load(); }

Result<uint16_t> Server::start() {
  auto& o = impl_->options;
  const unsigned cores = std::max(1u, std::thread::hardware_concurrency());
  const int io_threads = o.io_threads > 0 ? o.io_threads : static_cast<int>(cores);
  const int worker_threads = o.worker_threads > 0 ? o.worker_threads : static_cast<int>(2 * cores);

  if (!o.tls_cert_file.empty()) {
    impl_->tls = std::make_unique<asio::ssl::context>(asio::ssl::context::tls_server);
    beast::error_code ec;
    impl_->tls->set_options(asio::ssl::context::default_workarounds | asio::ssl::context::no_sslv2 |
                            asio::ssl::context::no_sslv3 | asio::ssl::context::no_tlsv1 |
                            asio::ssl::context::no_tlsv1_1);
    impl_->tls->use_certificate_chain_file(o.tls_cert_file, ec);
    if (ec) return fail(errc::ConfigInvalid, "tls_cert: " + ec.message());
    impl_->tls->use_private_key_file(o.tls_key_file, asio::ssl::context::pem, ec);
    if (ec) return fail(errc::ConfigInvalid, "tls_key: " + ec.message());
  }

  for (int i = 0; i < io_threads; ++i) {
    impl_->contexts.push_back(std::make_unique<asio::io_context>(1));
    impl_->guards.push_back(asio::make_work_guard(*impl_->contexts.back()));
  }
  impl_->workers = std::make_unique<asio::thread_pool>(worker_threads);

  beast::error_code ec;
  auto address = asio::ip::make_address(o.host, ec);
  if (ec) return fail(errc::ConfigInvalid, "listen: '" + o.host + "' is not an IP address");
  impl_->acceptor = std::make_unique<tcp::acceptor>(*impl_->contexts[0]);
  tcp::endpoint endpoint(address, o.port);
  impl_->acceptor->open(endpoint.protocol(), ec);
  if (!ec) impl_->acceptor->set_option(asio::socket_base::reuse_address(true), ec);
  if (!ec) impl_->acceptor->bind(endpoint, ec);
  if (!ec) impl_->acceptor->listen(asio::socket_base::max_listen_connections, ec);
  if (ec) {
    return fail(errc::ConfigInvalid,
                fmt::format("cannot listen on {}:{}: {}", o.host, o.port, ec.message()));
  }
  const uint16_t port = impl_->acceptor->local_endpoint().port();
  asio::co_spawn(*impl_->contexts[0], impl_->accept_loop(), asio::detached);
  for (auto& ctx : impl_->contexts) {
    impl_->threads.emplace_back([c = ctx.get()] { c->run(); });
  }
  return port;
}

void Server::drain(std::chrono::milliseconds timeout) {
  auto& impl = *impl_;
  if (impl.stopped.exchange(true)) return;
  impl.is_draining = true;
  if (impl.acceptor) {
    asio::post(*impl.contexts[0], [&impl] {
      beast::error_code ec;
      impl.acceptor->close(ec);
    });
  }
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    {
      // Idle keep-alive connections are closed at once; busy ones finish their request and
      // then close (every response while draining says Connection: close).
      std::lock_guard lock(impl.connections_mu);
      for (auto& c : impl.connections) {
        if (c->idle) {
          asio::post(c->executor, [c] {
            if (c->close && c->idle) c->close();
          });
        }
      }
    }
    if (impl.metrics->open_connections.load() == 0 ||
        std::chrono::steady_clock::now() >= deadline) {
      break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  for (auto& g : impl.guards) g.reset();
  for (auto& ctx : impl.contexts) ctx->stop();
  for (auto& t : impl.threads) {
    if (t.joinable()) t.join();
  }
  if (impl.workers) impl.workers->join();
}

}  // namespace gh::http
