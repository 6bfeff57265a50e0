#include "federation/saml/idp_metadata.h"

#include <memory>
#include <vector>

#include "federation/error_codes.h"
#include "federation/oidc/provider_metadata.h"
#include "federation/saml/error_codes.h"
#include "federation/saml/lasso.h"
#include "federation/saml/xml_guard.h"
#include "http/client.h"

namespace gh::federation::saml {

namespace {

constexpr const char* kMd = "urn:oasis:names:tc:SAML:2.0:metadata";
constexpr const char* kRedirect = "urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect";
constexpr const char* kPost = "urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST";

bool is(const xmlNode* n, const char* ns, const char* name) {
  return n && n->type == XML_ELEMENT_NODE && n->ns && xmlStrEqual(n->ns->href, BAD_CAST ns) &&
         xmlStrEqual(n->name, BAD_CAST name);
}

std::string prop(const xmlNode* n, const char* name) {
  xmlChar* v = xmlGetNoNsProp(const_cast<xmlNode*>(n), BAD_CAST name);
  std::string out = v ? reinterpret_cast<const char*>(v) : "";
  if (v) xmlFree(v);
  return out;
}

bool is_http_url(const std::string& u) {
  return u.rfind("https://", 0) == 0 || u.rfind("http://", 0) == 0;
}

}  // namespace

Result<IdpMetadata> read_idp_metadata(const std::string& xml, const std::string& field,
                                      const std::string& binding) {
  auto bad = [&](const std::string& why) {
    Error e(errc::SamlMetadataInvalid, {}, why);
    e.extra["field"] = field;
    return e;
  };
  if (xml.size() > kMaxIdpMetadataBytes) return fail(bad("larger than 256 KiB"));
  if (xml.find("<!DOCTYPE") != std::string::npos || xml.find("<!ENTITY") != std::string::npos) {
    return fail(bad("a DTD is not accepted"));
  }
  XmlDocPtr doc(xmlReadMemory(xml.data(), static_cast<int>(xml.size()), "metadata.xml", nullptr,
                              XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING));
  if (!doc) return fail(bad("not well-formed XML"));
  xmlNode* root = xmlDocGetRootElement(doc.get());
  if (!is(root, kMd, "EntityDescriptor")) return fail(bad("the root is not md:EntityDescriptor"));
  IdpMetadata out;
  out.entity_id = prop(root, "entityID");
  if (out.entity_id.empty() || out.entity_id.size() > 1024) return fail(bad("no entityID"));
  bool idp = false, cert = false;
  for (xmlNode* d = root->children; d; d = d->next) {
    if (!is(d, kMd, "IDPSSODescriptor")) continue;
    idp = true;
    for (xmlNode* e = d->children; e; e = e->next) {
      if (is(e, kMd, "SingleSignOnService")) {
        const std::string b = prop(e, "Binding");
        const std::string location = prop(e, "Location");
        if (!is_http_url(location)) continue;
        if (b == kRedirect && out.sso_redirect_url.empty()) out.sso_redirect_url = location;
        if (b == kPost && out.sso_post_url.empty()) out.sso_post_url = location;
      }
      if (is(e, kMd, "KeyDescriptor") && prop(e, "use") != "encryption") {
        // A signing certificate somewhere below (ds:KeyInfo/ds:X509Data/ds:X509Certificate).
        std::vector<xmlNode*> stack{e};
        while (!stack.empty()) {
          xmlNode* n = stack.back();
          stack.pop_back();
          if (n->type == XML_ELEMENT_NODE && xmlStrEqual(n->name, BAD_CAST "X509Certificate")) {
            cert = true;
          }
          for (xmlNode* c = n->children; c; c = c->next) stack.push_back(c);
        }
      }
    }
  }
  if (!idp) return fail(bad("no IDPSSODescriptor"));
  if (binding == "post" ? out.sso_post_url.empty() : out.sso_redirect_url.empty()) {
    return fail(bad(std::string("no SingleSignOnService with the ") +
                    (binding == "post" ? "HTTP-POST" : "HTTP-Redirect") + " binding"));
  }
  if (!cert) return fail(bad("no signing certificate (KeyDescriptor with X509Certificate)"));
  // Lasso must accept it too (it verifies with these keys only).
  ensure_lasso();
  std::unique_ptr<LassoProvider, GObjectUnref> provider(
      lasso_provider_new_from_buffer(LASSO_PROVIDER_ROLE_IDP, xml.c_str(), nullptr, nullptr));
  if (!provider) return fail(bad("Lasso could not load it as IdP metadata"));
  return out;
}

Result<std::string> fetch_idp_metadata(const std::string& url) {
  if (!oidc::is_allowed_idp_url(url)) {
    Error e(errc::ConnectionInvalid,
            "'settings.idp_metadata_url' must be an https URL (http only to a loopback host)");
    e.extra["field"] = "settings.idp_metadata_url";
    return fail(e);
  }
  auto failed = [&](const std::string& why) {
    Error e(errc::SamlMetadataFetchFailed,
            "Could not fetch the identity provider's metadata from " + url + ": " + why);
    e.detail = why;
    e.extra["field"] = "settings.idp_metadata_url";
    return e;
  };
  http::HttpClient client({.timeout_ms = kIdpMetadataFetchTimeoutMs,
                           .connect_timeout_ms = kIdpMetadataFetchTimeoutMs,
                           .max_response_bytes = kMaxIdpMetadataBytes});
  http::ClientRequest req;
  req.url = url;
  req.headers = {{"Accept", "application/samlmetadata+xml, application/xml, text/xml"}};
  auto res = client.send(req);
  if (!res.error.empty()) return fail(failed(res.error));
  if (!res.ok()) return fail(failed("HTTP " + std::to_string(res.status)));
  if (res.body.empty()) return fail(failed("an empty answer"));
  return std::move(res.body);
}

}  // namespace gh::federation::saml
