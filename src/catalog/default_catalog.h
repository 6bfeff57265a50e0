// The catalog every environment starts from: the attributes enterprise IdPs send and
// applications ask for, each with where Okta, Entra ID, Google Workspace, ADFS and PingFederate
// put it in SAML, the OIDC claims it arrives as, and its SCIM path (core User or the enterprise
// extension, RFC 7643 §4.1 and §4.3).
#pragma once

#include "catalog/attribute.h"

namespace gh::catalog {

const Catalog& default_catalog();

}  // namespace gh::catalog
