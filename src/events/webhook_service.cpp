#include "events/webhook_service.h"

#include <unordered_map>

#include "core/config.h"
#include "core/encoding.h"
#include "core/ids.h"
#include "core/log.h"
#include "events/error_codes.h"
#include "events/signature.h"

namespace gh::events {

namespace {

constexpr size_t kMaxUrl = 2048;
constexpr size_t kMaxTypes = 64;

bool matches(const store::WebhookEndpoint& e, const store::OutboxEvent& ev) {
  if (!e.enabled) return false;
  // An organization's endpoint hears only that organization's events.
  if (!e.organization_id.empty() && e.organization_id != ev.organization_id) return false;
  if (e.event_types.empty()) return true;
  for (const auto& t : e.event_types) {
    if (t == "*" || t == ev.type) return true;
  }
  return false;
}

constexpr std::string_view kSealedPrefix = "sealed:";

crypto::SealContext secret_context(const store::WebhookEndpoint& e, const std::string& column) {
  return {e.environment_id, e.organization_id, "webhook_endpoints", e.id, column};
}

// The secrets that sign now, opened. A secret that does not open (the organization's
// customer-managed key is disabled) fails the attempt: it is retried, never sent unsigned.
Result<std::vector<std::string>> signing_secrets(tenancy::Sealing& sealing,
                                                 const store::WebhookEndpoint& e, int64_t now_ms) {
  std::vector<std::string> out;
  for (const auto& s : e.secrets) {
    if (s.expires_at_ms != 0 && s.expires_at_ms <= now_ms) continue;
    if (!s.secret.starts_with(kSealedPrefix)) {
      out.push_back(s.secret);  // written before secrets were sealed
      continue;
    }
    auto sealed = base64_decode(std::string_view(s.secret).substr(kSealedPrefix.size()));
    auto secret = sealing.open(secret_context(e, "secret:" + s.id), sealed ? *sealed : "");
    if (!secret) return fail(secret.error());
    out.push_back(std::move(*secret));
  }
  return out;
}

}  // namespace

nlohmann::json event_json(const store::OutboxEvent& e) {
  return {{"id", e.id},
          {"type", e.type},
          {"environment_id", e.environment_id},
          {"organization_id",
           e.organization_id.empty() ? nlohmann::json(nullptr) : nlohmann::json(e.organization_id)},
          {"occurred_at", format_rfc3339(e.occurred_at_ms)},
          {"data", e.payload}};
}

nlohmann::json endpoint_json(const store::WebhookEndpoint& e) {
  nlohmann::json secrets = nlohmann::json::array();
  for (const auto& s : e.secrets) {
    secrets.push_back(
        {{"id", s.id},
         {"created_at", format_rfc3339(s.created_at_ms)},
         {"expires_at", s.expires_at_ms ? nlohmann::json(format_rfc3339(s.expires_at_ms))
                                        : nlohmann::json(nullptr)}});
  }
  return {{"id", e.id},
          {"url", e.url},
          {"description", e.description},
          {"organization_id",
           e.organization_id.empty() ? nlohmann::json(nullptr) : nlohmann::json(e.organization_id)},
          {"event_types", e.event_types.empty() ? std::vector<std::string>{"*"} : e.event_types},
          {"enabled", e.enabled},
          {"secrets", secrets},
          {"version", e.version},
          {"created_at", format_rfc3339(e.created_at_ms)},
          {"updated_at", format_rfc3339(e.updated_at_ms)}};
}

nlohmann::json delivery_json(const store::WebhookDelivery& d) {
  return {{"id", d.id},
          {"endpoint_id", d.endpoint_id},
          {"event_id", d.event_id},
          {"event_type", d.event_type},
          {"status", d.status},
          {"attempts", d.attempts},
          {"next_attempt_at", d.status == "pending"
                                  ? nlohmann::json(format_rfc3339(d.next_attempt_at_ms))
                                  : nlohmann::json(nullptr)},
          {"last_status", d.last_status ? nlohmann::json(d.last_status) : nlohmann::json(nullptr)},
          {"last_error", d.last_error},
          {"last_response_ms", d.last_response_ms},
          {"created_at", format_rfc3339(d.created_at_ms)},
          {"updated_at", format_rfc3339(d.updated_at_ms)}};
}

WebhookService::WebhookService(store::Store& store, tenancy::Sealing& sealing, RetryPolicy retry,
                               const Clock& clock, Random& random)
    : store_(store), sealing_(sealing), retry_(retry), clock_(clock), random_(random) {}

Result<store::WebhookSecret> WebhookService::seal_secret(const store::WebhookEndpoint& e,
                                                         store::WebhookSecret secret) {
  auto sealed = sealing_.seal(secret_context(e, "secret:" + secret.id), secret.secret);
  if (!sealed) return fail(sealed.error());
  secret.secret = std::string(kSealedPrefix) + base64_encode(*sealed);
  return secret;
}

Result<bool> WebhookService::check_url(const std::string& url) {
  const auto bad = [&](const std::string& why) {
    return fail(Error(errc::WebhookInvalidUrl, why));
  };
  if (url.size() > kMaxUrl) return bad("The URL is longer than 2048 characters");
  const bool https = url.starts_with("https://");
  const bool http = url.starts_with("http://");
  if (!https && !http) return bad("The URL must start with https:// (http:// only on loopback)");
  const std::string rest = url.substr(https ? 8 : 7);
  const std::string authority = rest.substr(0, rest.find_first_of("/?#"));
  if (authority.empty()) return bad("The URL has no host");
  if (authority.find('@') != std::string::npos) return bad("The URL must not carry credentials");
  if (url.find('#') != std::string::npos) return bad("The URL must not have a fragment");
  for (unsigned char c : url) {
    if (c <= 0x20 || c >= 0x7f) return bad("The URL has spaces or non-ASCII characters");
  }
  if (http && !is_loopback_url(url)) {
    return bad("http:// is only allowed for loopback addresses; use https://");
  }
  return true;
}

Result<std::vector<std::string>> WebhookService::check_event_types(
    const std::vector<std::string>& types) {
  // Dotted lowercase names: segment ("." segment)+, each [a-z][a-z0-9_]*.
  const auto is_type_name = [](const std::string& t) {
    size_t segments = 0;
    size_t i = 0;
    while (i <= t.size()) {
      const size_t dot = std::min(t.find('.', i), t.size());
      if (dot == i || !(t[i] >= 'a' && t[i] <= 'z')) return false;
      for (size_t k = i; k < dot; ++k) {
        const char c = t[k];
        if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_')) return false;
      }
      ++segments;
      i = dot + 1;
    }
    return segments >= 2;
  };
  if (types.empty() || types.size() > kMaxTypes) {
    return fail(Error(errc::WebhookInvalidEventTypes,
                      "event_types must list 1 to 64 event types, or [\"*\"] for all"));
  }
  std::vector<std::string> out;
  for (const auto& t : types) {
    if (t == "*") return std::vector<std::string>{};  // all
    if (t.size() > 100 || !is_type_name(t)) {
      return fail(Error(errc::WebhookInvalidEventTypes,
                        "'" + t.substr(0, 100) + "' is not an event type name"));
    }
    out.push_back(t);
  }
  return out;
}

store::WebhookSecret WebhookService::new_secret(int64_t now_ms) {
  return {"whs_" + random_.hex(8), "whsec_" + random_.base64url(32), now_ms, 0};
}

void WebhookService::audit(store::Repositories& repos, const WebhookScope& scope,
                           const tenancy::Actor& actor, const std::string& action,
                           const std::string& target_id, const nlohmann::json& summary) {
  store::AuditRecord rec;
  rec.environment_id = scope.env.id;
  rec.organization_id = scope.organization_id;
  rec.actor_type = actor.type;
  rec.actor_id = actor.id;
  rec.action = action;
  rec.target_type = "webhook_endpoint";
  rec.target_id = target_id;
  rec.request_id = actor.request_id;
  rec.source_ip = actor.source_ip;
  rec.summary = summary;
  rec.occurred_at_ms = clock_.now_ms();
  (void)repos.audit().append(rec);
}

Result<IssuedEndpoint> WebhookService::create(const WebhookScope& scope, const EndpointInput& in,
                                              const tenancy::Actor& actor) {
  if (!in.url) return fail(Error(errc::WebhookInvalidUrl, "'url' is required"));
  if (auto ok = check_url(*in.url); !ok) return fail(ok.error());
  store::WebhookEndpoint e;
  e.environment_id = scope.env.id;
  e.organization_id = scope.organization_id;
  e.url = *in.url;
  e.description = in.description.value_or("");
  if (in.event_types) {
    auto types = check_event_types(*in.event_types);
    if (!types) return fail(types.error());
    e.event_types = *types;
  }
  e.enabled = in.enabled.value_or(true);
  e.id = new_uuid_v7(clock_);
  const store::WebhookSecret issued = new_secret(clock_.now_ms());
  auto sealed = seal_secret(e, issued);
  if (!sealed) return fail(sealed.error());
  e.secrets.push_back(*sealed);
  return store_.transact<IssuedEndpoint>([&](store::Repositories& repos) -> Result<IssuedEndpoint> {
    if (!scope.organization_id.empty()) {
      auto org = repos.organizations().get(scope.env.id, scope.organization_id);
      if (!org) return fail(org.error());
    }
    auto created = repos.webhooks().create_endpoint(e);
    if (!created) return fail(created.error());
    audit(repos, scope, actor, "webhook.created", created->id,
          {{"url", created->url}, {"event_types", endpoint_json(*created)["event_types"]}});
    return IssuedEndpoint{*created, issued.secret};
  });
}

Result<store::WebhookEndpoint> WebhookService::get(const WebhookScope& scope,
                                                   const std::string& id) {
  return store_.read<store::WebhookEndpoint>([&](store::Repositories& repos) {
    return repos.webhooks().get_endpoint(scope.env.id, scope.organization_id, id);
  });
}

Result<std::vector<store::WebhookEndpoint>> WebhookService::list(const WebhookScope& scope) {
  return store_.read<std::vector<store::WebhookEndpoint>>([&](store::Repositories& repos) {
    return repos.webhooks().list_endpoints(scope.env.id, scope.organization_id);
  });
}

Result<store::WebhookEndpoint> WebhookService::update(const WebhookScope& scope,
                                                      const std::string& id,
                                                      const EndpointInput& in,
                                                      int64_t expected_version,
                                                      const tenancy::Actor& actor) {
  if (in.url) {
    if (auto ok = check_url(*in.url); !ok) return fail(ok.error());
  }
  std::optional<std::vector<std::string>> types;
  if (in.event_types) {
    auto t = check_event_types(*in.event_types);
    if (!t) return fail(t.error());
    types = *t;
  }
  return store_.transact<store::WebhookEndpoint>(
      [&](store::Repositories& repos) -> Result<store::WebhookEndpoint> {
        auto current = repos.webhooks().get_endpoint(scope.env.id, scope.organization_id, id);
        if (!current) return fail(current.error());
        store::WebhookEndpoint e = *current;
        nlohmann::json summary = nlohmann::json::object();
        if (in.url) e.url = *in.url, summary["url"] = *in.url;
        if (in.description) e.description = *in.description;
        if (types) e.event_types = *types, summary["event_types"] = endpoint_json(e)["event_types"];
        if (in.enabled) e.enabled = *in.enabled, summary["enabled"] = *in.enabled;
        auto updated = repos.webhooks().update_endpoint(
            e, expected_version < 0 ? current->version : expected_version);
        if (!updated) return fail(updated.error());
        audit(repos, scope, actor, "webhook.updated", id, summary);
        return updated;
      });
}

Result<bool> WebhookService::remove(const WebhookScope& scope, const std::string& id,
                                    const tenancy::Actor& actor) {
  return store_.transact<bool>([&](store::Repositories& repos) -> Result<bool> {
    auto r = repos.webhooks().delete_endpoint(scope.env.id, scope.organization_id, id);
    if (!r) return fail(r.error());
    audit(repos, scope, actor, "webhook.deleted", id, nlohmann::json::object());
    return true;
  });
}

Result<IssuedEndpoint> WebhookService::rotate_secret(const WebhookScope& scope,
                                                     const std::string& id, int64_t overlap_s,
                                                     const tenancy::Actor& actor) {
  if (overlap_s < 0 || overlap_s > 7 * 24 * 3600) {
    return fail(Error(errc::WebhookInvalidRotation));
  }
  const int64_t now = clock_.now_ms();
  const store::WebhookSecret issued = new_secret(now);
  return store_.transact<IssuedEndpoint>([&](store::Repositories& repos) -> Result<IssuedEndpoint> {
    auto current = repos.webhooks().get_endpoint(scope.env.id, scope.organization_id, id);
    if (!current) return fail(current.error());
    store::WebhookEndpoint e = *current;
    auto sealed = seal_secret(e, issued);
    if (!sealed) return fail(sealed.error());
    std::vector<store::WebhookSecret> kept;
    for (auto s : e.secrets) {
      if (s.expires_at_ms != 0 && s.expires_at_ms <= now) continue;  // already expired: drop
      // Every older secret signs at most `overlap_s` longer (0 ends them now).
      const int64_t end = now + overlap_s * 1000;
      if (s.expires_at_ms == 0 || s.expires_at_ms > end) s.expires_at_ms = end;
      if (s.expires_at_ms > now) kept.push_back(s);
    }
    kept.push_back(*sealed);
    e.secrets = kept;
    auto updated = repos.webhooks().update_endpoint(e, current->version);
    if (!updated) return fail(updated.error());
    audit(repos, scope, actor, "webhook.secret_rotated", id,
          {{"secret_id", kept.back().id}, {"overlap_seconds", overlap_s}});
    return IssuedEndpoint{*updated, issued.secret};
  });
}

Result<std::vector<store::WebhookDelivery>> WebhookService::deliveries(
    const WebhookScope& scope, const std::string& endpoint_id, const std::string& before,
    int limit) {
  return store_.read<std::vector<store::WebhookDelivery>>([&](store::Repositories& repos) {
    return repos.webhooks().list_deliveries(scope.env.id, scope.organization_id, endpoint_id,
                                            before, limit);
  });
}

Result<store::WebhookDelivery> WebhookService::redeliver(const WebhookScope& scope,
                                                         const std::string& endpoint_id,
                                                         const std::string& delivery_id,
                                                         const tenancy::Actor& actor) {
  return store_.transact<store::WebhookDelivery>(
      [&](store::Repositories& repos) -> Result<store::WebhookDelivery> {
        auto d = repos.webhooks().get_delivery(scope.env.id, scope.organization_id, delivery_id);
        if (!d) return fail(d.error());
        if (d->endpoint_id != endpoint_id) {
          return fail(Error(errc::WebhookDeliveryNotFound,
                            "No delivery '" + delivery_id + "' for this endpoint"));
        }
        auto r = repos.webhooks().redeliver(scope.env.id, scope.organization_id, delivery_id,
                                            clock_.now_ms());
        if (!r) return fail(r.error());
        audit(repos, scope, actor, "webhook.redelivered", endpoint_id,
              {{"delivery_id", delivery_id}, {"event_id", d->event_id}});
        return r;
      });
}

namespace {

// OIDC Back-Channel Logout 1.0 §2.7: one notice per application in the session that registered
// a backchannel_logout_uri (disabled or deleted applications are skipped).
Result<bool> add_logout_deliveries(store::Repositories& repos, const std::string& environment_id,
                                   const store::OutboxEvent& ev, const Clock& clock,
                                   Random& random) {
  if (!ev.payload.contains("session") || !ev.payload["session"].is_object()) return true;
  const auto& s = ev.payload["session"];
  auto str = [&](const char* k) {
    return s.contains(k) && s[k].is_string() ? s[k].get<std::string>() : std::string();
  };
  if (!s.contains("clients") || !s["clients"].is_array()) return true;
  for (const auto& c : s["clients"]) {
    if (!c.is_string()) continue;
    auto app = repos.applications().find_by_client_id(environment_id, c.get<std::string>());
    if (!app) {
      // oauth/ owns the code (events/ comes before it); a client deleted since: no receiver.
      if (app.error().code_name() == "application.not_found") continue;
      return fail(app.error());
    }
    if (app->backchannel_logout_uri.empty() || app->status != "active") continue;
    LogoutNotice n;
    n.uri = app->backchannel_logout_uri;
    n.client_id = app->client_id;
    n.organization_id = str("organization_id");
    n.sub = str("user_id");
    n.sid = str("sid");
    n.jti = new_uuid_v7(clock, random);
    // §2.2: a receiver that registered backchannel_logout_session_required acts on sid only; a
    // logout without one (a user-wide end) is not sent to it rather than sent without sid.
    n.sid_required = app->backchannel_logout_session_required;
    if (n.sid_required && n.sid.empty()) continue;
    store::WebhookDelivery d;
    d.endpoint_id = app->id;
    d.environment_id = environment_id;
    d.organization_id = n.organization_id;
    d.event_id = ev.id;
    d.event_type = std::string(kBackchannelLogoutDelivery);
    d.body = notice_json(n).dump();
    d.next_attempt_at_ms = clock.now_ms();
    if (auto ok = repos.webhooks().add_delivery(d); !ok) return fail(ok.error());
  }
  return true;
}

}  // namespace

Result<std::vector<store::WebhookDelivery>> WebhookService::logout_deliveries(
    const WebhookScope& scope, const std::string& application_id, const std::string& before,
    int limit) {
  return store_.read<std::vector<store::WebhookDelivery>>([&](store::Repositories& repos) {
    return repos.webhooks().list_deliveries_of_type(scope.env.id, scope.organization_id,
                                                    kBackchannelLogoutDelivery, application_id,
                                                    before, limit);
  });
}

Result<int> WebhookService::fan_out(const std::string& environment_id, int batch) {
  const std::string consumer = "webhooks:" + environment_id;
  return store_.transact<int>([&](store::Repositories& repos) -> Result<int> {
    // Locking the position first makes nodes take turns; the outbox read that follows sees
    // only transactions finished before it (commit order), so nothing is skipped.
    auto pos = repos.outbox().consumer_position(consumer, true);
    if (!pos) return fail(pos.error());
    auto events = repos.outbox().read(environment_id, "", *pos, batch);
    if (!events) return fail(events.error());
    if (events->empty()) return 0;
    auto endpoints = repos.webhooks().list_endpoints(environment_id, "");
    if (!endpoints) return fail(endpoints.error());
    const int64_t now = clock_.now_ms();
    for (const auto& ev : *events) {
      if (ev.type == "session.revoked") {
        if (auto ok = add_logout_deliveries(repos, environment_id, ev, clock_, random_); !ok) {
          return fail(ok.error());
        }
      }
      std::string body;
      for (const auto& e : *endpoints) {
        if (!matches(e, ev)) continue;
        if (body.empty()) body = event_json(ev).dump();
        store::WebhookDelivery d;
        d.endpoint_id = e.id;
        d.environment_id = environment_id;
        d.organization_id = e.organization_id;
        d.event_id = ev.id;
        d.event_type = ev.type;
        d.body = body;
        d.next_attempt_at_ms = now;
        if (auto ok = repos.webhooks().add_delivery(d); !ok) return fail(ok.error());
      }
    }
    auto saved =
        repos.outbox().save_consumer_position(consumer, {events->back().tx, events->back().seq});
    if (!saved) return fail(saved.error());
    return static_cast<int>(events->size());
  });
}

Result<int> WebhookService::fan_out_all() {
  auto envs = store_.read<std::vector<store::Environment>>(
      [](store::Repositories& repos) { return repos.environments().list(); });
  if (!envs) return fail(envs.error());
  int total = 0;
  for (const auto& env : *envs) {
    for (;;) {
      auto n = fan_out(env.id);
      if (!n) return fail(n.error());
      total += *n;
      if (*n < 500) break;
    }
  }
  return total;
}

Result<int> WebhookService::deliver_due(http::HttpClient& client, const std::string& owner,
                                        int batch, int64_t timeout_ms) {
  const int64_t now = clock_.now_ms();
  // The lease outlives the whole batch: nobody else sends these attempts meanwhile; if this
  // node dies, they are due again once it runs out.
  const int64_t lease = batch * (timeout_ms + 1000) + 5'000;
  auto claimed =
      store_.transact<std::vector<store::WebhookDelivery>>([&](store::Repositories& repos) {
        return repos.webhooks().claim_due(now, lease, owner, batch);
      });
  if (!claimed) return fail(claimed.error());
  if (claimed->empty()) return 0;
  std::unordered_map<std::string, std::optional<store::WebhookEndpoint>> endpoints;
  std::vector<std::pair<std::string, store::DeliveryAttempt>> results;
  std::unordered_map<std::string, std::optional<store::Environment>> environments;
  auto retry_or_fail = [&](const store::WebhookDelivery& d, store::DeliveryAttempt& a) {
    if (retry_.exhausted(d.attempts)) {
      a.status = "failed";
    } else {
      a.status = "pending";
      a.next_attempt_at_ms = clock_.now_ms() + retry_.delay_ms(d.attempts, random_);
    }
  };
  for (const auto& d : *claimed) {
    if (d.event_type == kBackchannelLogoutDelivery) {
      store::DeliveryAttempt a;
      auto notice = parse_notice(d.body);
      if (!notice) {
        a.status = "failed";
        a.error = notice.error().text();
        results.emplace_back(d.id, a);
        continue;
      }
      auto env_it = environments.find(d.environment_id);
      if (env_it == environments.end()) {
        auto all = store_.read<std::vector<store::Environment>>(
            [](store::Repositories& repos) { return repos.environments().list(); });
        std::optional<store::Environment> found;
        if (all) {
          for (auto& e : *all) {
            if (e.id == d.environment_id) found = e;
          }
        }
        env_it = environments.emplace(d.environment_id, found).first;
      }
      // Fail closed: a token that cannot be signed (no signer, no active key, the
      // organization's key-encryption key unavailable) is retried, never sent unsigned.
      Result<std::string> token = fail(errc::ServerInternal, "no logout token signer");
      if (env_it->second && logout_signer_) token = logout_signer_(*env_it->second, *notice);
      if (!token) {
        a.error = std::string(token.error().code_name());
        retry_or_fail(d, a);
        results.emplace_back(d.id, a);
        continue;
      }
      http::ClientRequest req;
      req.method = "POST";
      req.url = notice->uri;
      req.body = "logout_token=" + percent_encode(*token);
      req.headers = {{"Content-Type", "application/x-www-form-urlencoded"},
                     {"Cache-Control", "no-store"}};
      auto res = client.send(req);
      a.http_status = res.status;
      a.response_ms = res.elapsed_ms;
      // §2.8: the RP answers 200 OK (204 is common too) when it logged the session out.
      if (res.ok()) {
        a.status = "succeeded";
      } else {
        a.error = !res.error.empty() ? res.error : "HTTP " + std::to_string(res.status);
        retry_or_fail(d, a);
      }
      results.emplace_back(d.id, a);
      continue;
    }
    auto it = endpoints.find(d.endpoint_id);
    if (it == endpoints.end()) {
      auto e = store_.read<store::WebhookEndpoint>([&](store::Repositories& repos) {
        return repos.webhooks().get_endpoint(d.environment_id, "", d.endpoint_id);
      });
      it = endpoints.emplace(d.endpoint_id, e ? std::optional(*e) : std::nullopt).first;
    }
    store::DeliveryAttempt a;
    if (!it->second || !it->second->enabled) {
      a.status = "failed";
      a.error = it->second ? "endpoint disabled" : "endpoint deleted";
      results.emplace_back(d.id, a);
      continue;
    }
    const auto& ep = *it->second;
    const int64_t sent_ms = clock_.now_ms();
    auto secrets = signing_secrets(sealing_, ep, sent_ms);
    if (!secrets) {
      // Fail closed (the organization's key is unavailable): never send unsigned; retry later.
      a.error = std::string(secrets.error().code_name());
      a.status = retry_.exhausted(d.attempts) ? "failed" : "pending";
      a.next_attempt_at_ms = clock_.now_ms() + retry_.delay_ms(d.attempts, random_);
      results.emplace_back(d.id, a);
      continue;
    }
    http::ClientRequest req;
    req.method = "POST";
    req.url = ep.url;
    req.body = d.body;
    req.headers = {{"Content-Type", "application/json"},
                   {"Gatehouse-Event-Id", d.event_id},
                   {"Gatehouse-Event-Type", d.event_type},
                   {"Gatehouse-Delivery-Id", d.id},
                   {"Gatehouse-Delivery-Attempt", std::to_string(d.attempts)},
                   {"Gatehouse-Signature", signature_header(sent_ms / 1000, d.body, *secrets)}};
    auto res = client.send(req);
    a.http_status = res.status;
    a.response_ms = res.elapsed_ms;
    if (res.ok()) {
      a.status = "succeeded";
    } else {
      a.error = !res.error.empty() ? res.error : "HTTP " + std::to_string(res.status);
      if (retry_.exhausted(d.attempts)) {
        a.status = "failed";
      } else {
        a.status = "pending";
        a.next_attempt_at_ms = clock_.now_ms() + retry_.delay_ms(d.attempts, random_);
      }
    }
    results.emplace_back(d.id, a);
  }
  auto recorded = store_.transact<bool>([&](store::Repositories& repos) -> Result<bool> {
    const int64_t at = clock_.now_ms();
    for (const auto& [id, a] : results) {
      auto r = repos.webhooks().record_attempt(id, owner, a, at);
      if (!r) return fail(r.error());
    }
    return true;
  });
  if (!recorded) return fail(recorded.error());
  return static_cast<int>(claimed->size());
}

}  // namespace gh::events
