// Issue 9, "discovery refreshed on a schedule": the `oidc-metadata-refresh` worker tick walks
// every active OIDC connection that was set up from a discovery_url (across tenants, by id,
// through ConnectionRepository::list_of_type) and re-fetches the discovery document of one
// whose stored copy is older than kMetadataRefreshMs per step, so the pace is bounded whatever
// the number of connections. The outcome is written on the connection (settings.metadata and
// metadata_fetched_at_ms on success; settings.metadata_refresh_error {code, detail, at} on
// failure, the last good metadata kept in use) with its audit record and outbox event, and
// announced on the change bus, so every node's ProviderMetadataCache takes the new copy.
//
// An issuer change is never taken silently (oidc.issuer_mismatch recorded: the admin re-saves
// the connection). A failed connection is retried after kMetadataRetryMs, not at every step.
// The fetch runs outside any transaction; the write is skipped when the connection changed
// meanwhile (an admin's save is newer than what was fetched for).
#pragma once

#include <functional>
#include <string>

#include "core/clock.h"
#include "core/result.h"
#include "federation/oidc/provider_metadata.h"
#include "store/store.h"
#include "tenancy/service.h"

namespace gh::federation::oidc {

inline constexpr int64_t kMetadataRetryMs = 3600LL * 1000;
inline constexpr int kMetadataSweepPage = 50;

class MetadataRefresher {
 public:
  using Discover = std::function<Result<ProviderMetadata>(const std::string& discovery_url)>;
  MetadataRefresher(store::Store& store, tenancy::TenancyService& tenancy,
                    const Clock& clock = SystemClock::instance(),
                    Discover discover = oidc::discover)
      : store_(store), tenancy_(tenancy), clock_(clock), discover_(std::move(discover)) {}

  // One step: refreshes (or records the failure of) at most one due connection after the
  // sweep's position, reading at most kMetadataSweepPage connections. true when one was due (more
  // may be waiting), false when this page had none (the position moves on, wrapping around).
  Result<bool> refresh_next();

 private:
  Result<bool> refresh(const store::Connection& c);
  store::Store& store_;
  tenancy::TenancyService& tenancy_;
  const Clock& clock_;
  Discover discover_;
  std::string after_;  // the sweep's position (a connection id), per process
};

}  // namespace gh::federation::oidc
