// TXT lookups for domain verification. The resolver is an interface so that the verification
// logic is tested without a network; the production one is glibc's stub resolver (res_ninit /
// res_nquery, libresolv) with the nameserver taken from the configuration, so tests and
// operators can point it at a resolver of their choice (dnsmasq in tests).
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "core/result.h"

namespace gh::tenancy {

struct TxtAnswer {
  enum class Status {
    found,    // the name has TXT records (in `records`)
    no_name,  // NXDOMAIN: the name does not exist
    no_data,  // the name exists but has no TXT records
    failure,  // timeout, SERVFAIL, REFUSED, unreachable resolver: nothing definitive
  };
  Status status = Status::failure;
  std::vector<std::string> records;  // each TXT record's strings concatenated (RFC 7208 §3.3)
  std::string detail;                // for failures: what went wrong
};

class TxtResolver {
 public:
  virtual ~TxtResolver() = default;
  virtual TxtAnswer lookup_txt(const std::string& name) = 0;
};

// glibc's resolver. `nameserver` is "host:port" (IPv4 address; port optional, 53 by default);
// empty uses the system's /etc/resolv.conf. One attempt per query, `timeout_ms` rounded up to
// whole seconds (the resolver's granularity).
class StubTxtResolver final : public TxtResolver {
 public:
  static Result<std::unique_ptr<StubTxtResolver>> create(const std::string& nameserver,
                                                         int64_t timeout_ms);
  TxtAnswer lookup_txt(const std::string& name) override;

 private:
  StubTxtResolver(std::string host, uint16_t port, int timeout_s)
      : host_(std::move(host)), port_(port), timeout_s_(timeout_s) {}
  std::string host_;  // empty: system configuration
  uint16_t port_ = 53;
  int timeout_s_ = 3;
};

}  // namespace gh::tenancy
