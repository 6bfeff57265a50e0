// A provider over a fresh SQLite store with a fake clock, a signer over generated keys, and a
// fake user directory: every grant and endpoint runs without sockets.
#pragma once

#include <gtest/gtest.h>

#include <map>
#include <memory>
#include <set>
#include <string>

#include "oauth/application_service.h"
#include "oauth/provider.h"
#include "test_store.h"

namespace gh::oauth::testing {

// Keys generated once per process (RSA generation is slow under ASan).
class TestSigner final : public TokenSigner {
 public:
  TestSigner();
  Result<std::string> issuer_of(const store::Environment& env,
                                std::string_view organization_id) override;
  std::string issuer_url(const store::Environment& env,
                         std::string_view issuer_organization) const override;
  Result<std::string> sign(const store::Environment& env, std::string_view issuer_organization,
                           const nlohmann::json& claims, std::string_view typ,
                           std::optional<jose::Alg> alg) override;
  Result<std::shared_ptr<const jose::KeySet>> keys(const store::Environment& env,
                                                   std::string_view issuer_organization) override;
  std::set<std::string> own_issuers;  // organization ids with their own issuer

 private:
  std::shared_ptr<const jose::KeySet> env_keys_, org_keys_;
};

class FakeUsers final : public identity::UserDirectory {
 public:
  Result<identity::UserClaims> claims(std::string_view environment_id,
                                      std::string_view organization_id,
                                      std::string_view user_id) override;
  std::map<std::string, identity::UserClaims> users;  // by user id
};

class OAuthTest : public ::testing::Test {
 protected:
  OAuthTest();

  struct Client {
    store::Application app;
    std::string secret;
  };
  // A confidential client of the environment (or an organization's machine client).
  Client make_client(const nlohmann::json& body, const std::string& org = "",
                     const store::Environment* env = nullptr);
  store::Resource make_resource(const std::string& identifier,
                                const std::vector<std::string>& permissions);
  void grant(const Client& c, const store::Resource& r, const std::vector<std::string>& perms);

  http::Request form_request(const std::string& body, const std::string& basic_id = "",
                             const std::string& basic_secret = "");
  // POST /token with client_secret_basic (or the given request).
  http::Response token(const Client& c, const std::string& body);
  http::Response call_token(const http::Request& req, const store::Environment* env = nullptr);
  static nlohmann::json body(const http::Response& res);
  static std::string header(const http::Response& res, const std::string& name);
  nlohmann::json claims_of(const std::string& jwt);  // verified against the signer's keys

  // A code as the authorization endpoint's resume step writes it; returns the code.
  std::string put_code(const Client& c, const std::string& user_id, nlohmann::json params,
                       const std::string& org = "", const std::string& redirect_uri = "");

  FakeClock clock_;
  gh::testing::TestStore store_;
  tenancy::TenancyService tenancy_;
  TestSigner signer_;
  ApplicationGrantPermissions permissions_;
  FakeUsers users_;
  SeededRandom random_{42};
  std::unique_ptr<Provider> provider_;
  std::unique_ptr<ApplicationService> apps_;
  store::Environment env_, other_env_;
  store::Organization acme_, globex_;
  const tenancy::Actor actor_{"system", "test", "", ""};
};

// RFC 7636 Appendix B.
inline constexpr const char* kVerifier = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
inline constexpr const char* kChallenge = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM";
inline constexpr const char* kRedirect = "https://app.example/cb";

}  // namespace gh::oauth::testing
