// The fast path (core/blocking.h): a route marked fast_path runs on its I/O thread; when it
// would block it runs again, from the start, on the worker pool; other routes never see it.
#include <gtest/gtest.h>

#include <atomic>
#include <mutex>
#include <set>
#include <thread>

#include "core/blocking.h"
#include "http/client.h"
#include "http/server.h"

namespace gh::http {
namespace {

struct Seen {
  std::atomic<int> calls{0};
  std::atomic<int> fast_calls{0};
  std::mutex mu;
  std::set<std::thread::id> threads;
  void record() {
    ++calls;
    if (on_fast_path()) ++fast_calls;
    std::lock_guard lock(mu);
    threads.insert(std::this_thread::get_id());
  }
};

class FastPathTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto router = std::make_shared<Router>();
    RouteOptions fast;
    fast.fast_path = true;
    router->add(
        "GET", "/memory",
        [this](Request&) {
          memory.record();
          return Response::text(200, "from memory");
        },
        fast);
    router->add(
        "GET", "/blocks",
        [this](Request&) {
          blocks.record();
          may_block();  // e.g. a store transaction
          return Response::text(200, on_fast_path() ? "fast" : "worker");
        },
        fast);
    router->add(
        "GET", "/throws", [](Request&) -> Response { throw std::runtime_error("broken"); }, fast);
    router->add("GET", "/plain", [this](Request&) {
      plain.record();
      may_block();  // a no-op off the fast path
      return Response::text(200, "plain");
    });
    ServerOptions o;
    o.port = 0;
    o.io_threads = 1;
    o.worker_threads = 1;
    o.access_log = false;
    server = std::make_unique<Server>(o, router, std::make_shared<Metrics>());
    auto port = server->start();
    ASSERT_TRUE(port) << port.error().text();
    base = "http://127.0.0.1:" + std::to_string(*port);
  }
  void TearDown() override { server->drain(std::chrono::milliseconds(1000)); }

  ClientResponse get(const std::string& path) {
    return client.send({.method = "GET", .url = base + path, .headers = {}, .body = ""});
  }

  Seen memory, blocks, plain;
  std::unique_ptr<Server> server;
  std::string base;
  HttpClient client;
};

TEST_F(FastPathTest, AnswersFromTheIoThreadWhenNothingBlocks) {
  for (int i = 0; i < 3; ++i) {
    auto r = get("/memory");
    ASSERT_EQ(r.status, 200) << r.error;
    EXPECT_EQ(r.body, "from memory");
  }
  EXPECT_EQ(memory.calls, 3);
  EXPECT_EQ(memory.fast_calls, 3);       // never handed to a worker
  EXPECT_EQ(memory.threads.size(), 1u);  // the one I/O thread
}

TEST_F(FastPathTest, WouldBlockRunsTheHandlerAgainOnAWorker) {
  auto r = get("/blocks");
  ASSERT_EQ(r.status, 200) << r.error;
  EXPECT_EQ(r.body, "worker");
  EXPECT_EQ(blocks.calls, 2);       // tried on the I/O thread, then from the start on a worker
  EXPECT_EQ(blocks.fast_calls, 1);  // only the first attempt
  EXPECT_EQ(blocks.threads.size(), 2u);
  EXPECT_FALSE(on_fast_path());  // the test's own thread never is
}

TEST_F(FastPathTest, OtherRoutesNeverRunOnTheFastPath) {
  auto r = get("/plain");
  ASSERT_EQ(r.status, 200) << r.error;
  EXPECT_EQ(plain.calls, 1);
  EXPECT_EQ(plain.fast_calls, 0);
  // The I/O thread's flag was reset after the fast attempt: a later fast route still works.
  EXPECT_EQ(get("/blocks").body, "worker");
  EXPECT_EQ(get("/memory").body, "from memory");
}

TEST_F(FastPathTest, AHandlerThatThrowsIsA500AndTheServerGoesOn) {
  auto r = get("/throws");
  EXPECT_EQ(r.status, 500);
  EXPECT_NE(r.body.find("server.internal"), std::string::npos);
  EXPECT_EQ(get("/memory").status, 200);
}

TEST(MayBlock, IsANoOpOffTheFastPathAndThrowsOnIt) {
  EXPECT_NO_THROW(may_block());
  {
    FastPathScope scope;
    EXPECT_TRUE(on_fast_path());
    EXPECT_THROW(may_block(), WouldBlock);
  }
  EXPECT_FALSE(on_fast_path());
  EXPECT_NO_THROW(may_block());
}

}  // namespace
}  // namespace gh::http
