// The seam between a finished connection login (federation/) and the user it belongs to
// (identity/), and the session that follows (sessions/). Hosted login calls IdentityResolver
// with the verified identity, then SessionStarter with the resolved user.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/result.h"
#include "sessions/session_lookup.h"

namespace gh::identity {

// What a connection proved about the person signing in, after the catalog mapping.
struct LoginIdentity {
  std::string environment_id;
  std::string organization_id;
  std::string connection_id;
  std::string issuer;   // the IdP's entityID / issuer (the test IdP: its own URL)
  std::string subject;  // stable subject at that issuer (never a transient NameID)
  std::string email;
  bool email_verified = false;
  std::string name;
  std::string given_name;
  std::string family_name;
  nlohmann::json attributes = nlohmann::json::object();  // catalog claim name -> value
  // Whether this connection has been allowed to link an existing user by email (set by an
  // admin on the connection); effective only when the organization's policy email_linking is
  // "verified_domains" and the email's domain is verified by the organization.
  bool connection_may_link_by_email = false;
};

struct ResolvedUser {
  std::string user_id;
  bool created = false;  // just-in-time provisioned by this login
  bool linked = false;   // bound to an existing user by email (policy allowed it)
};

class IdentityResolver {
 public:
  virtual ~IdentityResolver() = default;
  // (connection, issuer, subject) -> the bound user; on first login creates the user and the
  // binding when the organization's provisioning_mode is "jit" (identity.provisioning_refused
  // otherwise), links by email only as LoginIdentity says, never otherwise (a same-email user
  // without a binding -> identity.email_in_use). identity.user_inactive for suspended or
  // deprovisioned users. Audited; writes nothing when `dry_run` (test-connection logins).
  virtual Result<ResolvedUser> resolve(const LoginIdentity& identity, bool dry_run) = 0;
};

}  // namespace gh::identity

namespace gh::sessions {

struct NewSession {
  std::string environment_id;
  std::string organization_id;
  std::string user_id;
  std::string connection_id;
  int64_t auth_time_ms = 0;
  std::string acr;
  std::vector<std::string> amr;
};

struct StartedSession {
  AuthenticatedSession session;
  std::string cookie_value;  // shown once: set it as session_cookie_name(env) and forget it
  int64_t cookie_max_age_s = 0;
};

class SessionStarter {
 public:
  virtual ~SessionStarter() = default;
  // Lifetimes from the organization's effective security policy (absolute and idle); enforces
  // the maximum number of concurrent sessions per user when the policy sets one.
  virtual Result<StartedSession> start(const NewSession& s) = 0;
};

}  // namespace gh::sessions
