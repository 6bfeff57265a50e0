// SCIM directories: an organization may have several, each with its base URL
// `{public_url}/scim/v2/{directory_id}` and bearer tokens (typed secrets `gh_scim_...`, HMAC'd
// under the server pepper like API keys, compared in constant time; several active at once for
// rotation; optional expiry; the secret is shown once). Every admin mutation writes its audit
// record and outbox event in its transaction (directory.created, directory.updated,
// directory.deleted, directory.token_created, directory.token_revoked). The per-directory
// request log keeps each SCIM request's method, path, status, scimType and redacted body,
// the body sealed as organization data.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/clock.h"
#include "core/random.h"
#include "store/directories.h"
#include "store/store.h"
#include "tenancy/sealing.h"
#include "tenancy/secrets.h"
#include "tenancy/service.h"

namespace gh::directory {

inline constexpr std::string_view kScimTokenPrefix = "gh_scim_";

struct IssuedToken {
  store::DirectoryToken token;
  std::string secret;  // shown once
};

struct NewDirectory {
  std::string name;
  std::string token_name = "initial";
  int64_t token_expires_at_ms = 0;
};

// What a SCIM request authenticated as.
struct ScimCaller {
  store::Environment env;
  store::Directory directory;
  store::DirectoryToken token;
  int64_t received_at_ms = 0;  // when authentication began (deactivation delays start here)
};

nlohmann::json directory_json(const store::Directory& d, std::string_view public_url);
nlohmann::json token_json(const store::DirectoryToken& t, int64_t now_ms);

class DirectoryService {
 public:
  DirectoryService(store::Store& store, tenancy::TenancyService& tenancy, tenancy::Sealing* sealing,
                   const Clock& clock = SystemClock::instance(),
                   Random& random = SecureRandom::instance());

  Result<std::pair<store::Directory, IssuedToken>> create(const store::Environment& env,
                                                          const std::string& org_id,
                                                          const NewDirectory& in,
                                                          const tenancy::Actor& actor);
  Result<store::Directory> get(const store::Environment& env, const std::string& org_id,
                               std::string_view id);
  Result<std::vector<store::Directory>> list(const store::Environment& env,
                                             const std::string& org_id);
  // active | paused (directory.invalid otherwise).
  Result<store::Directory> set_status(const store::Environment& env, const std::string& org_id,
                                      std::string_view id, std::string_view status,
                                      const tenancy::Actor& actor);
  // The directory, its tokens, resources, memberships and log go; the identity users it
  // provisioned stay (suspended ones stay suspended).
  Result<store::Directory> remove(const store::Environment& env, const std::string& org_id,
                                  std::string_view id, const tenancy::Actor& actor);

  Result<IssuedToken> issue_token(const store::Environment& env, const std::string& org_id,
                                  std::string_view directory_id, const std::string& name,
                                  int64_t expires_at_ms, const tenancy::Actor& actor);
  Result<std::vector<store::DirectoryToken>> tokens(const store::Environment& env,
                                                    const std::string& org_id,
                                                    std::string_view directory_id);
  Result<store::DirectoryToken> revoke_token(const store::Environment& env,
                                             const std::string& org_id,
                                             std::string_view directory_id,
                                             std::string_view token_id,
                                             const tenancy::Actor& actor);

  // `Authorization: Bearer gh_scim_...` for the directory in the URL. Every failure is the same
  // 401 (unknown, revoked, expired, another directory's token); a paused directory is 403.
  // Returns nullopt with `status` set on failure.
  struct AuthOutcome {
    std::optional<ScimCaller> caller;
    int status = 401;
    std::string detail;
  };
  AuthOutcome authenticate(std::string_view directory_id,
                           std::optional<std::string_view> authorization);

  // Request log. The body is redacted by the caller and sealed here.
  void log_request(const ScimCaller& caller, const std::string& method, const std::string& path,
                   int status, const std::string& error_type, const std::string& redacted_body);
  Result<nlohmann::json> request_log(const store::Environment& env, const std::string& org_id,
                                     std::string_view directory_id, int64_t before_seq, int limit);

  // The reconciliation report of one directory (docs/scim.md): counts, users untouched for
  // `untouched_days`, recent failed requests, deactivations with the measured delay until the
  // user's sessions were revoked.
  Result<nlohmann::json> reconciliation(const store::Environment& env, const std::string& org_id,
                                        std::string_view directory_id, int untouched_days,
                                        int limit);

  // The link rule of one of the organization's connections: none | external_id | user_name |
  // email (directory.invalid otherwise; the connection's own not-found for an unknown one).
  // Audited as connection.directory_link_updated.
  Result<std::string> set_link_rule(const store::Environment& env, const std::string& org_id,
                                    std::string_view connection_id, std::string_view rule,
                                    const tenancy::Actor& actor);
  Result<std::string> link_rule(const store::Environment& env, const std::string& org_id,
                                std::string_view connection_id);

  const Clock& clock() const { return clock_; }

 private:
  Result<bool> record(store::Repositories& repos, const store::Environment& env,
                      const store::Directory& d, const tenancy::Actor& actor,
                      const std::string& action, const nlohmann::json& summary);

  store::Store& store_;
  tenancy::TenancyService& tenancy_;
  tenancy::Sealing* sealing_;
  const Clock& clock_;
  Random& random_;
};

// A body as logged: password and any attribute named like a secret replaced by "[redacted]".
nlohmann::json redact(const nlohmann::json& body);

}  // namespace gh::directory
