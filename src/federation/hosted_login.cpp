#include "federation/hosted_login.h"

#include <algorithm>

#include "core/encoding.h"
#include "core/log.h"
#include "federation/discovery.h"
#include "federation/error_codes.h"
#include "federation/saml/relay_state.h"
#include "federation/testidp/test_idp.h"
#include "sessions/session_lookup.h"
#include "tenancy/error_codes.h"

namespace gh::federation {

namespace {

Error unavailable(const std::string& what) {
  return Error(errc::LoginUnavailable,
               "Hosted login cannot finish on this server: no " + what + " is configured");
}

bool looks_like_email(const std::string& s) { return email_domain(s).has_value(); }

std::string acr_list(const std::vector<std::string>& v) {
  std::string out;
  for (const auto& s : v) out += (out.empty() ? "" : " ") + s;
  return out;
}

}  // namespace

namespace {
// Enough of the transaction id (128 random bits, base64url) to tell a browser's parallel logins
// apart; the cookie's value names the whole transaction.
constexpr size_t kCookieTransactionChars = 8;
// A browser's bindings read at a callback (parallel logins in one environment).
constexpr size_t kMaxLoginBindings = 16;
}  // namespace

std::string login_cookie_prefix(std::string_view environment_name) {
  return "gh_login_" + std::string(environment_name) + "_";
}

std::string login_cookie_name(std::string_view environment_name, std::string_view transaction_id) {
  return login_cookie_prefix(environment_name) +
         std::string(transaction_id.substr(0, kCookieTransactionChars));
}

HostedLogin::HostedLogin(store::Store& store, tenancy::TenancyService& tenancy,
                         tenancy::Sealing& sealing, catalog::CatalogService& catalog,
                         ConnectionService& connections, LoginSeams seams, std::string public_url,
                         const Clock& clock, Random& random)
    : store_(store),
      tenancy_(tenancy),
      sealing_(sealing),
      catalog_(catalog),
      connections_(connections),
      seams_(std::move(seams)),
      public_url_(std::move(public_url)),
      clock_(clock),
      random_(random) {}

LoginStep HostedLogin::error_page(const Error& error, const std::string& trace_id) {
  LoginStep s;
  s.status = error.http_status();
  s.page = "error";
  s.view = {{"code", std::string(error.code_name())},
            {"message", error.text()},
            {"request_id", trace_id}};
  return s;
}

std::string HostedLogin::login_cookie(const store::Environment& env,
                                      const std::string& organization_id,
                                      const std::string& transaction_id, int64_t max_age_s) const {
  // SameSite=Lax: the test IdP's form posts from our own origin. Connection types whose IdP
  // posts cross-site (SAML) need SameSite=None, which browsers accept only with Secure.
  const std::string value = max_age_s > 0 ? organization_id + "." + transaction_id : "";
  std::string c = login_cookie_name(env.name, transaction_id) + "=" + value + "; Path=/" +
                  env.name + "/login; Max-Age=" + std::to_string(max_age_s) +
                  "; HttpOnly; SameSite=Lax";
  if (secure_cookies()) c += "; Secure";
  return c;
}

LoginStep HostedLogin::show(const store::Environment& env, const std::string& request_id,
                            const std::string& trace_id) {
  if (!seams_.requests) return error_page(unavailable("OIDC provider"), trace_id);
  auto req = seams_.requests->find(env.id, request_id);
  if (!req) return error_page(req.error(), trace_id);
  // Skip the email step when the application already told us where to go.
  if (looks_like_email(req->login_hint) || !req->domain_hint.empty() ||
      !req->organization_id.empty()) {
    return discover(env, *req, looks_like_email(req->login_hint) ? req->login_hint : "",
                    req->domain_hint, req->connection_id, trace_id);
  }
  LoginStep s;
  s.page = "login_email";
  s.view = {{"environment", env.name},
            {"request", req->id},
            {"client_name", req->client_name},
            {"login_hint", req->login_hint},
            {"action", "/" + env.name + "/login"}};
  return s;
}

LoginStep HostedLogin::submit(const store::Environment& env, const std::string& request_id,
                              const std::string& email, const std::string& connection_id,
                              const std::string& trace_id) {
  if (!seams_.requests) return error_page(unavailable("OIDC provider"), trace_id);
  auto req = seams_.requests->find(env.id, request_id);
  if (!req) return error_page(req.error(), trace_id);
  if (email.empty() && !req->organization_id.empty()) {
    return discover(env, *req, "", req->domain_hint, connection_id, trace_id);
  }
  auto domain = email_domain(email);
  if (!domain) {
    // Back to the form with the error next to the field.
    LoginStep s;
    s.status = 400;
    s.page = "login_email";
    s.view = {
        {"environment", env.name},
        {"request", req->id},
        {"client_name", req->client_name},
        {"login_hint", email},
        {"action", "/" + env.name + "/login"},
        {"error",
         {{"code", std::string(domain.error().code_name())}, {"message", domain.error().text()}}}};
    return s;
  }
  return discover(env, *req, email, "", connection_id, trace_id);
}

LoginStep HostedLogin::discover(const store::Environment& env, const LoginRequest& request,
                                const std::string& email, const std::string& domain_hint,
                                const std::string& chosen_connection, const std::string& trace_id) {
  std::string domain;
  if (!email.empty()) {
    auto d = email_domain(email);
    if (!d) return error_page(d.error(), trace_id);
    domain = *d;
  } else if (!domain_hint.empty()) {
    auto d = email_domain("x@" + domain_hint);
    if (!d) return error_page(d.error(), trace_id);
    domain = *d;
  }
  std::string org_id = request.organization_id;
  if (!domain.empty()) {
    auto holder = store_.read<std::optional<store::Domain>>(
        [&](store::Repositories& repos) { return repos.domains().find_verified(env.id, domain); });
    if (!holder) return error_page(holder.error(), trace_id);
    if (!*holder) {
      return error_page(
          Error(errc::LoginNoOrganization, "No organization has verified '" + domain +
                                               "'; ask your IT administrator to verify the domain"),
          trace_id);
    }
    org_id = (*holder)->organization_id;
  }
  if (org_id.empty()) {
    return error_page(Error(errc::LoginEmailInvalid), trace_id);
  }
  auto policy = tenancy_.policy_for(env, org_id);
  if (!policy) {
    // The application named an organization that is not in this environment.
    return error_page(policy.error().code == errc::TenantNotFound
                          ? Error(errc::LoginNoOrganization,
                                  "The application asked for an organization that does not exist")
                          : policy.error(),
                      trace_id);
  }
  auto connections = store_.read<std::vector<store::Connection>>(
      [&](store::Repositories& repos) { return repos.connections().list(env.id, org_id); });
  if (!connections) return error_page(connections.error(), trace_id);

  DiscoveryInput in;
  in.organization_id = org_id;
  in.domain = domain;
  in.connections = std::move(*connections);
  in.allowed_connections = policy->allowed_connections;
  in.requested_organization = request.organization_id;
  in.requested_connection = !chosen_connection.empty() ? chosen_connection : request.connection_id;
  auto choices = choose_connections(in);
  Trace trace(clock_);
  trace.step("discovery", {{"domain", domain},
                           {"organization_id", org_id},
                           {"requested_organization", request.organization_id},
                           {"requested_connection", in.requested_connection}});
  if (!choices) {
    trace.check(choices.error().code_name(), false, choices.error().text());
    return fail_login(env, org_id, "", request.id, trace, choices.error(), trace_id);
  }
  trace.check("login.no_connection", true,
              std::to_string(choices->size()) + " connection(s) to choose from");
  if (choices->size() > 1) {
    LoginStep s;
    s.page = "chooser";
    nlohmann::json items = nlohmann::json::array();
    for (const auto& c : *choices) items.push_back({{"id", c.id}, {"name", c.name}});
    s.view = {{"environment", env.name},
              {"request", request.id},
              {"client_name", request.client_name},
              {"email", email},
              {"action", "/" + env.name + "/login"},
              {"connections", items}};
    return s;
  }
  const store::Connection& chosen = choices->front();

  // Fail closed before anything is written for an organization whose key is unavailable.
  if (auto ok = sealing_.check(env.id, org_id); !ok) return error_page(ok.error(), trace_id);
  store::LoginTransaction t;
  t.id = random_.base64url(16);
  t.environment_id = env.id;
  t.organization_id = org_id;
  t.connection_id = chosen.id;
  t.login_request_id = request.id;
  t.state = random_.base64url(16);
  t.nonce = random_.base64url(16);
  t.expires_at_ms =
      std::min(clock_.now_ms() + kLoginTransactionLifetimeMs,
               request.expires_at_ms > 0 ? request.expires_at_ms
                                         : clock_.now_ms() + kLoginTransactionLifetimeMs);
  auto created = store_.transact<store::LoginTransaction>(
      [&](store::Repositories& repos) { return repos.connections().create_transaction(t); });
  if (!created) return error_page(created.error(), trace_id);
  const std::string hint = !email.empty() ? email : request.login_hint;
  return begin(env, chosen, *created, hint, request.acr_values, trace, trace_id, &request);
}

LoginStep HostedLogin::begin(const store::Environment& env, const store::Connection& connection,
                             const store::LoginTransaction& transaction,
                             const std::string& login_hint,
                             const std::vector<std::string>& acr_values, Trace& trace,
                             const std::string& trace_id, const LoginRequest* request) {
  trace.set_test_mode(transaction.test_mode);
  const auto* factory = find_connection_factory(connection.type);
  if (!factory) {
    return fail_login(env, connection.organization_id, connection.id, transaction.login_request_id,
                      trace, Error(errc::ConnectionTypeUnsupported), trace_id);
  }
  auto deps = connections_.deps();
  auto conn = factory->open(connection, deps);
  trace.step("start", {{"connection_id", connection.id},
                       {"connection_type", connection.type},
                       {"transaction", transaction.id.substr(0, 6) + "..."},
                       {"acr_values", acr_list(acr_values)}});
  StartRequest sr{env,         connection,
                  transaction, public_url_ + "/" + env.name + "/login/callback/" + connection.id,
                  login_hint,  acr_values};
  if (request) {
    sr.force_authn = request->force_authn || (request->max_age_s && *request->max_age_s == 0);
    sr.acr_essential = request->acr_essential;
    sr.max_age_s = request->max_age_s;
    if (request->force_authn) sr.prompt = "login";
  }
  auto started = conn->start(sr, trace);
  if (!started) {
    return fail_login(env, connection.organization_id, connection.id, transaction.login_request_id,
                      trace, started.error(), trace_id);
  }
  if (auto saved = connections_.traces().save(env.id, connection.organization_id,
                                              transaction.login_request_id, connection.id, trace);
      !saved) {
    return error_page(saved.error(), trace_id);
  }
  LoginStep s;
  s.kind = started->is_form() ? LoginStep::Kind::auto_post : LoginStep::Kind::redirect;
  s.status = started->is_form() ? 200 : 303;
  s.url = started->url;
  s.form = started->form;
  const int64_t max_age =
      std::max<int64_t>(1, (transaction.expires_at_ms - clock_.now_ms()) / 1000);
  s.set_cookies.push_back(login_cookie(env, transaction.organization_id, transaction.id, max_age));
  return s;
}

LoginStep HostedLogin::fail_login(const store::Environment& env, const std::string& org_id,
                                  const std::string& connection_id, const std::string& request_id,
                                  Trace& trace, const Error& error, const std::string& trace_id) {
  trace.finish(error);
  if (!org_id.empty() && !request_id.empty()) {
    if (auto saved = connections_.traces().save(env.id, org_id, request_id, connection_id, trace);
        !saved) {
      log::warn("login trace not saved", {{"error", std::string(saved.error().code_name())}});
    }
  }
  if (trace.test_mode()) {
    LoginStep s;
    s.status = error.http_status();
    s.page = "test_result";
    s.view = {{"passed", false},
              {"code", std::string(error.code_name())},
              {"message", error.text()},
              {"request_id", trace_id},
              {"login_request_id", request_id},
              {"checks", trace.checks()}};
    return s;
  }
  auto s = error_page(error, trace_id);
  s.view["login_request_id"] = request_id;
  return s;
}

LoginStep HostedLogin::start_test(const store::Environment& env, const std::string& org_id,
                                  const std::string& transaction_id, const std::string& trace_id) {
  auto t = store_.read<store::LoginTransaction>([&](store::Repositories& repos) {
    return repos.connections().get_transaction(env.id, org_id, transaction_id, clock_.now_ms());
  });
  if (!t) return error_page(t.error(), trace_id);
  if (!t->test_mode || t->finished_at_ms != 0) {
    return error_page(Error(errc::LoginTransactionNotFound,
                            "This test link was already used or is not a test link; start a new "
                            "test from the API"),
                      trace_id);
  }
  auto c = connections_.get(env, org_id, t->connection_id);
  if (!c) return error_page(c.error(), trace_id);
  if (auto ok = sealing_.check(env.id, org_id); !ok) return error_page(ok.error(), trace_id);
  Trace trace(clock_);
  trace.set_test_mode(true);
  trace.step("test_connection", {{"connection_id", c->id}, {"status", c->status}});
  trace.check("connection.not_active", c->status != "disabled", "status " + c->status);
  if (c->status == "disabled") {
    return fail_login(env, org_id, c->id, t->login_request_id, trace,
                      Error(errc::ConnectionNotActive), trace_id);
  }
  return begin(env, *c, *t, "", {}, trace, trace_id);
}

LoginStep HostedLogin::test_idp_form(const store::Environment& env,
                                     const std::string& connection_id, const std::string& state,
                                     const std::string& login_hint, const std::string& trace_id) {
  auto deps = connections_.deps();
  auto claims = testidp::verify_state(deps, state);
  if (!claims) return error_page(claims.error(), trace_id);
  if (claims->connection_id != connection_id) {
    return error_page(Error(errc::LoginStateInvalid, {}, "state of another connection"), trace_id);
  }
  auto c = connections_.get(env, claims->organization_id, connection_id);
  if (!c) return error_page(c.error(), trace_id);
  if (c->type != "test") return error_page(Error(errc::ConnectionNotFound), trace_id);
  const auto choices = testidp::form_choices(*c);
  nlohmann::json levels = nlohmann::json::array();
  for (size_t i = 0; i < choices.acr_levels.size(); ++i) {
    levels.push_back({{"value", choices.acr_levels[i]}, {"selected", i == 0}});
  }
  nlohmann::json methods = nlohmann::json::array();
  for (const auto& m : choices.amr_values) {
    methods.push_back({{"value", m}, {"checked", m == "pwd"}});
  }
  std::string email = login_hint;
  std::string given;
  if (auto at = email.find('@'); at != std::string::npos && at > 0) {
    given = email.substr(0, at);
    given[0] = static_cast<char>(std::toupper(static_cast<unsigned char>(given[0])));
  }
  LoginStep s;
  s.page = "testidp_form";
  s.view = {{"environment", env.name},
            {"connection_name", c->name},
            {"action", public_url_ + "/" + env.name + "/login/callback/" + c->id},
            {"state", state},
            {"email", email},
            {"given_name", given},
            {"levels", levels},
            {"methods", methods}};
  return s;
}

LoginStep HostedLogin::callback(const store::Environment& env, const std::string& connection_id,
                                const CallbackParams& params,
                                const std::vector<std::string>& login_cookies,
                                const std::string& trace_id) {
  // The browser's bindings, each "{organization}.{transaction}".
  std::vector<std::pair<std::string, std::string>> bindings;
  for (const auto& value : login_cookies) {
    const size_t dot = value.find('.');
    if (dot == std::string::npos || dot == 0 || dot + 1 == value.size()) continue;
    bindings.emplace_back(value.substr(0, dot), value.substr(dot + 1));
    if (bindings.size() == kMaxLoginBindings) break;
  }
  // A SAML IdP's cross-site POST arrives without our SameSite=Lax cookies: its MAC-bound
  // RelayState names the transaction instead (federation/saml/relay_state.h; docs/saml.md).
  if (bindings.empty() && params.has("SAMLResponse")) {
    if (auto ref = saml::read_relay_state(connections_.deps(), connection_id,
                                          params.first("RelayState"))) {
      bindings.emplace_back(ref->organization_id, ref->transaction_id);
    }
  }
  // The connection named by the callback URL, in an organization this browser started a login
  // with; none: the answer cannot belong to this browser.
  std::optional<store::Connection> row;
  std::string org_id;
  for (const auto& [org, tx_id] : bindings) {
    if (org == org_id) continue;
    auto r = connections_.get(env, org, connection_id);
    if (r) {
      row = std::move(*r);
      org_id = org;
      break;
    }
    if (r.error().code != errc::ConnectionNotFound) return error_page(r.error(), trace_id);
  }
  if (!row) return error_page(Error(errc::LoginBrowserMismatch), trace_id);
  const auto* factory = find_connection_factory(row->type);
  auto deps = connections_.deps();
  std::unique_ptr<Connection> conn = factory ? factory->open(*row, deps) : nullptr;
  // The transaction the answer names (its state or RelayState), if this browser started it;
  // otherwise this browser's latest login with the connection, to record the failure on.
  auto ref = conn ? conn->transaction_ref(env, params)
                  : Result<TransactionRef>(fail(errc::ConnectionTypeUnsupported));
  bool bound = false;
  std::string tx_id;
  for (const auto& [org, id] : bindings) {
    if (org != org_id) continue;
    if (ref && ref->organization_id == org && ref->transaction_id == id) {
      bound = true;
      tx_id = id;
      break;
    }
    if (tx_id.empty()) tx_id = id;
  }
  auto tx = store_.read<store::LoginTransaction>([&](store::Repositories& repos) {
    return repos.connections().get_transaction(env.id, org_id, tx_id, clock_.now_ms());
  });
  if (!tx) return error_page(tx.error(), trace_id);
  auto previous = connections_.traces().load(env.id, org_id, tx->login_request_id);
  Trace trace = previous && *previous ? Trace(clock_, **previous) : Trace(clock_);
  trace.set_test_mode(tx->test_mode);
  trace.step("callback", {{"connection_id", connection_id}});
  auto failed = [&](const Error& e) {
    return fail_login(env, org_id, tx->connection_id, tx->login_request_id, trace, e, trace_id);
  };
  if (tx->connection_id != connection_id) {
    trace.check("login.state_invalid", false, "the callback names another connection");
    return failed(Error(errc::LoginStateInvalid, {}, "callback of another connection"));
  }
  const bool usable = row->status == "active" || (tx->test_mode && row->status == "draft");
  trace.check("connection.not_active", usable, "status " + row->status);
  if (!usable) return failed(Error(errc::ConnectionNotActive));
  if (!factory) return failed(Error(errc::ConnectionTypeUnsupported));

  if (!ref) {
    trace.check("login.state_invalid", false, ref.error().detail);
    return failed(ref.error());
  }
  trace.check("login.browser_mismatch", bound,
              bound ? "the answer belongs to this browser's login"
                    : "the answer belongs to a login started elsewhere");
  if (!bound) return failed(Error(errc::LoginBrowserMismatch));

  auto finished = store_.transact<store::LoginTransaction>([&](store::Repositories& repos) {
    return repos.connections().finish_transaction(env.id, org_id, tx->id, clock_.now_ms());
  });
  trace.check("login.transaction_used", finished.has_value(),
              finished ? "" : std::string(finished.error().code_name()));
  if (!finished) return failed(finished.error());
  if (auto ok = sealing_.check(env.id, org_id); !ok) return failed(ok.error());

  auto cat = catalog_.effective(env, org_id);
  if (!cat) return failed(cat.error());
  FinishRequest fr{env, *row, *tx, params, *cat};
  if (!tx->test_mode && seams_.requests) {
    // The level the application asked for, so the connection can check what the IdP reached.
    if (auto r = seams_.requests->find(env.id, tx->login_request_id)) fr.acr_values = r->acr_values;
  }
  auto verified = conn->finish(fr, trace);
  if (!verified) return failed(verified.error());

  // Domain guard: the email must be the organization's (verified) or a guest domain.
  auto policy = tenancy_.policy_for(env, org_id);
  if (!policy) return failed(policy.error());
  auto domains = store_.read<std::vector<store::Domain>>(
      [&](store::Repositories& repos) { return repos.domains().list(env.id, org_id); });
  if (!domains) return failed(domains.error());
  const bool allowed = domain_allowed(verified->identity.email, *domains, policy->guest_domains);
  trace.check("login.domain_not_allowed", allowed, verified->identity.email);
  if (!allowed) {
    return failed(Error(errc::LoginDomainNotAllowed,
                        "'" + verified->identity.email +
                            "' is outside the organization's verified and guest domains"));
  }

  std::optional<LoginRequest> request;
  if (!tx->test_mode) {
    if (!seams_.requests) return failed(unavailable("OIDC provider"));
    auto r = seams_.requests->find(env.id, tx->login_request_id);
    if (!r) return failed(r.error());
    request = std::move(*r);
    if (request->acr_essential && !request->acr_values.empty()) {
      const bool met = std::find(request->acr_values.begin(), request->acr_values.end(),
                                 verified->acr) != request->acr_values.end();
      trace.check("login.acr_not_satisfied", met,
                  "achieved " + verified->acr + ", asked " + acr_list(request->acr_values));
      if (!met) return failed(Error(errc::LoginAcrNotSatisfied));
    }
  }

  if (!seams_.resolver) return failed(unavailable("identity service"));
  trace.step("identity", {{"issuer", verified->identity.issuer},
                          {"subject", verified->identity.subject},
                          {"dry_run", tx->test_mode}});
  auto user = seams_.resolver->resolve(verified->identity, tx->test_mode);
  trace.check(user ? "identity.resolve" : user.error().code_name(), user.has_value(),
              user ? (user->created ? "a new user would be created" : "an existing user")
                   : user.error().text());
  if (!user) return failed(user.error());

  if (tx->test_mode) {
    trace.finish_ok();
    if (auto saved =
            connections_.traces().save(env.id, org_id, tx->login_request_id, row->id, trace);
        !saved) {
      return error_page(saved.error(), trace_id);
    }
    LoginStep s;
    s.page = "test_result";
    s.view = {{"passed", true},
              {"request_id", trace_id},
              {"login_request_id", tx->login_request_id},
              {"email", verified->identity.email},
              {"subject", verified->identity.subject},
              {"acr", verified->acr},
              {"checks", trace.checks()}};
    s.set_cookies.push_back(login_cookie(env, org_id, tx->id, 0));
    return s;
  }

  if (!seams_.sessions) return failed(unavailable("session service"));
  sessions::NewSession ns;
  ns.environment_id = env.id;
  ns.organization_id = org_id;
  ns.user_id = user->user_id;
  ns.connection_id = row->id;
  ns.auth_time_ms = verified->auth_time_ms;
  ns.acr = verified->acr;
  ns.amr = verified->amr;
  auto session = seams_.sessions->start(ns);
  trace.check(session ? "sessions.start" : session.error().code_name(), session.has_value());
  if (!session) return failed(session.error());
  trace.step("resume", {{"user_id", user->user_id}, {"sid", session->session.sid}});
  trace.finish_ok();
  if (auto saved = connections_.traces().save(env.id, org_id, tx->login_request_id, row->id, trace);
      !saved) {
    log::warn("login trace not saved", {{"error", std::string(saved.error().code_name())}});
  }
  LoginStep s;
  s.kind = LoginStep::Kind::redirect;
  s.status = 303;
  s.url = request->resume_url;
  std::string cookie = sessions::session_cookie_name(env.name) + "=" + session->cookie_value +
                       "; Path=/" + env.name + "/; HttpOnly; SameSite=Lax";
  if (session->cookie_max_age_s > 0) {
    cookie += "; Max-Age=" + std::to_string(session->cookie_max_age_s);
  }
  if (secure_cookies()) cookie += "; Secure";
  s.set_cookies.push_back(std::move(cookie));
  s.set_cookies.push_back(login_cookie(env, org_id, tx->id, 0));
  return s;
}

}  // namespace gh::federation
