// The `saml` connection type (issue 8, docs/saml.md): Gatehouse as a SAML 2.0 service provider
// per connection. start() sends an AuthnRequest by HTTP-Redirect, or by HTTP-POST as an
// auto-posted form (signed RSA-SHA256 over the query or enveloped in the XML, unless
// settings.sign_authn_requests is false); finish() is the ACS: xml_guard.h checks the shape and
// algorithms on the bytes, Lasso verifies signatures (keys from the IdP metadata only) and
// decrypts, then each SAML condition is checked here with its own error code.
//
// settings (admin input): idp_metadata_xml or idp_metadata_url (fetched, refreshed every
// idp_metadata_refresh_s by metadata_refresh.h), authn_request_binding (redirect | post), preset
// (okta | entra_id | google | adfs | ping | generic), subject_attribute, want_assertions_signed
// (default true; false accepts a signed Response around an unsigned assertion), sign_authn_requests
// (default true), allow_sha1, allow_legacy_encryption (AES-CBC, RSA 1.5), clock_skew_s (default
// 120, <= 300), authn_context_comparison (exact | minimum), authn_context_policy (fail | report),
// guest_domains. Server-owned, under settings.sp: the SP certificates and the sealed keys.
// acr_mapping: {AuthnContextClassRef or amr value: Gatehouse acr}.
#pragma once

#include <string>

#include "federation/connection.h"

namespace gh::federation::saml {

inline constexpr int64_t kDefaultSkewS = 120;

std::string sp_entity_id(const std::string& public_url, const std::string& env_name,
                         const store::Connection& c);
std::string acs_url(const std::string& public_url, const std::string& env_name,
                    const store::Connection& c);
std::string sp_metadata_url(const std::string& public_url, const std::string& env_name,
                            const store::Connection& c);
// The SP metadata document (what sp_metadata_url serves). With the organization's effective
// catalog, an AttributeConsumingService lists the attributes read (the preset's SAML names).
std::string sp_metadata(const std::string& public_url, const std::string& env_name,
                        const store::Connection& c, const catalog::Catalog* catalog = nullptr);

// "2026-12-01T05:00:00Z" (fractions and offsets allowed) to Unix milliseconds.
std::optional<int64_t> parse_saml_time(std::string_view text);

class SamlConnection final : public Connection {
 public:
  SamlConnection(store::Connection row, const ConnectionDeps& deps)
      : row_(std::move(row)), deps_(deps) {}
  Result<StartResult> start(const StartRequest& request, Trace& trace) override;
  Result<TransactionRef> transaction_ref(const store::Environment& environment,
                                         const CallbackParams& params) override;
  Result<VerifiedLogin> finish(const FinishRequest& request, Trace& trace) override;

 private:
  store::Connection row_;
  ConnectionDeps deps_;
};

class SamlFactory final : public ConnectionFactory {
 public:
  std::string_view type() const override { return "saml"; }
  Result<bool> validate(const store::Environment& environment, store::Connection& c,
                        const ConnectionDeps& deps) const override;
  nlohmann::json public_settings(const store::Connection& c) const override;
  std::unique_ptr<Connection> open(const store::Connection& c,
                                   const ConnectionDeps& deps) const override;
};

}  // namespace gh::federation::saml
