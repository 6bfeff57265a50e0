// The built-in test IdP (sandbox environments only): its start step sends the browser to a
// server-rendered form where a tester signs in as any test user (email, names, groups,
// department, authentication level and methods); the form posts back to the connection's
// callback. The state between the form and the callback is signed (federation/signed_state.h:
// HMAC-SHA-256 under the server key, its own label) and bound to the login transaction, so a
// callback cannot be forged or replayed into another login. What the tester typed is the
// "assertion": the test IdP vouches for whatever they chose, which is why it never exists outside a
// sandbox.
//
// settings: {"amr_values": ["pwd", "otp", "hwk", "mfa"]} (the checkboxes offered; RFC 8176
// values). acr_mapping: {"<level shown in the form>": "<acr Gatehouse reports>"}; empty: the
// defaults below. issuer: {public_url}/{env}/login/testidp/{connection}; subject: derived from
// the email (the same email is the same subject).
#pragma once

#include <string>
#include <vector>

#include "federation/connection.h"

namespace gh::federation::testidp {

inline constexpr int64_t kStateLifetimeMs = 10 * 60 * 1000;

// The levels offered when acr_mapping is empty.
const nlohmann::json& default_acr_mapping();
// RFC 8176 methods the form may offer.
const std::vector<std::string>& known_amr_values();

std::string issuer_for(const std::string& public_url, const store::Environment& env,
                       const std::string& connection_id);
// A stable subject for an email (case-insensitive): "test|" + hex(SHA-256(lowercase email))[0..32].
std::string subject_for_email(std::string_view email);

// What the signed state carries.
struct StateClaims {
  std::string organization_id;
  std::string connection_id;
  std::string transaction_id;
  std::string transaction_state;
  int64_t expires_at_ms = 0;
};
std::string sign_state(const ConnectionDeps& deps, const StateClaims& claims);
// login.state_invalid when malformed, not signed by this server, or expired.
Result<StateClaims> verify_state(const ConnectionDeps& deps, std::string_view token);

// What the form shows for a connection.
struct FormChoices {
  std::vector<std::string> acr_levels;
  std::vector<std::string> amr_values;
};
FormChoices form_choices(const store::Connection& c);

class TestIdpConnection final : public Connection {
 public:
  TestIdpConnection(store::Connection row, const ConnectionDeps& deps)
      : row_(std::move(row)), deps_(deps) {}
  Result<StartResult> start(const StartRequest& request, Trace& trace) override;
  Result<TransactionRef> transaction_ref(const store::Environment& environment,
                                         const CallbackParams& params) override;
  Result<VerifiedLogin> finish(const FinishRequest& request, Trace& trace) override;

 private:
  store::Connection row_;
  ConnectionDeps deps_;
};

class TestIdpFactory final : public ConnectionFactory {
 public:
  std::string_view type() const override { return "test"; }
  Result<bool> validate(const store::Environment& environment, store::Connection& c,
                        const ConnectionDeps& deps) const override;
  nlohmann::json public_settings(const store::Connection& c) const override;
  std::unique_ptr<Connection> open(const store::Connection& c,
                                   const ConnectionDeps& deps) const override;
};

}  // namespace gh::federation::testidp
