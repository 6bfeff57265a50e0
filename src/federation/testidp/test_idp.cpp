#include "federation/testidp/test_idp.h"

#include <openssl/evp.h>

#include <algorithm>
#include <cctype>

#include "core/encoding.h"
#include "federation/attributes.h"
#include "federation/error_codes.h"
#include "federation/signed_state.h"
#include "tenancy/secrets.h"

namespace gh::federation::testidp {

namespace {

constexpr std::string_view kStateLabel = "gatehouse.testidp.state.v1:";

Error invalid(const std::string& field, const std::string& message) {
  Error e(errc::ConnectionInvalid, message);
  e.extra["field"] = field;
  return e;
}

std::string lower(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

std::string trim(std::string_view s) {
  size_t b = 0, e = s.size();
  while (b < e && std::isspace(static_cast<unsigned char>(s[b]))) ++b;
  while (e > b && std::isspace(static_cast<unsigned char>(s[e - 1]))) --e;
  return std::string(s.substr(b, e - b));
}

// Groups as typed: one per line or comma-separated.
nlohmann::json split_groups(const std::vector<std::string>& fields) {
  nlohmann::json out = nlohmann::json::array();
  for (const auto& f : fields) {
    std::string cur;
    for (char c : f + "\n") {
      if (c == ',' || c == '\n' || c == '\r') {
        auto t = trim(cur);
        if (!t.empty()) out.push_back(t);
        cur.clear();
      } else {
        cur += c;
      }
    }
  }
  return out;
}

const nlohmann::json& acr_mapping_of(const store::Connection& c) {
  return c.acr_mapping.is_object() && !c.acr_mapping.empty() ? c.acr_mapping
                                                             : default_acr_mapping();
}

}  // namespace

const nlohmann::json& default_acr_mapping() {
  static const nlohmann::json m = {{"password", "urn:gatehouse:acr:password"},
                                   {"mfa", "urn:gatehouse:acr:mfa"},
                                   {"phishing_resistant", "urn:gatehouse:acr:phishing_resistant"}};
  return m;
}

const std::vector<std::string>& known_amr_values() {
  static const std::vector<std::string> v = {"pwd", "otp",  "hwk", "swk", "mfa",
                                             "sms", "face", "fpt", "pin", "kba"};
  return v;
}

std::string issuer_for(const std::string& public_url, const store::Environment& env,
                       const std::string& connection_id) {
  return public_url + "/" + env.name + "/login/testidp/" + connection_id;
}

std::string subject_for_email(std::string_view email) {
  const std::string normalized = lower(trim(email));
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  EVP_Digest(normalized.data(), normalized.size(), digest, &len, EVP_sha256(), nullptr);
  return "test|" +
         to_hex(std::string_view(reinterpret_cast<const char*>(digest), len)).substr(0, 32);
}

std::string sign_state(const ConnectionDeps& deps, const StateClaims& claims) {
  return federation::sign_state(
      deps.server_key, kStateLabel,
      {claims.organization_id, claims.connection_id, claims.transaction_id,
       claims.transaction_state, claims.expires_at_ms, nlohmann::json::object()});
}

Result<StateClaims> verify_state(const ConnectionDeps& deps, std::string_view token) {
  auto s = federation::verify_state(deps.server_key, kStateLabel, token, deps.clock.now_ms());
  if (!s) return fail(s.error());
  return StateClaims{s->organization_id, s->connection_id, s->transaction_id, s->transaction_state,
                     s->expires_at_ms};
}

FormChoices form_choices(const store::Connection& c) {
  FormChoices f;
  for (auto it = acr_mapping_of(c).begin(); it != acr_mapping_of(c).end(); ++it) {
    f.acr_levels.push_back(it.key());
  }
  if (c.settings.is_object() && c.settings.contains("amr_values")) {
    for (const auto& v : c.settings["amr_values"]) f.amr_values.push_back(v.get<std::string>());
  } else {
    f.amr_values = {"pwd", "otp", "hwk", "mfa"};
  }
  return f;
}

Result<StartResult> TestIdpConnection::start(const StartRequest& request, Trace& trace) {
  StateClaims claims{
      row_.organization_id, row_.id, request.transaction.id, request.transaction.state,
      std::min(request.transaction.expires_at_ms, deps_.clock.now_ms() + kStateLifetimeMs)};
  StartResult r;
  r.url = issuer_for(deps_.public_url, request.environment, row_.id) +
          "?state=" + percent_encode(sign_state(deps_, claims));
  if (!request.login_hint.empty()) r.url += "&login_hint=" + percent_encode(request.login_hint);
  trace.step("testidp.redirect",
             {{"url", issuer_for(deps_.public_url, request.environment, row_.id)},
              {"state", "signed"},
              {"login_hint", request.login_hint}});
  return r;
}

Result<TransactionRef> TestIdpConnection::transaction_ref(const store::Environment&,
                                                          const CallbackParams& params) {
  return state_transaction_ref(deps_.server_key, kStateLabel, params.first("state"), row_.id,
                               deps_.clock.now_ms());
}

Result<VerifiedLogin> TestIdpConnection::finish(const FinishRequest& request, Trace& trace) {
  const auto& p = request.params;
  nlohmann::json message = nlohmann::json::object();
  for (const auto& [k, v] : p.values) {
    if (message.contains(k)) {
      if (!message[k].is_array()) message[k] = nlohmann::json::array({message[k]});
      message[k].push_back(v);
    } else {
      message[k] = v;
    }
  }
  trace.step("testidp.callback", message);

  auto checked = check_state_for(deps_.server_key, kStateLabel, p.first("state"), row_.id,
                                 request.transaction, deps_.clock.now_ms(), trace);
  if (!checked) return fail(checked.error());

  // The "assertion": what the tester chose, as OIDC claims.
  nlohmann::json posted = nlohmann::json::object();
  for (const char* field : {"email", "name", "given_name", "family_name", "department"}) {
    auto v = trim(p.first(field));
    if (!v.empty()) posted[field] = v;
  }
  if (posted.contains("email")) posted["email_verified"] = true;
  auto groups = split_groups(p.all("groups"));
  if (!groups.empty()) posted["groups"] = groups;

  auto attributes = map_claims(request.catalog, posted, row_.attribute_mapping, trace);
  if (!attributes) return fail(attributes.error());

  VerifiedLogin out;
  auto& id = out.identity;
  id.environment_id = request.environment.id;
  id.organization_id = row_.organization_id;
  id.connection_id = row_.id;
  id.issuer = issuer_for(deps_.public_url, request.environment, row_.id);
  id.email = attributes->value("email", "");
  trace.check("login.email_missing", !id.email.empty(),
              id.email.empty() ? "no valid email: the test IdP derives the subject from it" : "");
  if (id.email.empty()) {
    return fail(
        Error(errc::LoginEmailMissing, "The test IdP needs a valid email address to sign in as"));
  }
  id.subject = subject_for_email(id.email);
  id.email_verified = attributes->value("email_verified", false);
  id.given_name = attributes->value("given_name", "");
  id.family_name = attributes->value("family_name", "");
  id.name = attributes->value("formatted_name", attributes->value("display_name", ""));
  id.attributes = *attributes;
  id.connection_may_link_by_email = row_.allow_email_linking;

  const auto& mapping = acr_mapping_of(row_);
  const std::string level = p.first("acr");
  const bool level_known = !level.empty() && mapping.contains(level) && mapping[level].is_string();
  trace.check("login.acr_unknown", level_known,
              level_known ? level + " -> " + mapping[level].get<std::string>()
                          : "'" + level + "' is not in the connection's acr_mapping");
  if (!level_known) {
    return fail(Error(
        errc::LoginAcrUnknown,
        "The authentication level '" + level + "' is not one this connection maps (acr_mapping)"));
  }
  out.acr = mapping[level].get<std::string>();
  const auto offered = form_choices(row_).amr_values;
  for (const auto& m : p.all("amr")) {
    if (std::find(offered.begin(), offered.end(), m) != offered.end()) {
      if (std::find(out.amr.begin(), out.amr.end(), m) == out.amr.end()) out.amr.push_back(m);
    } else {
      trace.check("testidp.amr_unknown", false, "dropped authentication method '" + m + "'");
    }
  }
  out.auth_time_ms = deps_.clock.now_ms();
  trace.step("testidp.identity", {{"issuer", id.issuer},
                                  {"subject", id.subject},
                                  {"email", id.email},
                                  {"attributes", id.attributes},
                                  {"acr", out.acr},
                                  {"amr", out.amr}});
  return out;
}

Result<bool> TestIdpFactory::validate(const store::Environment& environment, store::Connection& c,
                                      const ConnectionDeps&) const {
  if (environment.kind != "sandbox") {
    return fail(Error(errc::ConnectionSandboxOnly,
                      "The built-in test IdP exists only in sandbox environments; '" +
                          environment.name + "' is a " + environment.kind +
                          " environment. Use a SAML or OIDC connection here."));
  }
  if (!c.settings.is_object()) return fail(invalid("settings", "'settings' must be an object"));
  for (auto it = c.settings.begin(); it != c.settings.end(); ++it) {
    if (it.key() != "amr_values") {
      return fail(invalid("settings", "A test connection's settings have only 'amr_values', not '" +
                                          it.key() + "'"));
    }
  }
  if (c.settings.contains("amr_values")) {
    const auto& v = c.settings["amr_values"];
    if (!v.is_array() || v.empty()) {
      return fail(invalid("settings", "'settings.amr_values' must be a non-empty list"));
    }
    for (const auto& m : v) {
      const auto& known = known_amr_values();
      if (!m.is_string() ||
          std::find(known.begin(), known.end(), m.get<std::string>()) == known.end()) {
        return fail(invalid("settings",
                            "'settings.amr_values' takes RFC 8176 values (pwd, otp, "
                            "hwk, swk, mfa, sms, face, fpt, pin, kba)"));
      }
    }
  }
  if (!c.acr_mapping.is_object()) {
    return fail(invalid("acr_mapping", "'acr_mapping' must map levels to acr values"));
  }
  for (auto it = c.acr_mapping.begin(); it != c.acr_mapping.end(); ++it) {
    if (it.key().empty() || it.key().size() > 128 || !it->is_string() ||
        it->get<std::string>().empty() || it->get<std::string>().size() > 256) {
      return fail(invalid("acr_mapping", "'acr_mapping' must map level names to acr strings"));
    }
  }
  return true;
}

nlohmann::json TestIdpFactory::public_settings(const store::Connection& c) const {
  nlohmann::json out = c.settings.is_object() ? c.settings : nlohmann::json::object();
  const auto choices = form_choices(c);
  out["amr_values"] = choices.amr_values;
  out["acr_levels"] = choices.acr_levels;
  return out;
}

std::unique_ptr<Connection> TestIdpFactory::open(const store::Connection& c,
                                                 const ConnectionDeps& deps) const {
  return std::make_unique<TestIdpConnection>(c, deps);
}

}  // namespace gh::federation::testidp
