// The IdP's SAML metadata, from the admin's XML or fetched from `idp_metadata_url`: parsed at
// the edge with libxml2 (no DTD, no network, at most 256 KiB), checked for what Gatehouse needs
// (one EntityDescriptor, an IDPSSODescriptor, a SingleSignOnService for the connection's
// binding, a signing certificate) and loaded by Lasso as it will be at sign-in.
//
// Fetches use the outbound client the OIDC connections use (http::HttpClient through the same
// URL rule: https, or http to a loopback host), on the calling thread, with a total timeout and
// a bounded answer; no redirects.
#pragma once

#include <cstdint>
#include <string>

#include "core/result.h"

namespace gh::federation::saml {

inline constexpr size_t kMaxIdpMetadataBytes = 256 * 1024;
inline constexpr int64_t kIdpMetadataFetchTimeoutMs = 5'000;
inline constexpr int64_t kDefaultIdpMetadataRefreshS = 86'400;
inline constexpr int64_t kMinIdpMetadataRefreshS = 10;
inline constexpr int64_t kMaxIdpMetadataRefreshS = 7 * 86'400;

struct IdpMetadata {
  std::string entity_id;
  std::string sso_redirect_url;  // SingleSignOnService, HTTP-Redirect binding (may be empty)
  std::string sso_post_url;      // SingleSignOnService, HTTP-POST binding (may be empty)
};

// saml.metadata_invalid naming `field` when the document is not usable; `binding` is the
// AuthnRequest binding the connection uses ("redirect" or "post"): its SingleSignOnService must
// be there.
Result<IdpMetadata> read_idp_metadata(const std::string& xml, const std::string& field,
                                      const std::string& binding = "redirect");

// GETs the metadata document: connection.invalid when the URL is not allowed,
// saml.metadata_fetch_failed (unreachable, timeout, non-2xx, larger than 256 KiB), naming
// settings.idp_metadata_url. The body is returned unchecked: read_idp_metadata() next.
Result<std::string> fetch_idp_metadata(const std::string& url);

}  // namespace gh::federation::saml
