// A small blocking HTTP client over libcurl for outbound calls (webhooks now; metadata and
// JWKS fetches, SSF pushes later). One HttpClient is one curl handle: reuse it on one thread
// to keep connections alive; use one per thread. No redirects unless asked, a total timeout
// per request, and a bounded response body (larger answers are an error, not a truncation).
// Constructing one is free: libcurl is loaded (http/libcurl.h) and the handle made on the
// first send(), so a server that never sends anything never maps libcurl.
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace gh::http {

struct LibCurl;

struct ClientOptions {
  int64_t timeout_ms = 10'000;
  int64_t connect_timeout_ms = 5'000;
  size_t max_response_bytes = 64 * 1024;
  bool follow_redirects = false;
  std::string user_agent = "Gatehouse";
};

struct ClientRequest {
  std::string method = "GET";
  std::string url;
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
};

struct ClientResponse {
  long status = 0;    // 0: no HTTP answer (see error)
  std::string error;  // transport failure (refused, timeout, TLS, too large); empty on an answer
  std::string body;
  int64_t elapsed_ms = 0;
  bool ok() const { return error.empty() && status >= 200 && status < 300; }
};

class HttpClient {
 public:
  explicit HttpClient(ClientOptions options = {});
  ~HttpClient();
  HttpClient(const HttpClient&) = delete;
  HttpClient& operator=(const HttpClient&) = delete;

  ClientResponse send(const ClientRequest& request);

 private:
  ClientOptions options_;
  const LibCurl* lib_ = nullptr;  // set with curl_ on the first send()
  void* curl_ = nullptr;          // CURL*
};

}  // namespace gh::http
