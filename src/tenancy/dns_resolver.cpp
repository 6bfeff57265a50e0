#include "tenancy/dns_resolver.h"

#include "core/blocking.h"

#include <arpa/inet.h>
#include <arpa/nameser.h>
#include <netdb.h>
#include <netinet/in.h>
#include <resolv.h>

#include <algorithm>
#include <cstring>
#include <memory>

#include "core/blocking.h"

namespace gh::tenancy {

Result<std::unique_ptr<StubTxtResolver>> StubTxtResolver::create(const std::string& nameserver,
                                                                 int64_t timeout_ms) {
  const int timeout_s = static_cast<int>(std::max<int64_t>(1, (timeout_ms + 999) / 1000));
  if (nameserver.empty()) {
    return std::unique_ptr<StubTxtResolver>(new StubTxtResolver("", 53, timeout_s));
  }
  std::string host = nameserver;
  uint16_t port = 53;
  if (const size_t colon = nameserver.rfind(':'); colon != std::string::npos) {
    host = nameserver.substr(0, colon);
    const std::string p = nameserver.substr(colon + 1);
    char* end = nullptr;
    const long n = std::strtol(p.c_str(), &end, 10);
    if (p.empty() || *end != '\0' || n < 1 || n > 65535) {
      return fail(errc::ConfigInvalid,
                  "dns_nameserver must be an IPv4 address with an optional :port, got '" +
                      nameserver + "'");
    }
    port = static_cast<uint16_t>(n);
  }
  in_addr addr{};
  if (inet_pton(AF_INET, host.c_str(), &addr) != 1) {
    return fail(
        errc::ConfigInvalid,
        "dns_nameserver must be an IPv4 address with an optional :port, got '" + nameserver + "'");
  }
  return std::unique_ptr<StubTxtResolver>(new StubTxtResolver(host, port, timeout_s));
}

TxtAnswer StubTxtResolver::lookup_txt(const std::string& name) {
  may_block();
  TxtAnswer out;
  // A private resolver state per query: res_n* calls are thread-safe on their own state.
  // `struct`: glibc also declares a function named __res_state.
  auto state = std::make_unique<struct __res_state>();
  std::memset(state.get(), 0, sizeof(struct __res_state));
  if (res_ninit(state.get()) != 0) {
    out.detail = "the system resolver could not be initialized";
    return out;
  }
  struct Close {
    res_state s;
    ~Close() { res_nclose(s); }
  } close{state.get()};
  if (!host_.empty()) {
    state->nscount = 1;
    state->nsaddr_list[0].sin_family = AF_INET;
    state->nsaddr_list[0].sin_port = htons(port_);
    inet_pton(AF_INET, host_.c_str(), &state->nsaddr_list[0].sin_addr);
  }
  state->retrans = timeout_s_;
  state->retry = 1;
  // Never append search domains: the verification name is absolute.
  state->options &= ~static_cast<unsigned long>(RES_DEFNAMES | RES_DNSRCH);

  std::vector<unsigned char> answer(65536);
  const int len = res_nquery(state.get(), name.c_str(), ns_c_in, ns_t_txt, answer.data(),
                             static_cast<int>(answer.size()));
  if (len < 0) {
    switch (state->res_h_errno) {
      case HOST_NOT_FOUND:
        out.status = TxtAnswer::Status::no_name;
        break;
      case NO_DATA:
        out.status = TxtAnswer::Status::no_data;
        break;
      case TRY_AGAIN:
        out.detail = "the DNS server did not answer in time or answered SERVFAIL";
        break;
      default:
        out.detail = "the DNS server refused or could not answer the query";
        break;
    }
    return out;
  }
  ns_msg msg;
  if (ns_initparse(answer.data(), len, &msg) != 0) {
    out.detail = "the DNS answer could not be parsed";
    return out;
  }
  const int count = ns_msg_count(msg, ns_s_an);
  for (int i = 0; i < count; ++i) {
    ns_rr rr;
    if (ns_parserr(&msg, ns_s_an, i, &rr) != 0) continue;
    if (ns_rr_type(rr) != ns_t_txt) continue;  // e.g. a CNAME on the way
    // RDATA: one or more <length><bytes> character-strings, concatenated (RFC 1035 §3.3.14).
    const unsigned char* p = ns_rr_rdata(rr);
    const unsigned char* end = p + ns_rr_rdlen(rr);
    std::string text;
    while (p < end) {
      const size_t n = *p++;
      if (n > static_cast<size_t>(end - p)) break;
      text.append(reinterpret_cast<const char*>(p), n);
      p += n;
    }
    out.records.push_back(std::move(text));
  }
  out.status = out.records.empty() ? TxtAnswer::Status::no_data : TxtAnswer::Status::found;
  return out;
}

}  // namespace gh::tenancy
