#include "federation/connection_service.h"

#include "federation/attributes.h"
#include "federation/error_codes.h"
#include "http/api.h"
#include "tenancy/domains.h"

namespace gh::federation {

namespace {

Error invalid(const std::string& field, const std::string& message) {
  Error e(errc::ConnectionInvalid, message);
  e.extra["field"] = field;
  return e;
}

std::string types_list() {
  std::string out;
  for (const auto* f : connection_factories()) {
    out += (out.empty() ? "" : ", ") + std::string(f->type());
  }
  return out;
}

crypto::SealContext trace_context(const std::string& env, const std::string& org,
                                  const std::string& request_id) {
  return {env, org, "login_traces", request_id, "body"};
}

}  // namespace

Result<ConnectionInput> parse_connection_input(const nlohmann::json& body, bool creating) {
  if (auto ok = http::only_fields(body, {"type", "name", "domains", "settings", "attribute_mapping",
                                         "acr_mapping", "allow_email_linking"});
      !ok) {
    return fail(ok.error());
  }
  ConnectionInput in;
  if (creating) {
    auto type = http::required_string(body, "type", 32);
    if (!type) return fail(type.error());
    in.type = *type;
    auto name = http::required_string(body, "name", 128);
    if (!name) return fail(name.error());
    in.name = *name;
  } else {
    if (body.contains("type")) {
      return fail(invalid("type", "A connection's type cannot change; create another one"));
    }
    auto name = http::optional_string(body, "name", 128);
    if (!name) return fail(name.error());
    in.name = *name;
  }
  if (in.name && in.name->empty()) return fail(invalid("name", "'name' must not be empty"));
  if (body.contains("domains")) {
    if (!body["domains"].is_array() || body["domains"].size() > 100) {
      return fail(invalid("domains", "'domains' must be a list of at most 100 domain names"));
    }
    nlohmann::json domains = nlohmann::json::array();
    for (const auto& d : body["domains"]) {
      if (!d.is_string()) return fail(invalid("domains", "'domains' must be a list of names"));
      auto n = tenancy::normalize_domain(d.get<std::string>());
      if (!n) return fail(invalid("domains", n.error().text()));
      if (std::find(domains.begin(), domains.end(), *n) == domains.end()) domains.push_back(*n);
    }
    in.domains = domains;
  }
  for (const char* f : {"settings", "attribute_mapping", "acr_mapping"}) {
    auto v = http::optional_object(body, f);
    if (!v) return fail(v.error());
    if (*v) {
      if (std::string(f) == "settings") in.settings = **v;
      if (std::string(f) == "attribute_mapping") in.attribute_mapping = **v;
      if (std::string(f) == "acr_mapping") in.acr_mapping = **v;
    }
  }
  if (body.contains("allow_email_linking")) {
    if (!body["allow_email_linking"].is_boolean()) {
      return fail(invalid("allow_email_linking", "'allow_email_linking' must be true or false"));
    }
    in.allow_email_linking = body["allow_email_linking"].get<bool>();
  }
  return in;
}

nlohmann::json connection_json(const store::Connection& c) {
  const auto* factory = find_connection_factory(c.type);
  return {{"id", c.id},
          {"organization_id", c.organization_id},
          {"type", c.type},
          {"name", c.name},
          {"status", c.status},
          {"domains", c.domains},
          {"settings", factory ? factory->public_settings(c) : nlohmann::json::object()},
          {"attribute_mapping", c.attribute_mapping},
          {"acr_mapping", c.acr_mapping},
          {"allow_email_linking", c.allow_email_linking},
          {"version", c.version},
          {"created_at_ms", c.created_at_ms},
          {"updated_at_ms", c.updated_at_ms}};
}

Result<bool> TraceStore::save(const std::string& environment_id, const std::string& organization_id,
                              const std::string& request_id, const std::string& connection_id,
                              const Trace& trace) {
  auto sealed = sealing_.seal(trace_context(environment_id, organization_id, request_id),
                              trace.json().dump());
  if (!sealed) return fail(sealed.error());
  store::LoginTrace row;
  row.request_id = request_id;
  row.environment_id = environment_id;
  row.organization_id = organization_id;
  row.connection_id = connection_id;
  row.body_sealed = *sealed;
  row.expires_at_ms = clock_.now_ms() + retention_ms_;
  return store_.transact<bool>([&](store::Repositories& repos) -> Result<bool> {
    // Keep the first save's created_at: the trace is one record per login.
    auto existing =
        repos.login_traces().get(environment_id, organization_id, request_id, clock_.now_ms());
    if (existing) row.created_at_ms = existing->created_at_ms;
    auto put = repos.login_traces().put(row);
    if (!put) return fail(put.error());
    return true;
  });
}

Result<std::optional<nlohmann::json>> TraceStore::load(const std::string& environment_id,
                                                       const std::string& organization_id,
                                                       const std::string& request_id) {
  auto row = store_.read<store::LoginTrace>([&](store::Repositories& repos) {
    return repos.login_traces().get(environment_id, organization_id, request_id, clock_.now_ms());
  });
  if (!row) {
    if (row.error().code == errc::LoginTraceNotFound) {
      return std::optional<nlohmann::json>();
    }
    return fail(row.error());
  }
  auto body =
      sealing_.open(trace_context(environment_id, organization_id, request_id), row->body_sealed);
  if (!body) return fail(body.error());
  auto j = nlohmann::json::parse(*body, nullptr, false);
  if (j.is_discarded()) return fail(errc::ServerInternal, "", "trace body is not JSON");
  j["request_id"] = row->request_id;
  j["connection_id"] = row->connection_id;
  j["created_at_ms"] = row->created_at_ms;
  j["updated_at_ms"] = row->updated_at_ms;
  j["expires_at_ms"] = row->expires_at_ms;
  return std::optional<nlohmann::json>(std::move(j));
}

ConnectionService::ConnectionService(store::Store& store, tenancy::TenancyService& tenancy,
                                     tenancy::Sealing& sealing, catalog::CatalogService* catalog,
                                     std::string public_url, int64_t trace_retention_days,
                                     const Clock& clock, Random& random)
    : store_(store),
      tenancy_(tenancy),
      sealing_(sealing),
      catalog_(catalog),
      public_url_(std::move(public_url)),
      clock_(clock),
      random_(random),
      traces_(store, sealing, trace_retention_days, clock) {}

ConnectionDeps ConnectionService::deps() const {
  return ConnectionDeps{clock_, random_, tenancy_.hasher(), &sealing_, public_url_, &store_};
}

Result<bool> ConnectionService::validate(const store::Environment& env, store::Connection& c) {
  const auto* factory = find_connection_factory(c.type);
  if (!factory) {
    return fail(
        Error(errc::ConnectionTypeUnsupported,
              "Unknown connection type '" + c.type + "'; this server supports: " + types_list()));
  }
  std::optional<catalog::Catalog> effective;
  if (catalog_) {
    auto eff = catalog_->effective(env, c.organization_id);
    if (!eff) return fail(eff.error());
    effective = std::move(*eff);
  }
  if (auto ok = validate_attribute_mapping(c.attribute_mapping, effective ? &*effective : nullptr);
      !ok) {
    return ok;
  }
  return factory->validate(env, c, deps());
}

Result<store::Connection> ConnectionService::create(const store::Environment& env,
                                                    const std::string& org_id,
                                                    const ConnectionInput& in,
                                                    const tenancy::Actor& actor) {
  store::Connection c;
  c.environment_id = env.id;
  c.organization_id = org_id;
  c.type = in.type.value_or("");
  c.name = in.name.value_or("");
  if (in.domains) c.domains = *in.domains;
  if (in.settings) c.settings = *in.settings;
  if (in.attribute_mapping) c.attribute_mapping = *in.attribute_mapping;
  if (in.acr_mapping) c.acr_mapping = *in.acr_mapping;
  c.allow_email_linking = in.allow_email_linking.value_or(false);
  // The organization first, so another tenant's id answers tenant.not_found before any check.
  auto org = store_.read<store::Organization>(
      [&](store::Repositories& repos) { return repos.organizations().get(env.id, org_id); });
  if (!org) return fail(org.error());
  if (auto ok = validate(env, c); !ok) return fail(ok.error());
  return store_.transact<store::Connection>(
      [&](store::Repositories& repos) -> Result<store::Connection> {
        if (auto o = repos.organizations().get(env.id, org_id); !o) return fail(o.error());
        auto created = repos.connections().create(c);
        if (!created) return created;
        if (auto r =
                tenancy_.record(repos, env, org_id, actor, "connection.created", "connection",
                                created->id, {{"type", created->type}, {"name", created->name}},
                                {{"connection", connection_json(*created)}});
            !r) {
          return fail(r.error());
        }
        repos.changed("connection", org_id + "/" + created->id);
        return created;
      });
}

Result<store::Connection> ConnectionService::get(const store::Environment& env,
                                                 const std::string& org_id, const std::string& id) {
  return store_.read<store::Connection>(
      [&](store::Repositories& repos) { return repos.connections().get(env.id, org_id, id); });
}

Result<std::vector<store::Connection>> ConnectionService::list(const store::Environment& env,
                                                               const std::string& org_id) {
  return store_.read<std::vector<store::Connection>>(
      [&](store::Repositories& repos) -> Result<std::vector<store::Connection>> {
        if (auto o = repos.organizations().get(env.id, org_id); !o) return fail(o.error());
        return repos.connections().list(env.id, org_id);
      });
}

Result<store::Connection> ConnectionService::update(
    const store::Environment& env, const std::string& org_id, const std::string& id,
    const ConnectionInput& in, int64_t expected_version, const tenancy::Actor& actor) {
  auto current = get(env, org_id, id);
  if (!current) return current;
  store::Connection c = *current;
  if (in.name) c.name = *in.name;
  if (in.domains) c.domains = *in.domains;
  if (in.settings) {
    c.settings = *in.settings;
    // settings.sp is server-owned (a SAML connection's SP keys, sealed): never replaced by input.
    if (current->settings.is_object() && current->settings.contains("sp")) {
      c.settings["sp"] = current->settings["sp"];
    }
    // settings.client_key too (an OIDC connection's private_key_jwt key, sealed): the IdP has
    // registered its public half.
    if (current->settings.is_object() && current->settings.contains("client_key")) {
      c.settings["client_key"] = current->settings["client_key"];
    }
  }
  if (in.attribute_mapping) c.attribute_mapping = *in.attribute_mapping;
  if (in.acr_mapping) c.acr_mapping = *in.acr_mapping;
  if (in.allow_email_linking) c.allow_email_linking = *in.allow_email_linking;
  if (auto ok = validate(env, c); !ok) return fail(ok.error());
  return store_.transact<store::Connection>(
      [&](store::Repositories& repos) -> Result<store::Connection> {
        auto updated = repos.connections().update(c, expected_version);
        if (!updated) return updated;
        nlohmann::json changed = nlohmann::json::array();
        for (const char* f : {"name", "domains", "settings", "attribute_mapping", "acr_mapping",
                              "allow_email_linking"}) {
          if (connection_json(*current)[f] != connection_json(*updated)[f]) changed.push_back(f);
        }
        if (auto r = tenancy_.record(repos, env, org_id, actor, "connection.updated", "connection",
                                     id, {{"changed", changed}},
                                     {{"connection", connection_json(*updated)}});
            !r) {
          return fail(r.error());
        }
        repos.changed("connection", org_id + "/" + id);
        return updated;
      });
}

Result<store::Connection> ConnectionService::remove(const store::Environment& env,
                                                    const std::string& org_id,
                                                    const std::string& id,
                                                    const tenancy::Actor& actor) {
  return store_.transact<store::Connection>(
      [&](store::Repositories& repos) -> Result<store::Connection> {
        auto removed = repos.connections().remove(env.id, org_id, id);
        if (!removed) return removed;
        if (auto r = tenancy_.record(repos, env, org_id, actor, "connection.deleted", "connection",
                                     id, {{"type", removed->type}, {"name", removed->name}},
                                     {{"connection", {{"id", id}}}});
            !r) {
          return fail(r.error());
        }
        repos.changed("connection", org_id + "/" + id);
        return removed;
      });
}

Result<store::Connection> ConnectionService::set_status(const store::Environment& env,
                                                        const std::string& org_id,
                                                        const std::string& id,
                                                        const std::string& status,
                                                        const tenancy::Actor& actor) {
  return store_.transact<store::Connection>([&](store::Repositories& repos)
                                                -> Result<store::Connection> {
    auto current = repos.connections().get(env.id, org_id, id);
    if (!current) return current;
    if (!is_allowed_transition(current->status, status)) {
      return fail(Error(errc::ConnectionInvalidTransition,
                        "The connection is " + current->status + "; it cannot become " + status));
    }
    store::Connection next = *current;
    next.status = status;
    auto updated = repos.connections().update(next, current->version);
    if (!updated) return updated;
    const std::string action = status == "active" ? "connection.activated" : "connection.disabled";
    if (auto r = tenancy_.record(repos, env, org_id, actor, action, "connection", id,
                                 {{"from", current->status}, {"to", status}},
                                 {{"connection", connection_json(*updated)}});
        !r) {
      return fail(r.error());
    }
    repos.changed("connection", org_id + "/" + id);
    return updated;
  });
}

Result<ConnectionService::TestLogin> ConnectionService::start_test(const store::Environment& env,
                                                                   const std::string& org_id,
                                                                   const std::string& id,
                                                                   const tenancy::Actor& actor) {
  if (auto ok = sealing_.check(env.id, org_id); !ok) return fail(ok.error());
  return store_.transact<TestLogin>([&](store::Repositories& repos) -> Result<TestLogin> {
    auto c = repos.connections().get(env.id, org_id, id);
    if (!c) return fail(c.error());
    if (c->status == "disabled") {
      return fail(Error(errc::ConnectionNotActive,
                        "The connection is disabled; activate it (or create another) to test it"));
    }
    store::LoginTransaction t;
    t.id = random_.base64url(16);
    t.environment_id = env.id;
    t.organization_id = org_id;
    t.connection_id = id;
    t.login_request_id = "test_" + random_.base64url(12);
    t.state = random_.base64url(16);
    t.nonce = random_.base64url(16);
    t.test_mode = true;
    t.expires_at_ms = clock_.now_ms() + kLoginTransactionLifetimeMs;
    auto created = repos.connections().create_transaction(t);
    if (!created) return fail(created.error());
    // Audited (who tested what), without an outbox event: nothing changed.
    store::AuditRecord rec;
    rec.environment_id = env.id;
    rec.organization_id = org_id;
    rec.actor_type = actor.type;
    rec.actor_id = actor.id;
    rec.action = "connection.test_started";
    rec.target_type = "connection";
    rec.target_id = id;
    rec.request_id = actor.request_id;
    rec.source_ip = actor.source_ip;
    rec.summary = {{"login_request_id", t.login_request_id}};
    rec.occurred_at_ms = clock_.now_ms();
    if (auto a = repos.audit().append(rec); !a) return fail(a.error());
    return TestLogin{t.login_request_id,
                     public_url_ + "/" + env.name + "/login/test/" + org_id + "/" + t.id,
                     t.expires_at_ms};
  });
}

Result<nlohmann::json> ConnectionService::trace(const store::Environment& env,
                                                const std::string& org_id,
                                                const std::string& request_id) {
  auto org = store_.read<store::Organization>(
      [&](store::Repositories& repos) { return repos.organizations().get(env.id, org_id); });
  if (!org) return fail(org.error());
  if (auto ok = sealing_.check(env.id, org_id); !ok) return fail(ok.error());
  auto body = traces_.load(env.id, org_id, request_id);
  if (!body) return fail(body.error());
  if (!*body) {
    return fail(Error(errc::LoginTraceNotFound,
                      "No login trace '" + request_id + "' in this organization"));
  }
  return std::move(**body);
}

}  // namespace gh::federation
