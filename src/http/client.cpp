#include "http/client.h"

#include <chrono>

#include "core/blocking.h"
#include "http/libcurl.h"

namespace gh::http {

namespace {

struct Sink {
  std::string body;
  size_t limit = 0;
  bool overflow = false;
};

size_t on_data(char* data, size_t size, size_t n, void* user) {
  auto* sink = static_cast<Sink*>(user);
  const size_t bytes = size * n;
  if (sink->body.size() + bytes > sink->limit) {
    sink->overflow = true;
    return 0;  // makes curl fail with CURLE_WRITE_ERROR
  }
  sink->body.append(data, bytes);
  return bytes;
}

}  // namespace

HttpClient::HttpClient(ClientOptions options) : options_(std::move(options)) {}

HttpClient::~HttpClient() {
  if (curl_) lib_->easy_cleanup(static_cast<CURL*>(curl_));
}

ClientResponse HttpClient::send(const ClientRequest& request) {
  may_block();
  ClientResponse out;
  if (!curl_) {
    auto lib = load_libcurl();
    if (!lib) {
      out.error = lib.error().text();
      if (!lib.error().detail.empty()) out.error += " (" + lib.error().detail + ")";
      return out;
    }
    lib_ = *lib;
    curl_ = lib_->easy_init();
    if (!curl_) {
      out.error = "curl_easy_init failed";
      return out;
    }
  }
  const LibCurl& curl = *lib_;
  CURL* c = static_cast<CURL*>(curl_);
  curl.easy_reset(c);
  Sink sink;
  sink.limit = options_.max_response_bytes;
  curl.easy_setopt(c, CURLOPT_URL, request.url.c_str());
  curl.easy_setopt(c, CURLOPT_NOSIGNAL, 1L);  // timeouts without SIGALRM (threads)
  curl.easy_setopt(c, CURLOPT_TIMEOUT_MS, static_cast<long>(options_.timeout_ms));
  curl.easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, static_cast<long>(options_.connect_timeout_ms));
  curl.easy_setopt(c, CURLOPT_FOLLOWLOCATION, options_.follow_redirects ? 1L : 0L);
  curl.easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
  curl.easy_setopt(c, CURLOPT_USERAGENT, options_.user_agent.c_str());
  curl.easy_setopt(c, CURLOPT_WRITEFUNCTION, on_data);
  curl.easy_setopt(c, CURLOPT_WRITEDATA, &sink);
  curl.easy_setopt(c, CURLOPT_CUSTOMREQUEST, request.method.c_str());
  if (request.method == "POST" || request.method == "PUT" || request.method == "PATCH") {
    curl.easy_setopt(c, CURLOPT_POSTFIELDS, request.body.data());
    curl.easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(request.body.size()));
  } else if (request.method == "GET") {
    curl.easy_setopt(c, CURLOPT_HTTPGET, 1L);
  }
  curl_slist* headers = nullptr;
  for (const auto& [name, value] : request.headers) {
    headers = curl.slist_append(headers, (name + ": " + value).c_str());
  }
  headers = curl.slist_append(headers, "Expect:");  // no 100-continue round trip
  curl.easy_setopt(c, CURLOPT_HTTPHEADER, headers);

  const auto start = std::chrono::steady_clock::now();
  const CURLcode rc = curl.easy_perform(c);
  out.elapsed_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                       std::chrono::steady_clock::now() - start)
                       .count();
  curl.slist_free_all(headers);
  if (rc != CURLE_OK) {
    out.error = sink.overflow ? "response larger than " + std::to_string(sink.limit) + " bytes"
                              : curl.easy_strerror(rc);
    return out;
  }
  curl.easy_getinfo(c, CURLINFO_RESPONSE_CODE, &out.status);
  out.body = std::move(sink.body);
  return out;
}

}  // namespace gh::http
