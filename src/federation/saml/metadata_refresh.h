// Scheduled refresh of SAML IdP metadata fetched from `settings.idp_metadata_url` (issue 8):
// IdPs rotate their signing certificates by publishing the new one in their metadata first, so
// a connection created from a URL follows its IdP without an admin re-saving it.
//
// One "saml-metadata-refresh" tick on the shared scheduler walks the SAML connections by id
// (ConnectionRepository::list_of_type, any status, a page at a time) and refreshes at most one due
// connection per turn (one fetch, 5 s timeout at most). A connection is due when its metadata is
// older than `settings.idp_metadata_refresh_s` (default a day) and its last attempt is older than
// the retry pause (the same interval, at most 5 minutes). The outcome is written on the
// connection in one transaction:
// - success: the new XML, `idp_metadata_fetched_at`, and the error cleared; when the document
//   changed, an audit record and outbox event `connection.metadata_refreshed`;
// - failure (fetch, invalid XML, or an entityID that changed — never taken silently: the admin
//   re-saves the connection): the last good metadata stays in use, the failure is recorded in
//   `settings.idp_metadata_refresh_error` ({code, message, at}), and the first failure of a run
//   is audited as `connection.metadata_refresh_failed`.
#pragma once

#include <chrono>
#include <mutex>
#include <string>
#include <vector>

#include "core/clock.h"
#include "core/result.h"
#include "store/store.h"
#include "tenancy/service.h"

namespace gh::federation::saml {

class IdpMetadataRefresher {
 public:
  IdpMetadataRefresher(store::Store& store, tenancy::TenancyService& tenancy,
                       const Clock& clock = SystemClock::instance())
      : store_(store), tenancy_(tenancy), clock_(clock) {}

  // One turn of the scheduler; returns how long until the next turn (0: more is waiting).
  std::chrono::milliseconds tick();

  // Whether the connection's metadata is fetched from a URL and due for a refresh at `now_ms`.
  static bool is_due(const store::Connection& c, int64_t now_ms);

  // Fetches the connection's metadata now and stores the outcome; true when the stored
  // metadata changed. Errors are the store's (a refresh failure is an outcome, not an error).
  Result<bool> refresh(const store::Connection& c);

 private:
  store::Store& store_;
  tenancy::TenancyService& tenancy_;
  const Clock& clock_;
  std::mutex mu_;
  std::string cursor_;                   // the last id read by the walk
  std::vector<store::Connection> page_;  // rows read and not yet looked at
  bool page_was_full_ = false;
};

}  // namespace gh::federation::saml
