// The one place Lasso is included (research/deps.md): its headers pull GLib and libxml2 in
// inside `extern "C"`, which g++ 12 refuses for GLib's and ICU's C++ templates, so those come
// first. Owning handles for the GObjects and g_free'd strings we keep, and lasso_init() once.
#pragma once

// clang-format off
#include <glib.h>
#include <glib-object.h>
#include <libxml/tree.h>
#include <libxml/parser.h>
#include <lasso/lasso.h>
#include <lasso/xml/saml-2.0/samlp2_authn_request.h>
#include <lasso/xml/saml-2.0/samlp2_requested_authn_context.h>
#include <lasso/xml/saml-2.0/samlp2_name_id_policy.h>
#include <lasso/xml/saml-2.0/samlp2_response.h>
#include <lasso/xml/saml-2.0/samlp2_status.h>
#include <lasso/xml/saml-2.0/samlp2_status_code.h>
#include <lasso/xml/saml-2.0/saml2_assertion.h>
#include <lasso/xml/saml-2.0/saml2_attribute.h>
#include <lasso/xml/saml-2.0/saml2_attribute_statement.h>
#include <lasso/xml/saml-2.0/saml2_attribute_value.h>
#include <lasso/xml/saml-2.0/saml2_audience_restriction.h>
#include <lasso/xml/saml-2.0/saml2_authn_context.h>
#include <lasso/xml/saml-2.0/saml2_authn_statement.h>
#include <lasso/xml/saml-2.0/saml2_conditions.h>
#include <lasso/xml/saml-2.0/saml2_name_id.h>
#include <lasso/xml/saml-2.0/saml2_subject.h>
#include <lasso/xml/saml-2.0/saml2_subject_confirmation.h>
#include <lasso/xml/saml-2.0/saml2_subject_confirmation_data.h>
#include <lasso/xml/misc_text_node.h>
// clang-format on

#include <memory>
#include <string>

namespace gh::federation::saml {

struct GObjectUnref {
  void operator()(void* p) const {
    if (p) g_object_unref(p);
  }
};
using LassoServerPtr = std::unique_ptr<LassoServer, GObjectUnref>;
using LassoLoginPtr = std::unique_ptr<LassoLogin, GObjectUnref>;

// lasso_init() once per process (thread-safe through the static), and GLib's CRITICAL lines
// from Lasso routed to our log at debug level (every rc is checked by the caller).
void ensure_lasso();

inline std::string str(const char* s) { return s ? std::string(s) : std::string(); }

}  // namespace gh::federation::saml
