#include "federation/saml/metadata_refresh.h"

#include <algorithm>
#include <optional>

#include "core/log.h"
#include "federation/connection_service.h"
#include "federation/saml/error_codes.h"
#include "federation/saml/idp_metadata.h"

namespace gh::federation::saml {

namespace {

constexpr int64_t kPageSize = 50;
constexpr auto kIdlePause = std::chrono::seconds(5);
constexpr int64_t kMaxRetryPauseMs = 5 * 60 * 1000;

int64_t int_setting(const nlohmann::json& s, const char* name, int64_t fallback) {
  return s.is_object() && s.contains(name) && s[name].is_number_integer() ? s[name].get<int64_t>()
                                                                          : fallback;
}

std::string string_setting(const nlohmann::json& s, const char* name) {
  return s.is_object() && s.contains(name) && s[name].is_string() ? s[name].get<std::string>()
                                                                  : std::string();
}

}  // namespace

bool IdpMetadataRefresher::is_due(const store::Connection& c, int64_t now_ms) {
  if (c.type != "saml" || string_setting(c.settings, "idp_metadata_url").empty()) return false;
  const int64_t interval_ms =
      int_setting(c.settings, "idp_metadata_refresh_s", kDefaultIdpMetadataRefreshS) * 1000;
  const int64_t fetched = int_setting(c.settings, "idp_metadata_fetched_at", 0);
  const int64_t attempted = int_setting(c.settings, "idp_metadata_attempted_at", 0);
  return now_ms >= fetched + interval_ms &&
         now_ms >= attempted + std::min(interval_ms, kMaxRetryPauseMs);
}

Result<bool> IdpMetadataRefresher::refresh(const store::Connection& c) {
  const std::string url = string_setting(c.settings, "idp_metadata_url");
  const std::string binding = string_setting(c.settings, "authn_request_binding");
  const int64_t now = clock_.now_ms();
  // The outbound call runs outside any transaction.
  std::optional<IdpMetadata> md;
  std::string xml;
  std::optional<Error> error;
  if (auto fetched = fetch_idp_metadata(url); !fetched) {
    error = fetched.error();
  } else {
    xml = std::move(*fetched);
    auto read =
        read_idp_metadata(xml, "settings.idp_metadata_url", binding.empty() ? "redirect" : binding);
    if (!read) {
      error = read.error();
    } else if (read->entity_id != string_setting(c.settings, "idp_entity_id")) {
      error = Error(errc::SamlMetadataInvalid, {},
                    "the entityID changed from '" + string_setting(c.settings, "idp_entity_id") +
                        "' to '" + read->entity_id +
                        "': save the connection again to accept another IdP");
    } else {
      md = *read;
    }
  }
  return store_.transact<bool>([&](store::Repositories& repos) -> Result<bool> {
    auto current = repos.connections().get(c.environment_id, c.organization_id, c.id);
    if (!current) return fail(current.error());
    // Changed meanwhile (another URL, or an admin's save): this outcome is not about it.
    if (string_setting(current->settings, "idp_metadata_url") != url) return false;
    store::Connection next = *current;
    auto& s = next.settings;
    s["idp_metadata_attempted_at"] = now;
    bool changed = false, first_failure = false;
    if (md) {
      changed = string_setting(current->settings, "idp_metadata_xml") != xml;
      s["idp_metadata_xml"] = xml;
      s["idp_sso_url"] = md->sso_redirect_url;
      s["idp_sso_post_url"] = md->sso_post_url;
      s["idp_metadata_fetched_at"] = now;
      s.erase("idp_metadata_refresh_error");
    } else {
      first_failure = !current->settings.contains("idp_metadata_refresh_error");
      s["idp_metadata_refresh_error"] = {
          {"code", std::string(error->code_name())},
          {"message", error->detail.empty() ? error->text() : error->detail},
          {"at", now}};
    }
    auto updated = repos.connections().update(next, current->version);
    if (!updated) return fail(updated.error());
    if (changed || first_failure) {
      auto envs = repos.environments().list();
      if (!envs) return fail(envs.error());
      auto env = std::find_if(envs->begin(), envs->end(), [&](const store::Environment& e) {
        return e.id == c.environment_id;
      });
      if (env != envs->end()) {
        const std::string action =
            changed ? "connection.metadata_refreshed" : "connection.metadata_refresh_failed";
        nlohmann::json summary = {{"url", url}};
        if (error) summary["error"] = std::string(error->code_name());
        if (auto r = tenancy_.record(repos, *env, c.organization_id, tenancy::Actor{}, action,
                                     "connection", c.id, summary,
                                     {{"connection", connection_json(*updated)}});
            !r) {
          return fail(r.error());
        }
      }
    }
    repos.changed("connection", c.organization_id + "/" + c.id);
    if (error) {
      log::warn("saml metadata refresh failed", {{"connection", c.id},
                                                 {"organization", c.organization_id},
                                                 {"error", std::string(error->code_name())}});
    }
    return changed;
  });
}

std::chrono::milliseconds IdpMetadataRefresher::tick() {
  std::lock_guard lock(mu_);
  if (page_.empty()) {
    if (!cursor_.empty() && !page_was_full_) {
      cursor_.clear();  // the walk is done; the next one starts after a pause
      return kIdlePause;
    }
    auto rows = store_.read<std::vector<store::Connection>>([&](store::Repositories& repos) {
      return repos.connections().list_of_type("saml", "", cursor_, static_cast<int>(kPageSize));
    });
    if (!rows) {
      log::warn("saml metadata refresh: listing connections",
                {{"error", std::string(rows.error().code_name())}});
      return kIdlePause;
    }
    if (rows->empty()) {
      cursor_.clear();
      page_was_full_ = false;
      return kIdlePause;
    }
    page_was_full_ = static_cast<int64_t>(rows->size()) == kPageSize;
    cursor_ = rows->back().id;
    page_ = std::move(*rows);
    std::reverse(page_.begin(), page_.end());  // pop_back() in id order
  }
  const int64_t now = clock_.now_ms();
  while (!page_.empty()) {
    store::Connection c = std::move(page_.back());
    page_.pop_back();
    if (!is_due(c, now)) continue;
    if (auto r = refresh(c); !r) {
      log::warn("saml metadata refresh: storing the outcome",
                {{"connection", c.id}, {"error", std::string(r.error().code_name())}});
    }
    break;
  }
  return std::chrono::milliseconds(0);
}

}  // namespace gh::federation::saml
