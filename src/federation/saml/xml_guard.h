// Gatehouse's own look at a SAMLResponse before Lasso verifies it, on the same bytes: parsed
// once with libxml2 with no DTD, no entities, no network, bounded size and depth; then the
// shape (one Response, one assertion as its direct child, every Signature a direct child of the
// element it signs and referencing exactly that element's unique ID) and the algorithms
// (SHA-1, AES-CBC and RSA 1.5 refused unless the connection opts in). Lasso's own
// signature-method settings cannot be relied on for this policy in Debian's build (issue 8).
#pragma once

#include <libxml/tree.h>

#include <memory>
#include <string>
#include <string_view>

#include "core/result.h"

namespace gh::federation::saml {

inline constexpr size_t kMaxResponseBytes = 40 * 1024;
inline constexpr int kMaxDepth = 32;

struct AlgorithmPolicy {
  bool allow_sha1 = false;               // RSA-SHA1 signatures and SHA-1 digests
  bool allow_legacy_encryption = false;  // AES-CBC content and RSA 1.5 key transport
};

struct XmlDocFree {
  void operator()(xmlDoc* d) const { xmlFreeDoc(d); }
};
using XmlDocPtr = std::unique_ptr<xmlDoc, XmlDocFree>;

// What the shape check found.
struct ResponseShape {
  bool encrypted = false;         // the assertion is an EncryptedAssertion
  bool response_signed = false;   // a Signature child of the Response
  bool assertion_signed = false;  // a Signature child of the (plain) Assertion
  std::string response_id;
  std::string assertion_id;  // empty when encrypted
};

// saml.response_too_large, saml.xml_too_deep, saml.dtd_forbidden, saml.response_malformed.
Result<XmlDocPtr> parse_response_xml(std::string_view xml);

// saml.comment_forbidden, saml.structure_invalid, saml.algorithm_not_allowed.
Result<ResponseShape> check_response(xmlDoc* doc, const AlgorithmPolicy& policy);

// The same checks on one assertion element (a decrypted one): comments, its signature's place
// and reference, and its algorithms. Returns whether it is signed.
Result<bool> check_assertion(xmlNode* assertion, const AlgorithmPolicy& policy);

}  // namespace gh::federation::saml
