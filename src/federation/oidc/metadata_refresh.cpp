#include "federation/oidc/metadata_refresh.h"

#include <optional>

#include "federation/error_codes.h"
#include "federation/oidc/error_codes.h"

namespace gh::federation::oidc {

namespace {

const tenancy::Actor kActor{"system", "oidc-metadata-refresh", "", ""};

int64_t int_of(const nlohmann::json& s, const char* name) {
  return s.is_object() && s.contains(name) && s[name].is_number_integer() ? s[name].get<int64_t>()
                                                                          : 0;
}

std::string discovery_url_of(const store::Connection& c) {
  return c.settings.is_object() && c.settings.contains("discovery_url") &&
                 c.settings["discovery_url"].is_string()
             ? c.settings["discovery_url"].get<std::string>()
             : "";
}

bool is_due(const store::Connection& c, int64_t now) {
  if (discovery_url_of(c).empty()) return false;  // explicit endpoints: nothing to refresh
  if (now - int_of(c.settings, "metadata_fetched_at_ms") < kMetadataRefreshMs) return false;
  const auto& s = c.settings;
  if (s.contains("metadata_refresh_error") && s["metadata_refresh_error"].is_object()) {
    return now - int_of(s["metadata_refresh_error"], "at_ms") >= kMetadataRetryMs;
  }
  return true;
}

}  // namespace

Result<bool> MetadataRefresher::refresh_next() {
  auto page = store_.read<std::vector<store::Connection>>([&](store::Repositories& r) {
    return r.connections().list_of_type("oidc", "active", after_, kMetadataSweepPage);
  });
  if (!page) return fail(page.error());
  const int64_t now = clock_.now_ms();
  for (const auto& c : *page) {
    after_ = c.id;
    if (!is_due(c, now)) continue;
    auto done = refresh(c);
    if (!done) return fail(done.error());
    return true;
  }
  // A short page is the end of the sweep: start again from the beginning next time.
  if (page->size() < static_cast<size_t>(kMetadataSweepPage)) after_.clear();
  return false;
}

Result<bool> MetadataRefresher::refresh(const store::Connection& c) {
  const int64_t now = clock_.now_ms();
  auto stored = ProviderMetadata::from_json(c.settings.value("metadata", nlohmann::json()), "");
  auto fresh = discover_(discovery_url_of(c));
  std::optional<Error> failure;
  if (!fresh) {
    failure = fresh.error();
  } else if (stored && fresh->issuer != stored->issuer) {
    failure = Error(errc::OidcIssuerMismatch, {},
                    "the discovery document now names the issuer " + fresh->issuer + ", not " +
                        stored->issuer + ": save the connection again to accept it");
  }
  return store_.transact<bool>([&](store::Repositories& repos) -> Result<bool> {
    auto current = repos.connections().get(c.environment_id, c.organization_id, c.id);
    if (!current) {
      if (current.error().code == errc::ConnectionNotFound) return false;  // deleted meanwhile
      return fail(current.error());
    }
    // Changed meanwhile (an admin saved it, with a fresh fetch): theirs is newer.
    if (current->version != c.version) return false;
    store::Connection next = *current;
    std::string action;
    nlohmann::json summary;
    if (failure) {
      next.settings["metadata_refresh_error"] = {
          {"code", std::string(failure->code_name())},
          {"detail", (failure->detail.empty() ? failure->text() : failure->detail).substr(0, 512)},
          {"at", format_rfc3339(now)},
          {"at_ms", now}};
      action = "connection.metadata_refresh_failed";
      summary = {{"code", std::string(failure->code_name())}};
    } else {
      next.settings["metadata"] = fresh->to_json();
      next.settings["metadata_fetched_at_ms"] = now;
      next.settings.erase("metadata_refresh_error");
      action = "connection.metadata_refreshed";
      summary = {{"issuer", fresh->issuer}};
    }
    auto updated = repos.connections().update(next, current->version);
    if (!updated) return fail(updated.error());
    auto envs = repos.environments().list();
    if (!envs) return fail(envs.error());
    for (const auto& env : *envs) {
      if (env.id != c.environment_id) continue;
      if (auto r = tenancy_.record(repos, env, c.organization_id, kActor, action, "connection",
                                   c.id, summary, {{"connection", {{"id", c.id}}}});
          !r) {
        return fail(r.error());
      }
    }
    repos.changed("connection", c.organization_id + "/" + c.id);
    return true;
  });
}

}  // namespace gh::federation::oidc
