#include "federation/saml/saml_connection.h"

#include <algorithm>
#include <cctype>
#include <ctime>
#include <mutex>

#include "catalog/attribute.h"
#include "core/encoding.h"
#include "core/ids.h"
#include "core/log.h"
#include "crypto/openssl.h"
#include "federation/attributes.h"
#include "federation/error_codes.h"
#include "federation/saml/error_codes.h"
#include "federation/saml/idp_metadata.h"
#include "federation/saml/lasso.h"
#include "federation/saml/relay_state.h"
#include "federation/saml/sp_keys.h"
#include "federation/saml/xml_guard.h"
#include "store/store.h"
#include "tenancy/sealing.h"

namespace gh::federation::saml {

namespace {

constexpr const char* kPersistent = "urn:oasis:names:tc:SAML:2.0:nameid-format:persistent";
constexpr const char* kTransient = "urn:oasis:names:tc:SAML:2.0:nameid-format:transient";
constexpr const char* kEmailFormat = "urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress";
constexpr const char* kUnspecified = "urn:oasis:names:tc:SAML:1.1:nameid-format:unspecified";
constexpr const char* kBearer = "urn:oasis:names:tc:SAML:2.0:cm:bearer";
constexpr const char* kEntraAuthnMethods =
    "http://schemas.microsoft.com/claims/authnmethodsreferences";

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

std::string xml_escape(std::string_view s) {
  std::string out;
  for (char c : s) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      default:
        out += c;
    }
  }
  return out;
}

const nlohmann::json& sp_of(const store::Connection& c) {
  static const nlohmann::json empty = nlohmann::json::object();
  return c.settings.is_object() && c.settings.contains("sp") && c.settings["sp"].is_object()
             ? c.settings["sp"]
             : empty;
}

bool flag(const store::Connection& c, const char* name, bool fallback) {
  return c.settings.is_object() && c.settings.contains(name) && c.settings[name].is_boolean()
             ? c.settings[name].get<bool>()
             : fallback;
}

std::string setting(const store::Connection& c, const char* name, const std::string& fallback) {
  return c.settings.is_object() && c.settings.contains(name) && c.settings[name].is_string()
             ? c.settings[name].get<std::string>()
             : fallback;
}

crypto::SealContext key_context(const store::Connection& c, const char* column) {
  return {c.environment_id, c.organization_id, "connections", c.id, column};
}

// The default AuthnContextClassRef -> acr table when acr_mapping is empty.
const nlohmann::json& default_acr_mapping() {
  static const nlohmann::json m = {
      {"urn:oasis:names:tc:SAML:2.0:ac:classes:PasswordProtectedTransport",
       "urn:gatehouse:acr:password"},
      {"urn:oasis:names:tc:SAML:2.0:ac:classes:Password", "urn:gatehouse:acr:password"},
      {"http://schemas.microsoft.com/claims/multipleauthn", "urn:gatehouse:acr:mfa"},
      {"urn:oasis:names:tc:SAML:2.0:ac:classes:MobileTwoFactorContract", "urn:gatehouse:acr:mfa"},
      {"urn:oasis:names:tc:SAML:2.0:ac:classes:X509", "urn:gatehouse:acr:phishing_resistant"}};
  return m;
}

const nlohmann::json& acr_mapping_of(const store::Connection& c) {
  return c.acr_mapping.is_object() && !c.acr_mapping.empty() ? c.acr_mapping
                                                             : default_acr_mapping();
}

// Entra's authnmethodsreferences values, the SAML 2.0 authentication context classes (SAML
// authn context §3.4) and the plain RFC 8176 values to amr: the last segment of a URI decides.
std::optional<std::string> amr_of(const std::string& method) {
  const std::string m = lower(method);
  const size_t cut = m.find_last_of("/:");
  const std::string tail = cut == std::string::npos ? m : m.substr(cut + 1);
  if (tail == "multipleauthn" || tail == "mobiletwofactorcontract" || m == "mfa") return "mfa";
  if (tail == "password" || tail == "passwordprotectedtransport" || tail == "windows" ||
      tail == "kerberos" || m == "pwd") {
    return "pwd";
  }
  if (tail == "x509" || tail == "smartcardpki" || m == "hwk") return "hwk";
  if (tail == "otp" || tail == "timesynctoken") return "otp";
  return std::nullopt;
}

// --- the Lasso server for one connection ------------------------------------------------------

struct SpSecrets {
  std::string signing_key;
  std::string encryption_key;
};

Result<SpSecrets> open_secrets(const store::Connection& c, const ConnectionDeps& deps) {
  if (!deps.sealing) return fail(Error(errc::ServerInternal, {}, "no sealing configured"));
  const auto& sp = sp_of(c);
  auto sk_sealed = base64url_decode(sp.value("signing_key_sealed", ""));
  auto ek_sealed = base64url_decode(sp.value("encryption_key_sealed", ""));
  if (!sk_sealed || !ek_sealed) {
    return fail(Error(errc::ServerInternal, {}, "SP keys are not base64url"));
  }
  auto sk = deps.sealing->open(key_context(c, "sp_signing_key"), *sk_sealed);
  if (!sk) return fail(sk.error());
  auto ek = deps.sealing->open(key_context(c, "sp_encryption_key"), *ek_sealed);
  if (!ek) return fail(ek.error());
  return SpSecrets{std::move(*sk), std::move(*ek)};
}

Result<LassoServerPtr> lasso_server_for(const store::Connection& c, const SpSecrets& secrets) {
  ensure_lasso();
  const auto& sp = sp_of(c);
  const std::string metadata = sp_metadata("", "", c);
  const std::string cert = sp.value("signing_certificate", "");
  LassoServerPtr server(lasso_server_new_from_buffers(metadata.c_str(), secrets.signing_key.c_str(),
                                                      nullptr, cert.c_str()));
  if (!server) return fail(Error(errc::ServerInternal, {}, "Lasso refused the SP configuration"));
  // Lasso signs with RSA-SHA1 unless told otherwise (research/deps.md).
  server->signature_method = LASSO_SIGNATURE_METHOD_RSA_SHA256;
  if (int rc = lasso_server_set_encryption_private_key_with_password(
          server.get(), secrets.encryption_key.c_str(), nullptr);
      rc != 0) {
    return fail(
        Error(errc::ServerInternal, {}, std::string("SP encryption key: ") + lasso_strerror(rc)));
  }
  const std::string idp = setting(c, "idp_metadata_xml", "");
  if (int rc = lasso_server_add_provider_from_buffer(server.get(), LASSO_PROVIDER_ROLE_IDP,
                                                     idp.c_str(), nullptr, nullptr);
      rc != 0) {
    return fail(Error(errc::SamlMetadataInvalid, {}, lasso_strerror(rc)));
  }
  return server;
}

// --- reading the verified assertion ----------------------------------------------------------

std::string text_of(LassoNode* node) {
  if (!node) return {};
  if (LASSO_IS_MISC_TEXT_NODE(node)) return str(LASSO_MISC_TEXT_NODE(node)->content);
  return {};
}

// {SAML attribute Name: [values]}
nlohmann::json attributes_of(LassoSaml2Assertion* a) {
  nlohmann::json out = nlohmann::json::object();
  for (GList* s = a->AttributeStatement; s; s = s->next) {
    auto* st = static_cast<LassoSaml2AttributeStatement*>(s->data);
    for (GList* l = st->Attribute; l; l = l->next) {
      auto* attr = static_cast<LassoSaml2Attribute*>(l->data);
      const std::string name = str(attr->Name);
      if (name.empty()) continue;
      if (!out.contains(name)) out[name] = nlohmann::json::array();
      for (GList* v = attr->AttributeValue; v; v = v->next) {
        auto* value = static_cast<LassoNode*>(v->data);
        if (!LASSO_IS_SAML2_ATTRIBUTE_VALUE(value)) continue;
        std::string text;
        for (GList* any = LASSO_SAML2_ATTRIBUTE_VALUE(value)->any; any; any = any->next) {
          text += text_of(static_cast<LassoNode*>(any->data));
        }
        out[name].push_back(text);
      }
    }
  }
  return out;
}

// SAML attributes to OIDC-named claims through the catalog's per-vendor SAML sources (the
// preset picks the vendor; generic tries every vendor's name), keeping the raw names too so
// that attribute_mapping.claims can name a SAML attribute directly.
nlohmann::json claims_from(const catalog::Catalog& catalog, const nlohmann::json& saml,
                           const std::string& preset) {
  nlohmann::json claims = saml;
  for (auto it = saml.begin(); it != saml.end(); ++it) {
    if (it->size() == 1) claims[it.key()] = (*it)[0];
  }
  for (const auto& def : catalog.attributes) {
    if (def.sources.oidc.empty()) continue;
    const std::string& claim = def.sources.oidc.front();
    if (claims.contains(claim) && !saml.contains(claim)) continue;
    for (const auto& src : def.sources.saml) {
      if (preset != "generic" && src.vendor != preset) continue;
      if (src.name.empty() || !saml.contains(src.name)) continue;
      const auto& values = saml[src.name];
      if (values.empty()) continue;
      claims[claim] = def.multi_valued ? values : values[0];
      break;
    }
  }
  return claims;
}

Error lasso_error(int rc) {
  const std::string detail = std::string("lasso ") + std::to_string(rc) + ": " + lasso_strerror(rc);
  switch (rc) {
    case LASSO_DS_ERROR_SIGNATURE_NOT_FOUND:
      return Error(errc::SamlSignatureMissing, {}, detail);
    case LASSO_DS_ERROR_INVALID_SIGNATURE:
    case LASSO_DS_ERROR_SIGNATURE_VERIFICATION_FAILED:
    case LASSO_PROFILE_ERROR_CANNOT_VERIFY_SIGNATURE:
    case LASSO_DS_ERROR_INVALID_REFERENCE_FOR_SAML:
    case LASSO_DS_ERROR_TOO_MUCH_REFERENCES:
    case LASSO_DS_ERROR_DIGEST_COMPUTE_FAILED:
      return Error(errc::SamlSignatureInvalid, {}, detail);
    case LASSO_DS_ERROR_DECRYPTION_FAILED:
    case LASSO_DS_ERROR_DECRYPTION_FAILED_MISSING_PRIVATE_KEY:
    case LASSO_PROFILE_ERROR_MISSING_ENCRYPTION_PRIVATE_KEY:
      // One uniform answer for every decryption failure (no padding or format oracle).
      return Error(errc::SamlDecryptionFailed);
    case LASSO_PROFILE_ERROR_STATUS_NOT_SUCCESS:
      return Error(errc::SamlStatusNotSuccess, {}, detail);
    case LASSO_SERVER_ERROR_PROVIDER_NOT_FOUND:
    case LASSO_PROFILE_ERROR_UNKNOWN_PROVIDER:
    case LASSO_PROFILE_ERROR_INVALID_ISSUER:
    case LASSO_PROFILE_ERROR_MISSING_ISSUER:
      return Error(errc::SamlIssuerMismatch, {}, detail);
    default:
      return Error(errc::SamlResponseMalformed, {}, detail);
  }
}

// SAML metadata §2.4.4.1: the attributes this SP reads, named as the connection's preset vendor
// sends them (every vendor's names for `generic`), from the catalog's SAML sources. Omitted when
// none (the schema wants at least one RequestedAttribute).
std::string attribute_consuming_service(const catalog::Catalog& catalog,
                                        const store::Connection& c) {
  const std::string preset = setting(c, "preset", "generic");
  std::string requested;
  std::vector<std::string> seen;
  for (const auto& def : catalog.attributes) {
    if (def.deprecated) continue;
    for (const auto& src : def.sources.saml) {
      if (src.name.empty() || (preset != "generic" && src.vendor != preset)) continue;
      if (std::find(seen.begin(), seen.end(), src.name) != seen.end()) continue;
      seen.push_back(src.name);
      requested += "<md:RequestedAttribute Name=\"" + xml_escape(src.name) + "\"";
      if (!src.name_format.empty()) {
        requested += " NameFormat=\"" + xml_escape(src.name_format) + "\"";
      }
      // No isRequired: each value may come from elsewhere (the email from an emailAddress
      // NameID, a generic connection's attribute under any vendor's name), and IdPs that
      // enforce isRequired would refuse to answer.
      requested += " FriendlyName=\"" + xml_escape(def.name) + "\"/>";
    }
  }
  if (requested.empty()) return {};
  return "<md:AttributeConsumingService index=\"0\" isDefault=\"true\">"
         "<md:ServiceName xml:lang=\"en\">" +
         xml_escape(c.name.empty() ? std::string("Gatehouse") : c.name) + "</md:ServiceName>" +
         requested + "</md:AttributeConsumingService>";
}

}  // namespace

// --- URLs and SP metadata ----------------------------------------------------------------------

std::string sp_entity_id(const std::string& public_url, const std::string& env_name,
                         const store::Connection& c) {
  return public_url + "/" + env_name + "/saml/" + c.organization_id + "/" + c.id;
}
std::string acs_url(const std::string& public_url, const std::string& env_name,
                    const store::Connection& c) {
  return public_url + "/" + env_name + "/login/callback/" + c.id;
}
std::string sp_metadata_url(const std::string& public_url, const std::string& env_name,
                            const store::Connection& c) {
  return sp_entity_id(public_url, env_name, c) + "/metadata";
}

std::string sp_metadata(const std::string&, const std::string&, const store::Connection& c,
                        const catalog::Catalog* catalog) {
  const auto& sp = sp_of(c);
  const std::string signing = certificate_body(sp.value("signing_certificate", ""));
  const std::string encryption = certificate_body(sp.value("encryption_certificate", ""));
  const bool want_signed = flag(c, "want_assertions_signed", true);
  const bool sign_requests = flag(c, "sign_authn_requests", true);
  auto key = [](const char* use, const std::string& body) {
    return std::string("<md:KeyDescriptor use=\"") + use +
           "\"><ds:KeyInfo><ds:X509Data><ds:X509Certificate>" + body +
           "</ds:X509Certificate></ds:X509Data></ds:KeyInfo>";
  };
  std::string x;
  x += "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n";
  x += "<md:EntityDescriptor xmlns:md=\"urn:oasis:names:tc:SAML:2.0:metadata\" "
       "xmlns:ds=\"http://www.w3.org/2000/09/xmldsig#\" entityID=\"" +
       xml_escape(sp.value("entity_id", "")) + "\">";
  x += std::string("<md:SPSSODescriptor AuthnRequestsSigned=\"") +
       (sign_requests ? "true" : "false") + "\" WantAssertionsSigned=\"" +
       (want_signed ? "true" : "false") +
       "\" protocolSupportEnumeration=\"urn:oasis:names:tc:SAML:2.0:protocol\">";
  x += key("signing", signing) + "</md:KeyDescriptor>";
  x += key("encryption", encryption) +
       "<md:EncryptionMethod Algorithm=\"http://www.w3.org/2009/xmlenc11#aes256-gcm\"/>"
       "<md:EncryptionMethod Algorithm=\"http://www.w3.org/2009/xmlenc11#aes128-gcm\"/>"
       "<md:EncryptionMethod Algorithm=\"http://www.w3.org/2001/04/xmlenc#rsa-oaep-mgf1p\"/>"
       "</md:KeyDescriptor>";
  x += std::string("<md:NameIDFormat>") + kPersistent + "</md:NameIDFormat>";
  x += std::string("<md:NameIDFormat>") + kEmailFormat + "</md:NameIDFormat>";
  x += std::string("<md:NameIDFormat>") + kUnspecified + "</md:NameIDFormat>";
  x += "<md:AssertionConsumerService Binding=\"urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST\" "
       "Location=\"" +
       xml_escape(sp.value("acs_url", "")) + "\" index=\"0\" isDefault=\"true\"/>";
  if (catalog) x += attribute_consuming_service(*catalog, c);
  x += "</md:SPSSODescriptor></md:EntityDescriptor>\n";
  return x;
}

std::optional<int64_t> parse_saml_time(std::string_view t) {
  // YYYY-MM-DDThh:mm:ss[.fff...](Z|+hh:mm|-hh:mm)
  if (t.size() < 20 || t[4] != '-' || t[7] != '-' || t[10] != 'T' || t[13] != ':' || t[16] != ':') {
    return std::nullopt;
  }
  auto num = [&](size_t pos, size_t len) -> int {
    int v = 0;
    for (size_t i = pos; i < pos + len; ++i) {
      if (!std::isdigit(static_cast<unsigned char>(t[i]))) return -1;
      v = v * 10 + (t[i] - '0');
    }
    return v;
  };
  std::tm tm{};
  tm.tm_year = num(0, 4) - 1900;
  tm.tm_mon = num(5, 2) - 1;
  tm.tm_mday = num(8, 2);
  tm.tm_hour = num(11, 2);
  tm.tm_min = num(14, 2);
  tm.tm_sec = num(17, 2);
  if (tm.tm_year < 0 || tm.tm_mon < 0 || tm.tm_mon > 11 || tm.tm_mday < 1 || tm.tm_mday > 31 ||
      tm.tm_hour < 0 || tm.tm_hour > 23 || tm.tm_min < 0 || tm.tm_min > 59 || tm.tm_sec < 0 ||
      tm.tm_sec > 60) {
    return std::nullopt;
  }
  size_t i = 19;
  int64_t ms = 0;
  if (i < t.size() && t[i] == '.') {
    ++i;
    int digits = 0;
    while (i < t.size() && std::isdigit(static_cast<unsigned char>(t[i]))) {
      if (digits < 3) ms = ms * 10 + (t[i] - '0');
      ++digits;
      ++i;
    }
    if (digits == 0) return std::nullopt;
    for (int d = digits; d < 3; ++d) ms *= 10;
  }
  int64_t offset_s = 0;
  if (i < t.size() && t[i] == 'Z') {
    ++i;
  } else if (i + 6 == t.size() && (t[i] == '+' || t[i] == '-') && t[i + 3] == ':') {
    const int h = num(i + 1, 2), m = num(i + 4, 2);
    if (h < 0 || m < 0) return std::nullopt;
    offset_s = (t[i] == '+' ? 1 : -1) * (h * 3600 + m * 60);
    i += 6;
  } else {
    return std::nullopt;
  }
  if (i != t.size()) return std::nullopt;
  const time_t secs = timegm(&tm);
  return (static_cast<int64_t>(secs) - offset_s) * 1000 + ms;
}

// --- start: the AuthnRequest -------------------------------------------------------------------

Result<StartResult> SamlConnection::start(const StartRequest& request, Trace& trace) {
  auto secrets = open_secrets(row_, deps_);
  if (!secrets) return fail(secrets.error());
  auto server = lasso_server_for(row_, *secrets);
  if (!server) return fail(server.error());
  const std::string idp_entity = setting(row_, "idp_entity_id", "");
  LassoLoginPtr login(lasso_login_new(server->get()));
  if (!login) return fail(Error(errc::ServerInternal, {}, "lasso_login_new"));
  LassoProfile* profile = LASSO_PROFILE(login.get());
  // SAML bindings §3.4 (HTTP-Redirect: deflated, signed over the query) or §3.5 (HTTP-POST: an
  // auto-posted form, the XML itself signed with an enveloped signature).
  const bool post = setting(row_, "authn_request_binding", "redirect") == "post";
  if (int rc = lasso_login_init_authn_request(
          login.get(), const_cast<char*>(idp_entity.c_str()),
          post ? LASSO_HTTP_METHOD_POST : LASSO_HTTP_METHOD_REDIRECT);
      rc != 0) {
    return fail(
        Error(errc::ServerInternal, {}, std::string("AuthnRequest: ") + lasso_strerror(rc)));
  }
  auto* req = LASSO_SAMLP2_AUTHN_REQUEST(profile->request);
  auto* abstract = LASSO_SAMLP2_REQUEST_ABSTRACT(req);
  const std::string id = request_id_for(deps_, request.transaction);
  g_free(abstract->ID);
  abstract->ID = g_strdup(id.c_str());
  g_free(req->ProtocolBinding);
  req->ProtocolBinding = g_strdup("urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST");
  g_free(req->AssertionConsumerServiceURL);
  req->AssertionConsumerServiceURL = g_strdup(sp_of(row_).value("acs_url", "").c_str());
  if (req->NameIDPolicy) {
    g_free(req->NameIDPolicy->Format);
    req->NameIDPolicy->Format =
        g_strdup(setting(row_, "subject_attribute", "").empty() ? kPersistent : kUnspecified);
    req->NameIDPolicy->AllowCreate = TRUE;
  }
  // prompt=login / max_age: the IdP must authenticate again.
  req->ForceAuthn = request.force_authn ? TRUE : FALSE;
  // RequestedAuthnContext: the upstream levels that acr_mapping maps to what the app asked.
  std::vector<std::string> refs;
  const auto& mapping = acr_mapping_of(row_);
  for (const auto& acr : request.acr_values) {
    for (auto it = mapping.begin(); it != mapping.end(); ++it) {
      if (it->is_string() && it->get<std::string>() == acr &&
          it.key().find(':') != std::string::npos &&
          std::find(refs.begin(), refs.end(), it.key()) == refs.end()) {
        refs.push_back(it.key());
      }
    }
  }
  const std::string comparison = setting(row_, "authn_context_comparison", "exact");
  if (!refs.empty()) {
    auto* rac = LASSO_SAMLP2_REQUESTED_AUTHN_CONTEXT(lasso_samlp2_requested_authn_context_new());
    for (const auto& r : refs) {
      rac->AuthnContextClassRef = g_list_append(rac->AuthnContextClassRef, g_strdup(r.c_str()));
    }
    rac->Comparison = g_strdup(comparison.c_str());
    if (req->RequestedAuthnContext) g_object_unref(req->RequestedAuthnContext);
    req->RequestedAuthnContext = rac;
  }
  const std::string relay =
      make_relay_state(deps_, row_.id, row_.organization_id, request.transaction.id);
  g_free(profile->msg_relayState);
  profile->msg_relayState = g_strdup(relay.c_str());
  const bool sign = flag(row_, "sign_authn_requests", true);
  lasso_profile_set_signature_hint(
      profile, sign ? LASSO_PROFILE_SIGNATURE_HINT_FORCE : LASSO_PROFILE_SIGNATURE_HINT_FORBID);
  if (int rc = lasso_login_build_authn_request_msg(login.get()); rc != 0) {
    return fail(
        Error(errc::ServerInternal, {}, std::string("AuthnRequest: ") + lasso_strerror(rc)));
  }
  StartResult r;
  r.url = str(profile->msg_url);
  if (post) {
    if (r.url.empty() || !profile->msg_body) {
      return fail(Error(errc::ServerInternal, {}, "AuthnRequest: Lasso built no POST form"));
    }
    r.form = {{"SAMLRequest", str(profile->msg_body)}, {"RelayState", relay}};
  } else if (!request.login_hint.empty() && r.url.find("login_hint=") == std::string::npos) {
    // Okta, Entra ID and Google read a login hint from the query (outside the signature).
    r.url += "&login_hint=" + percent_encode(request.login_hint);
  }
  nlohmann::json refs_json = refs;
  trace.step("saml.authn_request", {{"id", id},
                                    {"binding", post ? "HTTP-POST" : "HTTP-Redirect"},
                                    {"destination", r.url.substr(0, r.url.find('?'))},
                                    {"issuer", sp_of(row_).value("entity_id", "")},
                                    {"signed", sign},
                                    {"force_authn", request.force_authn},
                                    {"requested_authn_context", refs_json},
                                    {"comparison", refs.empty() ? "" : comparison},
                                    {"relay_state", "mac-bound to the transaction"}});
  return r;
}

Result<TransactionRef> SamlConnection::transaction_ref(const store::Environment&,
                                                       const CallbackParams& params) {
  auto ref = read_relay_state(deps_, row_.id, params.first("RelayState"));
  if (!ref) {
    return fail(Error(errc::LoginStateInvalid, {},
                      "RelayState is missing, altered or of another connection (IdP-initiated "
                      "sign-in is not accepted)"));
  }
  return *ref;
}

// --- finish: the ACS ---------------------------------------------------------------------------

Result<VerifiedLogin> SamlConnection::finish(const FinishRequest& request, Trace& trace) {
  const auto& sp = sp_of(row_);
  const std::string entity_id = sp.value("entity_id", "");
  const std::string acs = sp.value("acs_url", "");
  const std::string idp_entity = setting(row_, "idp_entity_id", "");
  const int64_t skew_ms = (row_.settings.is_object() && row_.settings.contains("clock_skew_s") &&
                                   row_.settings["clock_skew_s"].is_number_integer()
                               ? row_.settings["clock_skew_s"].get<int64_t>()
                               : kDefaultSkewS) *
                          1000;
  const int64_t now = deps_.clock.now_ms();
  AlgorithmPolicy policy{flag(row_, "allow_sha1", false),
                         flag(row_, "allow_legacy_encryption", false)};
  const bool want_assertion_signed = flag(row_, "want_assertions_signed", true);

  // Each check is recorded on the trace under the code it guards, then fails closed.
  auto refuse = [&](const Error& e) -> Result<VerifiedLogin> {
    trace.check(e.code_name(), false, e.detail.empty() ? e.text() : e.detail);
    return fail(e);
  };
  auto pass = [&](const ErrorInfo& code, const std::string& detail) {
    trace.check(code.name, true, detail);
  };

  const std::string b64 = request.params.first("SAMLResponse");
  trace.step("saml.acs",
             {{"bytes", b64.size()}, {"relay_state", request.params.has("RelayState")}});
  if (b64.empty()) return refuse(Error(errc::SamlResponseMissing));
  if (b64.size() > (kMaxResponseBytes / 3 + 1) * 4 + 1024) {
    return refuse(Error(errc::SamlResponseTooLarge));
  }
  std::string compact;
  compact.reserve(b64.size());
  for (char ch : b64) {
    if (ch != '\r' && ch != '\n' && ch != ' ' && ch != '\t') compact += ch;
  }
  auto xml = base64_decode(compact);
  if (!xml) return refuse(Error(errc::SamlResponseMalformed, {}, "SAMLResponse is not base64"));

  // 1. Our own look at the bytes: size, DTD, depth, shape, algorithms.
  auto doc = parse_response_xml(*xml);
  if (!doc) return refuse(doc.error());
  auto shape = check_response(doc->get(), policy);
  if (!shape) return refuse(shape.error());
  pass(errc::SamlStructureInvalid, std::string("one ") + (shape->encrypted ? "encrypted " : "") +
                                       "assertion, signatures reference their parent");
  pass(errc::SamlAlgorithmNotAllowed, "signature, digest and encryption algorithms allowed");
  if (!shape->encrypted && !shape->assertion_signed &&
      (want_assertion_signed || !shape->response_signed)) {
    return refuse(Error(errc::SamlSignatureMissing, {},
                        want_assertion_signed
                            ? "the assertion is not signed"
                            : "neither the Response nor the assertion is signed"));
  }

  // 2. Lasso verifies signatures with the IdP metadata's keys and decrypts.
  auto secrets = open_secrets(row_, deps_);
  if (!secrets) return fail(secrets.error());
  auto server = lasso_server_for(row_, *secrets);
  if (!server) return fail(server.error());
  LassoLoginPtr login(lasso_login_new(server->get()));
  if (!login) return fail(Error(errc::ServerInternal, {}, "lasso_login_new"));
  LassoProfile* profile = LASSO_PROFILE(login.get());
  lasso_profile_set_signature_verify_hint(profile, LASSO_PROFILE_SIGNATURE_VERIFY_HINT_MAYBE);
  int rc = lasso_login_process_authn_response_msg(login.get(), const_cast<char*>(compact.c_str()));
  if (rc != 0) return refuse(lasso_error(rc));
  if (shape->response_signed && profile->signature_status != 0) {
    return refuse(lasso_error(profile->signature_status));
  }
  auto* response = LASSO_IS_SAMLP2_RESPONSE(profile->response)
                       ? LASSO_SAMLP2_RESPONSE(profile->response)
                       : nullptr;
  if (!response) return refuse(Error(errc::SamlResponseMalformed, {}, "no samlp:Response"));
  LassoSaml2Assertion* assertion = nullptr;
  int count = 0;
  for (GList* l = response->Assertion; l; l = l->next) {
    if (LASSO_IS_SAML2_ASSERTION(l->data)) {
      assertion = LASSO_SAML2_ASSERTION(l->data);
      ++count;
    }
  }
  if (count != 1 || !assertion) {
    return refuse(Error(shape->encrypted ? errc::SamlDecryptionFailed : errc::SamlStructureInvalid,
                        {}, "Lasso kept " + std::to_string(count) + " assertions"));
  }
  // The object Lasso verified must be the element we checked: same ID (our shape check left
  // exactly one assertion in the document, so nothing else could have been verified).
  if (str(assertion->ID).empty()) {
    return refuse(Error(errc::SamlStructureInvalid, {}, "the assertion has no ID"));
  }
  if (!shape->encrypted && str(assertion->ID) != shape->assertion_id) {
    return refuse(Error(errc::SamlStructureInvalid, {}, "the verified assertion is another one"));
  }
  if (shape->encrypted) {
    // The decrypted assertion gets the same checks the plain one had on the bytes.
    xmlNode* original = lasso_node_get_original_xmlnode(LASSO_NODE(assertion));
    if (!original) return refuse(Error(errc::SamlDecryptionFailed));
    auto signed_ = check_assertion(original, policy);
    if (!signed_) return refuse(signed_.error());
    if (!*signed_ && (want_assertion_signed || !shape->response_signed)) {
      return refuse(Error(errc::SamlSignatureMissing, {}, "the decrypted assertion is not signed"));
    }
    pass(errc::SamlDecryptionFailed, "assertion decrypted with the SP encryption key");
  }
  pass(errc::SamlSignatureInvalid,
       std::string("verified with the IdP metadata's key: ") +
           (shape->response_signed ? "Response " : "") +
           (shape->assertion_signed || shape->encrypted ? "assertion" : ""));

  // 3. The SAML conditions, each bound to this connection and this transaction.
  auto* status_response = LASSO_SAMLP2_STATUS_RESPONSE(response);
  const std::string expected_request = request_id_for(deps_, request.transaction);
  const std::string response_issuer =
      status_response->Issuer ? str(status_response->Issuer->content) : "";
  const std::string assertion_issuer = assertion->Issuer ? str(assertion->Issuer->content) : "";
  if (assertion_issuer != idp_entity ||
      (!response_issuer.empty() && response_issuer != idp_entity)) {
    return refuse(Error(errc::SamlIssuerMismatch, {},
                        "issuer '" + assertion_issuer + "', expected '" + idp_entity + "'"));
  }
  pass(errc::SamlIssuerMismatch, idp_entity);
  const std::string destination = str(status_response->Destination);
  if (destination != acs && !(destination.empty() && !shape->response_signed)) {
    return refuse(Error(errc::SamlDestinationMismatch, {}, "Destination '" + destination + "'"));
  }
  if (destination.empty() && shape->response_signed) {
    return refuse(
        Error(errc::SamlDestinationMismatch, {}, "a signed Response without Destination"));
  }
  pass(errc::SamlDestinationMismatch, acs);
  if (str(status_response->InResponseTo) != expected_request) {
    return refuse(Error(errc::SamlInResponseToMismatch, {},
                        "InResponseTo '" + str(status_response->InResponseTo) + "'"));
  }

  LassoSaml2Subject* subject = assertion->Subject;
  if (!subject || !subject->SubjectConfirmation ||
      str(subject->SubjectConfirmation->Method) != kBearer ||
      !subject->SubjectConfirmation->SubjectConfirmationData) {
    return refuse(Error(errc::SamlRecipientMismatch, {}, "no bearer SubjectConfirmationData"));
  }
  auto* scd = subject->SubjectConfirmation->SubjectConfirmationData;
  if (str(scd->InResponseTo) != expected_request) {
    return refuse(Error(errc::SamlInResponseToMismatch, {},
                        "SubjectConfirmationData InResponseTo '" + str(scd->InResponseTo) + "'"));
  }
  pass(errc::SamlInResponseToMismatch, "answers this sign-in's AuthnRequest");
  if (str(scd->Recipient) != acs) {
    return refuse(
        Error(errc::SamlRecipientMismatch, {}, "Recipient '" + str(scd->Recipient) + "'"));
  }
  pass(errc::SamlRecipientMismatch, acs);

  // Time windows, with the connection's skew both ways.
  auto window = [&](const char* not_before, const char* not_on_or_after,
                    const std::string& what) -> std::optional<Error> {
    if (not_before && *not_before) {
      auto nb = parse_saml_time(not_before);
      if (!nb) return Error(errc::SamlResponseMalformed, {}, what + " NotBefore unreadable");
      if (now + skew_ms < *nb) {
        return Error(errc::SamlAssertionNotYetValid, {}, what + " NotBefore " + not_before);
      }
    }
    if (not_on_or_after && *not_on_or_after) {
      auto na = parse_saml_time(not_on_or_after);
      if (!na) return Error(errc::SamlResponseMalformed, {}, what + " NotOnOrAfter unreadable");
      if (now - skew_ms >= *na) {
        return Error(errc::SamlAssertionExpired, {}, what + " NotOnOrAfter " + not_on_or_after);
      }
    }
    return std::nullopt;
  };
  if (!scd->NotOnOrAfter || !*scd->NotOnOrAfter) {
    return refuse(Error(errc::SamlAssertionExpired, {},
                        "SubjectConfirmationData has no NotOnOrAfter (required for bearer)"));
  }
  if (auto e = window(scd->NotBefore, scd->NotOnOrAfter, "SubjectConfirmationData")) {
    return refuse(*e);
  }
  if (!assertion->Conditions) {
    return refuse(Error(errc::SamlAudienceMismatch, {}, "no Conditions/AudienceRestriction"));
  }
  if (auto e = window(assertion->Conditions->NotBefore, assertion->Conditions->NotOnOrAfter,
                      "Conditions")) {
    return refuse(*e);
  }
  pass(errc::SamlAssertionExpired,
       "within its validity window (skew " + std::to_string(skew_ms / 1000) + " s)");
  // SAML core §2.5.1.4: every AudienceRestriction must be satisfied.
  int restrictions = 0;
  for (GList* l = assertion->Conditions->AudienceRestriction; l; l = l->next) {
    ++restrictions;
    auto* ar = static_cast<LassoSaml2AudienceRestriction*>(l->data);
    if (str(ar->Audience) != entity_id) {
      return refuse(Error(errc::SamlAudienceMismatch, {}, "Audience '" + str(ar->Audience) + "'"));
    }
  }
  if (restrictions == 0) {
    return refuse(Error(errc::SamlAudienceMismatch, {}, "no AudienceRestriction"));
  }
  pass(errc::SamlAudienceMismatch, entity_id);

  // 4. Who: a stable subject.
  const nlohmann::json saml_attributes = attributes_of(assertion);
  const std::string subject_attribute = setting(row_, "subject_attribute", "");
  const std::string name_id = subject->NameID ? str(subject->NameID->content) : "";
  const std::string format = subject->NameID ? str(subject->NameID->Format) : "";
  std::string stable;
  if (!subject_attribute.empty()) {
    if (saml_attributes.contains(subject_attribute) &&
        saml_attributes[subject_attribute].size() == 1) {
      stable = saml_attributes[subject_attribute][0].get<std::string>();
    }
    if (stable.empty()) {
      return refuse(Error(errc::SamlSubjectMissing, {},
                          "no single value for the subject attribute " + subject_attribute));
    }
  } else {
    if (format == kTransient) return refuse(Error(errc::SamlNameIdNotPersistent, {}, format));
    if (name_id.empty()) return refuse(Error(errc::SamlSubjectMissing));
    if (format == kEmailFormat) {
      trace.check("saml.nameid_email", true,
                  "warning: an email NameID changes when the user's email changes; prefer a "
                  "persistent NameID or settings.subject_attribute");
    }
    stable = name_id;
  }
  pass(errc::SamlNameIdNotPersistent,
       subject_attribute.empty() ? "NameID " + format : "attribute " + subject_attribute);

  // 5. Attributes through the catalog (preset vendor names), the domain guard.
  nlohmann::json claims =
      claims_from(request.catalog, saml_attributes, setting(row_, "preset", "generic"));
  if (!claims.contains("email") && format == kEmailFormat) claims["email"] = name_id;
  if (claims.contains("email")) claims["email_verified"] = true;
  auto attributes = map_claims(request.catalog, claims, row_.attribute_mapping, trace);
  if (!attributes) return fail(attributes.error());

  VerifiedLogin out;
  auto& id = out.identity;
  id.environment_id = request.environment.id;
  id.organization_id = row_.organization_id;
  id.connection_id = row_.id;
  id.issuer = idp_entity;
  id.subject = stable;
  id.email = attributes->value("email", "");
  if (id.email.empty()) {
    trace.check("login.email_missing", false, "no email attribute");
    return fail(Error(errc::LoginEmailMissing));
  }
  const std::string email_domain = lower(id.email.substr(id.email.rfind('@') + 1));
  std::vector<std::string> domains;
  for (const auto& d : row_.domains) {
    if (d.is_string()) domains.push_back(lower(d.get<std::string>()));
  }
  if (row_.settings.is_object() && row_.settings.contains("guest_domains")) {
    for (const auto& d : row_.settings["guest_domains"]) {
      if (d.is_string()) domains.push_back(lower(d.get<std::string>()));
    }
  }
  if (!domains.empty() &&
      std::find(domains.begin(), domains.end(), email_domain) == domains.end()) {
    return refuse(Error(errc::SamlEmailOutsideOrgDomains, {}, id.email));
  }
  pass(errc::SamlEmailOutsideOrgDomains, id.email);
  id.email_verified = attributes->value("email_verified", false);
  id.given_name = attributes->value("given_name", "");
  id.family_name = attributes->value("family_name", "");
  id.name = attributes->value("formatted_name", attributes->value("display_name", ""));
  id.attributes = *attributes;
  id.connection_may_link_by_email = row_.allow_email_linking;

  // 6. How strongly: AuthnContextClassRef and Entra's authnmethodsreferences.
  const auto& mapping = acr_mapping_of(row_);
  std::string class_ref;
  out.auth_time_ms = now;
  for (GList* l = assertion->AuthnStatement; l; l = l->next) {
    auto* st = static_cast<LassoSaml2AuthnStatement*>(l->data);
    if (st->AuthnContext && class_ref.empty())
      class_ref = str(st->AuthnContext->AuthnContextClassRef);
    if (st->AuthnInstant) {
      if (auto t = parse_saml_time(st->AuthnInstant)) out.auth_time_ms = *t;
    }
  }
  std::vector<std::string> methods;
  if (saml_attributes.contains(kEntraAuthnMethods)) {
    for (const auto& m : saml_attributes[kEntraAuthnMethods])
      methods.push_back(m.get<std::string>());
  }
  if (!class_ref.empty()) methods.push_back(class_ref);
  for (const auto& m : methods) {
    if (auto a = amr_of(m); a && std::find(out.amr.begin(), out.amr.end(), *a) == out.amr.end()) {
      out.amr.push_back(*a);
    }
  }
  // The strongest mapped level among the class ref and the methods (in mapping order of
  // appearance in the request's acr_values when one was asked).
  std::vector<std::string> achieved;
  for (const auto& m : methods) {
    if (mapping.contains(m) && mapping[m].is_string())
      achieved.push_back(mapping[m].get<std::string>());
  }
  if (std::find(out.amr.begin(), out.amr.end(), "mfa") != out.amr.end() &&
      mapping.contains("mfa") && mapping["mfa"].is_string()) {
    achieved.push_back(mapping["mfa"].get<std::string>());
  }
  if (!achieved.empty()) out.acr = achieved.front();
  if (!request.acr_values.empty()) {
    std::string met;
    for (const auto& want : request.acr_values) {
      if (std::find(achieved.begin(), achieved.end(), want) != achieved.end()) {
        met = want;
        break;
      }
    }
    if (met.empty()) {
      const bool report = setting(row_, "authn_context_policy", "fail") == "report";
      trace.check(errc::SamlAuthnContextNotMet.name, report,
                  "achieved '" + class_ref + "', asked " +
                      nlohmann::json(request.acr_values).dump() +
                      (report ? " (policy: report)" : ""));
      if (!report) return fail(Error(errc::SamlAuthnContextNotMet));
    } else {
      out.acr = met;
      pass(errc::SamlAuthnContextNotMet, class_ref + " -> " + met);
    }
  }
  // 7. Last: the assertion ID is accepted once per connection, on every node (the store).
  if (deps_.store) {
    int64_t until = now + skew_ms;
    for (const char* t : {scd->NotOnOrAfter, assertion->Conditions->NotOnOrAfter}) {
      if (auto v = t && *t ? parse_saml_time(t) : std::nullopt)
        until = std::max(until, *v + skew_ms);
    }
    store::SamlAssertionUse use{row_.organization_id, row_.environment_id, row_.id,
                                str(assertion->ID), until};
    auto first = deps_.store->transact<bool>(
        [&](store::Repositories& repos) { return repos.saml_assertions().record_use(use, now); });
    if (!first) return fail(first.error());
    if (!*first)
      return refuse(Error(errc::SamlAssertionReplayed, {}, "assertion " + use.assertion_id));
    pass(errc::SamlAssertionReplayed, "assertion " + use.assertion_id + " used once");
  }
  trace.step("saml.identity", {{"issuer", id.issuer},
                               {"subject", id.subject},
                               {"email", id.email},
                               {"assertion_id", str(assertion->ID)},
                               {"attributes", id.attributes},
                               {"authn_context_class_ref", class_ref},
                               {"acr", out.acr},
                               {"amr", out.amr}});
  return out;
}

// --- the factory -------------------------------------------------------------------------------

Result<bool> SamlFactory::validate(const store::Environment& environment, store::Connection& c,
                                   const ConnectionDeps& deps) const {
  if (!c.settings.is_object()) return fail(invalid("settings", "'settings' must be an object"));
  static const std::vector<std::string> known = {
      "idp_metadata_xml", "idp_metadata_url", "idp_metadata_refresh_s", "preset",
      "subject_attribute", "want_assertions_signed", "sign_authn_requests", "authn_request_binding",
      "allow_sha1", "allow_legacy_encryption", "clock_skew_s", "authn_context_comparison",
      "authn_context_policy", "guest_domains",
      // derived or server-owned
      "idp_entity_id", "idp_sso_url", "idp_sso_post_url", "idp_metadata_fetched_from",
      "idp_metadata_fetched_at", "idp_metadata_attempted_at", "idp_metadata_refresh_error", "sp"};
  for (auto it = c.settings.begin(); it != c.settings.end(); ++it) {
    if (std::find(known.begin(), known.end(), it.key()) == known.end()) {
      return fail(invalid("settings." + it.key(), "A SAML connection has no setting '" + it.key() +
                                                      "' (see docs/saml.md)"));
    }
  }
  const bool creating = c.id.empty();
  if (creating && c.settings.contains("sp")) {
    return fail(invalid("settings.sp", "'settings.sp' is generated by Gatehouse"));
  }
  const bool from_url = c.settings.contains("idp_metadata_url");
  if (from_url) {
    if (!c.settings["idp_metadata_url"].is_string()) {
      return fail(invalid("settings.idp_metadata_url", "'idp_metadata_url' is a URL"));
    }
    if (creating && c.settings.contains("idp_metadata_xml")) {
      return fail(invalid("settings.idp_metadata_xml",
                          "Give 'idp_metadata_xml' or 'idp_metadata_url', not both"));
    }
    if (c.settings.contains("idp_metadata_refresh_s")) {
      const auto& v = c.settings["idp_metadata_refresh_s"];
      if (!v.is_number_integer() || v.get<int64_t>() < kMinIdpMetadataRefreshS ||
          v.get<int64_t>() > kMaxIdpMetadataRefreshS) {
        return fail(invalid("settings.idp_metadata_refresh_s",
                            "'idp_metadata_refresh_s' is 10 to 604800 seconds"));
      }
    }
  } else {
    if (c.settings.contains("idp_metadata_refresh_s")) {
      return fail(invalid("settings.idp_metadata_refresh_s",
                          "'idp_metadata_refresh_s' applies to 'idp_metadata_url' only"));
    }
    for (const char* derived : {"idp_metadata_fetched_from", "idp_metadata_fetched_at",
                                "idp_metadata_attempted_at", "idp_metadata_refresh_error"}) {
      c.settings.erase(derived);
    }
    if (!c.settings.contains("idp_metadata_xml") || !c.settings["idp_metadata_xml"].is_string()) {
      return fail(invalid("settings.idp_metadata_xml",
                          "A SAML connection needs 'settings.idp_metadata_xml' (the IdP's "
                          "metadata) or 'settings.idp_metadata_url'"));
    }
  }
  for (const char* b :
       {"want_assertions_signed", "sign_authn_requests", "allow_sha1", "allow_legacy_encryption"}) {
    if (c.settings.contains(b) && !c.settings[b].is_boolean()) {
      return fail(
          invalid(std::string("settings.") + b, std::string("'") + b + "' is true or false"));
    }
  }
  const auto one_of = [&](const char* name, std::vector<std::string> allowed) -> Result<bool> {
    if (!c.settings.contains(name)) return true;
    const auto& v = c.settings[name];
    if (!v.is_string() ||
        std::find(allowed.begin(), allowed.end(), v.get<std::string>()) == allowed.end()) {
      std::string list;
      for (const auto& a : allowed) list += (list.empty() ? "" : ", ") + a;
      return fail(invalid(std::string("settings.") + name,
                          std::string("'") + name + "' is one of " + list));
    }
    return true;
  };
  if (auto ok = one_of("preset", {"generic", "okta", "entra_id", "google", "adfs", "ping"}); !ok)
    return ok;
  if (auto ok = one_of("authn_context_comparison", {"exact", "minimum"}); !ok) return ok;
  if (auto ok = one_of("authn_context_policy", {"fail", "report"}); !ok) return ok;
  if (auto ok = one_of("authn_request_binding", {"redirect", "post"}); !ok) return ok;
  if (c.settings.contains("subject_attribute") &&
      (!c.settings["subject_attribute"].is_string() ||
       c.settings["subject_attribute"].get<std::string>().size() > 512)) {
    return fail(
        invalid("settings.subject_attribute", "'subject_attribute' is a SAML attribute name"));
  }
  if (c.settings.contains("clock_skew_s")) {
    const auto& v = c.settings["clock_skew_s"];
    if (!v.is_number_integer() || v.get<int64_t>() < 0 || v.get<int64_t>() > 300) {
      return fail(invalid("settings.clock_skew_s", "'clock_skew_s' is 0 to 300 seconds"));
    }
  }
  if (c.settings.contains("guest_domains")) {
    const auto& v = c.settings["guest_domains"];
    if (!v.is_array() || v.size() > 100) {
      return fail(invalid("settings.guest_domains", "'guest_domains' is a list of domains"));
    }
    for (const auto& d : v) {
      if (!d.is_string() || d.get<std::string>().empty() ||
          d.get<std::string>().find('@') != std::string::npos) {
        return fail(invalid("settings.guest_domains", "'guest_domains' is a list of domains"));
      }
    }
  }
  if (!c.acr_mapping.is_object()) {
    return fail(invalid("acr_mapping", "'acr_mapping' maps upstream levels to acr values"));
  }
  for (auto it = c.acr_mapping.begin(); it != c.acr_mapping.end(); ++it) {
    if (it.key().empty() || it.key().size() > 512 || !it->is_string() ||
        it->get<std::string>().empty()) {
      return fail(invalid("acr_mapping", "'acr_mapping' maps upstream levels to acr strings"));
    }
  }
  // The IdP metadata: fetched when the connection names a URL and has no copy of it yet (new,
  // another URL, or a PATCH that leaves idp_metadata_xml out to fetch again); else the XML.
  const std::string binding = setting(c, "authn_request_binding", "redirect");
  if (from_url) {
    const std::string url = c.settings["idp_metadata_url"].get<std::string>();
    if (creating || !c.settings.contains("idp_metadata_xml") ||
        setting(c, "idp_metadata_fetched_from", "") != url) {
      auto fetched = fetch_idp_metadata(url);
      if (!fetched) return fail(fetched.error());
      // Checked as a document of the URL, before it replaces anything.
      if (auto md = read_idp_metadata(*fetched, "settings.idp_metadata_url", binding); !md) {
        return fail(md.error());
      }
      const int64_t now = deps.clock.now_ms();
      c.settings["idp_metadata_xml"] = std::move(*fetched);
      c.settings["idp_metadata_fetched_from"] = url;
      c.settings["idp_metadata_fetched_at"] = now;
      c.settings["idp_metadata_attempted_at"] = now;
      c.settings.erase("idp_metadata_refresh_error");
    }
  }
  if (!c.settings["idp_metadata_xml"].is_string()) {
    return fail(invalid("settings.idp_metadata_xml", "'idp_metadata_xml' is the metadata XML"));
  }
  auto md = read_idp_metadata(c.settings["idp_metadata_xml"].get<std::string>(),
                              from_url ? "settings.idp_metadata_url" : "settings.idp_metadata_xml",
                              binding);
  if (!md) return fail(md.error());
  c.settings["idp_entity_id"] = md->entity_id;
  c.settings["idp_sso_url"] = md->sso_redirect_url;
  c.settings["idp_sso_post_url"] = md->sso_post_url;

  // The SP: ids first (URLs name the connection), then keys generated once and sealed.
  if (creating) c.id = new_uuid_v7(deps.clock);
  nlohmann::json sp = c.settings.contains("sp") ? c.settings["sp"] : nlohmann::json::object();
  sp["entity_id"] = sp_entity_id(deps.public_url, environment.name, c);
  sp["acs_url"] = acs_url(deps.public_url, environment.name, c);
  sp["metadata_url"] = sp_metadata_url(deps.public_url, environment.name, c);
  if (!sp.contains("signing_key_sealed")) {
    if (!deps.sealing) return fail(Error(errc::ServerInternal, {}, "no sealing configured"));
    for (const char* use : {"signing", "encryption"}) {
      auto pair = generate_sp_key_pair(sp["entity_id"].get<std::string>(), deps.clock.now_ms());
      if (!pair) return fail(pair.error());
      auto sealed = deps.sealing->seal(
          key_context(c, std::string(use) == "signing" ? "sp_signing_key" : "sp_encryption_key"),
          pair->private_key_pem);
      crypto::cleanse(pair->private_key_pem);
      if (!sealed) return fail(sealed.error());
      sp[std::string(use) + "_key_sealed"] = base64url_encode(*sealed);  // JSON holds text
      sp[std::string(use) + "_certificate"] = pair->certificate_pem;
    }
  }
  c.settings["sp"] = sp;
  return true;
}

nlohmann::json SamlFactory::public_settings(const store::Connection& c) const {
  nlohmann::json out = nlohmann::json::object();
  if (!c.settings.is_object()) return out;
  for (auto it = c.settings.begin(); it != c.settings.end(); ++it) {
    if (it.key() != "sp") out[it.key()] = *it;
  }
  const auto& sp = sp_of(c);
  out["sp_entity_id"] = sp.value("entity_id", "");
  out["acs_url"] = sp.value("acs_url", "");
  out["sp_metadata_url"] = sp.value("metadata_url", "");
  out["sp_signing_certificate"] = sp.value("signing_certificate", "");
  out["sp_encryption_certificate"] = sp.value("encryption_certificate", "");
  return out;
}

std::unique_ptr<Connection> SamlFactory::open(const store::Connection& c,
                                              const ConnectionDeps& deps) const {
  return std::make_unique<SamlConnection>(c, deps);
}

void ensure_lasso() {
  static std::once_flag once;
  std::call_once(once, [] {
    if (int rc = lasso_init(); rc != 0) {
      log::error("lasso_init failed", {{"rc", rc}});
    }
  });
}

}  // namespace gh::federation::saml
