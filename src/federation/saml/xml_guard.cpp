#include "federation/saml/xml_guard.h"

#include <libxml/parser.h>

#include <set>
#include <vector>

#include "federation/saml/error_codes.h"

namespace gh::federation::saml {

namespace {

constexpr const char* kProtocolNs = "urn:oasis:names:tc:SAML:2.0:protocol";
constexpr const char* kAssertionNs = "urn:oasis:names:tc:SAML:2.0:assertion";
constexpr const char* kDsigNs = "http://www.w3.org/2000/09/xmldsig#";
constexpr const char* kXencNs = "http://www.w3.org/2001/04/xmlenc#";

bool is(const xmlNode* n, const char* ns, const char* name) {
  return n && n->type == XML_ELEMENT_NODE && n->ns && n->ns->href &&
         xmlStrEqual(n->ns->href, BAD_CAST ns) && xmlStrEqual(n->name, BAD_CAST name);
}

std::string attr(const xmlNode* n, const char* name) {
  xmlChar* v = xmlGetNoNsProp(const_cast<xmlNode*>(n), BAD_CAST name);
  if (!v) return {};
  std::string out(reinterpret_cast<const char*>(v));
  xmlFree(v);
  return out;
}

std::vector<xmlNode*> children(xmlNode* n, const char* ns, const char* name) {
  std::vector<xmlNode*> out;
  for (xmlNode* c = n ? n->children : nullptr; c; c = c->next) {
    if (is(c, ns, name)) out.push_back(c);
  }
  return out;
}

// Every element below `root` (itself included), iteratively.
template <class F>
void walk(xmlNode* root, F&& f) {
  std::vector<xmlNode*> stack{root};
  while (!stack.empty()) {
    xmlNode* n = stack.back();
    stack.pop_back();
    f(n);
    for (xmlNode* c = n->children; c; c = c->next) stack.push_back(c);
  }
}

Error structure(const std::string& detail) { return Error(errc::SamlStructureInvalid, {}, detail); }

Error algorithm(const std::string& kind, const std::string& uri) {
  return Error(errc::SamlAlgorithmNotAllowed,
               "The identity provider used the " + kind + " algorithm " + uri +
                   ", which this connection does not allow",
               kind + " " + uri);
}

bool signature_method_ok(const std::string& a, const AlgorithmPolicy& p) {
  static const std::set<std::string> strong = {
      "http://www.w3.org/2001/04/xmldsig-more#rsa-sha256",
      "http://www.w3.org/2001/04/xmldsig-more#rsa-sha384",
      "http://www.w3.org/2001/04/xmldsig-more#rsa-sha512",
      "http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha256",
      "http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha384",
      "http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha512"};
  if (strong.count(a)) return true;
  return p.allow_sha1 && a == "http://www.w3.org/2000/09/xmldsig#rsa-sha1";
}

bool digest_ok(const std::string& a, const AlgorithmPolicy& p) {
  static const std::set<std::string> strong = {"http://www.w3.org/2001/04/xmlenc#sha256",
                                               "http://www.w3.org/2001/04/xmldsig-more#sha384",
                                               "http://www.w3.org/2001/04/xmlenc#sha512"};
  if (strong.count(a)) return true;
  return p.allow_sha1 && a == "http://www.w3.org/2000/09/xmldsig#sha1";
}

bool transform_ok(const std::string& a) {
  // Comments are never part of what we accept as signed (no #WithComments variants).
  return a == "http://www.w3.org/2000/09/xmldsig#enveloped-signature" ||
         a == "http://www.w3.org/2001/10/xml-exc-c14n#" ||
         a == "http://www.w3.org/TR/2001/REC-xml-c14n-20010315";
}

bool content_encryption_ok(const std::string& a, const AlgorithmPolicy& p) {
  if (a == "http://www.w3.org/2009/xmlenc11#aes128-gcm" ||
      a == "http://www.w3.org/2009/xmlenc11#aes192-gcm" ||
      a == "http://www.w3.org/2009/xmlenc11#aes256-gcm") {
    return true;
  }
  return p.allow_legacy_encryption && (a == "http://www.w3.org/2001/04/xmlenc#aes128-cbc" ||
                                       a == "http://www.w3.org/2001/04/xmlenc#aes192-cbc" ||
                                       a == "http://www.w3.org/2001/04/xmlenc#aes256-cbc");
}

bool key_transport_ok(const std::string& a, const AlgorithmPolicy& p) {
  if (a == "http://www.w3.org/2001/04/xmlenc#rsa-oaep-mgf1p" ||
      a == "http://www.w3.org/2009/xmlenc11#rsa-oaep") {
    return true;
  }
  return p.allow_legacy_encryption && a == "http://www.w3.org/2001/04/xmlenc#rsa-1_5";
}

// One ds:Signature as a direct child of `signed_element`: exactly one Reference, to "#ID" of
// that element; only allowed transforms and algorithms.
Result<bool> check_signature(xmlNode* signature, xmlNode* signed_element,
                             const AlgorithmPolicy& policy) {
  const std::string id = attr(signed_element, "ID");
  if (id.empty()) return fail(structure("a signed element has no ID"));
  auto signed_info = children(signature, kDsigNs, "SignedInfo");
  if (signed_info.size() != 1) return fail(structure("a Signature without one SignedInfo"));
  auto method = children(signed_info[0], kDsigNs, "SignatureMethod");
  if (method.size() != 1) return fail(structure("a SignedInfo without one SignatureMethod"));
  const std::string sm = attr(method[0], "Algorithm");
  if (!signature_method_ok(sm, policy)) return fail(algorithm("signature", sm));
  auto refs = children(signed_info[0], kDsigNs, "Reference");
  if (refs.size() != 1) return fail(structure("a SignedInfo must carry exactly one Reference"));
  if (attr(refs[0], "URI") != "#" + id) {
    return fail(structure("a Signature references something other than its parent element"));
  }
  for (xmlNode* ts : children(refs[0], kDsigNs, "Transforms")) {
    for (xmlNode* t : children(ts, kDsigNs, "Transform")) {
      const std::string a = attr(t, "Algorithm");
      if (!transform_ok(a)) return fail(algorithm("transform", a));
    }
  }
  auto digest = children(refs[0], kDsigNs, "DigestMethod");
  if (digest.size() != 1) return fail(structure("a Reference without one DigestMethod"));
  const std::string dm = attr(digest[0], "Algorithm");
  if (!digest_ok(dm, policy)) return fail(algorithm("digest", dm));
  return true;
}

Result<bool> no_comments(xmlNode* root) {
  bool found = false;
  walk(root, [&](xmlNode* n) {
    if (n->type == XML_COMMENT_NODE || n->type == XML_PI_NODE || n->type == XML_ENTITY_REF_NODE ||
        n->type == XML_ENTITY_NODE) {
      found = true;
    }
  });
  if (found) return fail(Error(errc::SamlCommentForbidden));
  return true;
}

}  // namespace

Result<XmlDocPtr> parse_response_xml(std::string_view xml) {
  if (xml.size() > kMaxResponseBytes) {
    return fail(
        Error(errc::SamlResponseTooLarge, {},
              std::to_string(xml.size()) + " bytes, at most " + std::to_string(kMaxResponseBytes)));
  }
  // A DTD is refused before any parser sees it: no entity can be declared, let alone expanded
  // (XXE, billion laughs).
  if (xml.find("<!DOCTYPE") != std::string_view::npos ||
      xml.find("<!ENTITY") != std::string_view::npos) {
    return fail(Error(errc::SamlDtdForbidden));
  }
  // Depth, counted on the bytes so that the parser never builds a deep tree: '<' cannot occur
  // unescaped in attribute values or text, so each "<name" opens and each "</" or "/>" closes.
  int depth = 0;
  for (size_t i = 0; i + 1 < xml.size(); ++i) {
    if (xml[i] == '<') {
      const char c = xml[i + 1];
      if (c == '/') {
        --depth;
      } else if (c != '!' && c != '?') {
        if (++depth > kMaxDepth) return fail(Error(errc::SamlXmlTooDeep));
      }
    } else if (xml[i] == '/' && xml[i + 1] == '>') {
      --depth;
    }
  }
  // No network, no entity substitution, no DTD loading; errors stay out of stderr.
  const int options = XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING;
  xmlDoc* doc =
      xmlReadMemory(xml.data(), static_cast<int>(xml.size()), "response.xml", nullptr, options);
  if (!doc) return fail(Error(errc::SamlResponseMalformed, {}, "not well-formed XML"));
  XmlDocPtr owned(doc);
  if (doc->intSubset || doc->extSubset) return fail(Error(errc::SamlDtdForbidden));
  return owned;
}

Result<bool> check_assertion(xmlNode* assertion, const AlgorithmPolicy& policy) {
  if (auto ok = no_comments(assertion); !ok) return ok;
  bool signed_ = false;
  std::set<std::string> ids;
  Result<bool> inner = true;
  walk(assertion, [&](xmlNode* n) {
    if (!inner || n->type != XML_ELEMENT_NODE) return;
    const std::string id = attr(n, "ID");
    if (!id.empty() && !ids.insert(id).second) inner = fail(structure("duplicate ID " + id));
    if (is(n, kDsigNs, "Signature") && n->parent != assertion) {
      inner = fail(structure("a Signature inside the assertion that does not sign it"));
    }
    if (n != assertion &&
        (is(n, kAssertionNs, "Assertion") || is(n, kAssertionNs, "EncryptedAssertion"))) {
      inner = fail(structure("an assertion nested in the assertion"));
    }
  });
  if (!inner) return inner;
  auto sigs = children(assertion, kDsigNs, "Signature");
  if (sigs.size() > 1) return fail(structure("more than one Signature on the assertion"));
  if (sigs.size() == 1) {
    if (auto ok = check_signature(sigs[0], assertion, policy); !ok) return ok;
    signed_ = true;
  }
  return signed_;
}

Result<ResponseShape> check_response(xmlDoc* doc, const AlgorithmPolicy& policy) {
  xmlNode* root = xmlDocGetRootElement(doc);
  if (!is(root, kProtocolNs, "Response")) {
    return fail(Error(errc::SamlResponseMalformed, {}, "the root element is not samlp:Response"));
  }
  if (auto ok = no_comments(reinterpret_cast<xmlNode*>(doc)); !ok) return fail(ok.error());
  ResponseShape shape;
  shape.response_id = attr(root, "ID");
  if (shape.response_id.empty()) {
    return fail(Error(errc::SamlResponseMalformed, {}, "the Response has no ID"));
  }
  // Exactly one assertion in the whole document, a direct child of the Response: an assertion
  // anywhere else (Extensions, a Signature's Object, inside another assertion) is a wrapping
  // attempt (XSW1-8), refused before any signature is looked at.
  int assertions = 0;
  std::set<std::string> ids;
  Result<bool> found = true;
  walk(root, [&](xmlNode* n) {
    if (!found || n->type != XML_ELEMENT_NODE) return;
    if (is(n, kAssertionNs, "Assertion") || is(n, kAssertionNs, "EncryptedAssertion")) {
      ++assertions;
      if (n->parent != root) found = fail(structure("an assertion outside the Response's body"));
    }
    if (is(n, kDsigNs, "Signature") && n->parent != root &&
        !is(n->parent, kAssertionNs, "Assertion")) {
      found = fail(structure("a Signature that signs neither the Response nor the assertion"));
    }
    const std::string id = attr(n, "ID");
    if (!id.empty() && !ids.insert(id).second) found = fail(structure("duplicate ID " + id));
  });
  if (!found) return fail(found.error());
  if (assertions != 1) {
    return fail(structure("the Response must carry exactly one assertion, it has " +
                          std::to_string(assertions)));
  }
  auto sigs = children(root, kDsigNs, "Signature");
  if (sigs.size() > 1) return fail(structure("more than one Signature on the Response"));
  if (sigs.size() == 1) {
    if (auto ok = check_signature(sigs[0], root, policy); !ok) return fail(ok.error());
    shape.response_signed = true;
  }
  auto plain = children(root, kAssertionNs, "Assertion");
  if (!plain.empty()) {
    shape.assertion_id = attr(plain[0], "ID");
    if (shape.assertion_id.empty()) return fail(structure("the assertion has no ID"));
    auto s = check_assertion(plain[0], policy);
    if (!s) return fail(s.error());
    shape.assertion_signed = *s;
    return shape;
  }
  shape.encrypted = true;
  xmlNode* enc = children(root, kAssertionNs, "EncryptedAssertion")[0];
  Result<bool> algs = true;
  walk(enc, [&](xmlNode* n) {
    if (!algs || !is(n, kXencNs, "EncryptionMethod")) return;
    const std::string a = attr(n, "Algorithm");
    if (is(n->parent, kXencNs, "EncryptedData")) {
      if (!content_encryption_ok(a, policy)) algs = fail(algorithm("content encryption", a));
    } else if (is(n->parent, kXencNs, "EncryptedKey")) {
      if (!key_transport_ok(a, policy)) algs = fail(algorithm("key transport", a));
    }
  });
  if (!algs) return fail(algs.error());
  return shape;
}

}  // namespace gh::federation::saml
