// federation::LoginRequestSource over the pending authorization requests: what hosted login
// reads (by the `request` id in its URL) to know which application asks, with which hints and
// constraints, and where to send the browser back (resume_url). Reading does not consume the
// request; the resume step does.
#pragma once

#include "core/clock.h"
#include "federation/login_request.h"
#include "store/store.h"

namespace gh::oauth {

class PendingLoginRequests final : public federation::LoginRequestSource {
 public:
  // `not_found` is the code find() answers for unknown, expired and other environments'
  // requests (the seam's contract names login.request_not_found; app/ passes it in).
  PendingLoginRequests(store::Store& store, ErrorCode not_found,
                       const Clock& clock = SystemClock::instance())
      : store_(store), not_found_(not_found), clock_(clock) {}

  Result<federation::LoginRequest> find(std::string_view environment_id,
                                        std::string_view id) override;

 private:
  store::Store& store_;
  ErrorCode not_found_;
  const Clock& clock_;
};

}  // namespace gh::oauth
