#include "identity/identity_service.h"

#include <algorithm>
#include <cctype>

#include "identity/error_codes.h"
#include "sessions/session_service.h"
#include "store/directories.h"

namespace gh::identity {

nlohmann::json user_json(const store::User& u) {
  return {{"id", u.id},
          {"organization_id", u.organization_id},
          {"state", u.state},
          {"email", u.email},
          {"email_verified", u.email_verified},
          {"name", u.name},
          {"given_name", u.given_name},
          {"family_name", u.family_name},
          {"attributes", u.attributes},
          {"version", u.version},
          {"created_at", format_rfc3339(u.created_at_ms)},
          {"updated_at", format_rfc3339(u.updated_at_ms)},
          {"last_login_at", u.last_login_at_ms ? nlohmann::json(format_rfc3339(u.last_login_at_ms))
                                               : nlohmann::json(nullptr)}};
}

nlohmann::json binding_json(const store::IdentityBinding& b) {
  return {{"id", b.id},
          {"user_id", b.user_id},
          {"connection_id", b.connection_id},
          {"issuer", b.issuer},
          {"subject", b.subject},
          {"created_at", format_rfc3339(b.created_at_ms)},
          {"last_login_at", b.last_login_at_ms ? nlohmann::json(format_rfc3339(b.last_login_at_ms))
                                               : nlohmann::json(nullptr)}};
}

IdentityService::IdentityService(store::Store& store, tenancy::TenancyService& tenancy,
                                 const Clock& clock)
    : store_(store), tenancy_(tenancy), clock_(clock) {}

Result<UserClaims> IdentityService::claims(std::string_view environment_id,
                                           std::string_view organization_id,
                                           std::string_view user_id) {
  auto user = store_.read<store::User>([&](store::Repositories& repos) {
    return repos.users().get(environment_id, organization_id, user_id);
  });
  if (!user) return fail(user.error());
  UserClaims c;
  c.user_id = user->id;
  c.environment_id = user->environment_id;
  c.organization_id = user->organization_id;
  c.state = user->state;
  c.email = user->email;
  c.email_verified = user->email_verified;
  c.name = user->name;
  c.given_name = user->given_name;
  c.family_name = user->family_name;
  c.attributes = user->attributes;
  return c;
}

namespace {

std::string email_domain(const std::string& email) {
  const auto at = email.rfind('@');
  return at == std::string::npos ? std::string() : email.substr(at + 1);
}

Error inactive(const store::User& u) {
  return Error(errc::IdentityUserInactive,
               "This user is " + u.state + " in this organization and cannot sign in");
}

std::string ascii_lower(std::string s) {
  for (auto& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

// The connection's directory link rule (docs/scim.md "Linking SSO logins to directory users"):
// the identity user of the one SCIM User of the organization's directories matching the login.
// external_id: the SCIM externalId equals the login's subject (case-exact); user_name: the
// userName equals the subject or the email (case-insensitive); email: one of the User's
// emails equals the login's email and its domain is verified by this organization (never a
// guest domain). Several users matching is identity.link_ambiguous: nobody is guessed.
Result<std::optional<std::string>> directory_user_for(store::Repositories& repos,
                                                      const LoginIdentity& id,
                                                      const std::string& rule,
                                                      const std::string& email,
                                                      const tenancy::SecurityPolicy& policy) {
  std::vector<std::pair<store::ScimIndex, std::string>> keys;
  if (rule == "external_id") {
    keys.emplace_back(store::ScimIndex::external_id, id.subject);
  } else if (rule == "user_name") {
    keys.emplace_back(store::ScimIndex::user_name, ascii_lower(id.subject));
    if (!email.empty()) keys.emplace_back(store::ScimIndex::user_name, email);
  } else if (rule == "email" && !email.empty()) {
    const std::string domain = email_domain(email);
    const bool guest = std::find(policy.guest_domains.begin(), policy.guest_domains.end(),
                                 domain) != policy.guest_domains.end();
    if (!domain.empty() && !guest) {
      auto claim = repos.domains().find_verified(id.environment_id, domain);
      if (!claim) return fail(claim.error());
      if (*claim && (*claim)->organization_id == id.organization_id) {
        keys.emplace_back(store::ScimIndex::email, email);
      }
    }
  }
  if (keys.empty()) return std::optional<std::string>{};
  auto dirs = repos.directories().list(id.environment_id, id.organization_id);
  if (!dirs) return fail(dirs.error());
  std::vector<std::string> users;
  for (const auto& d : *dirs) {
    for (const auto& [index, value] : keys) {
      auto found = repos.directories().find_resources(id.environment_id, id.organization_id, d.id,
                                                      "User", index, value);
      if (!found) return fail(found.error());
      for (const auto& r : *found) {
        if (std::find(users.begin(), users.end(), r.user_id) == users.end()) {
          users.push_back(r.user_id);
        }
      }
    }
  }
  if (users.empty()) return std::optional<std::string>{};
  if (users.size() > 1) {
    Error e(errc::IdentityLinkAmbiguous,
            "This login matches " + std::to_string(users.size()) +
                " users provisioned by this organization's directories under the connection's "
                "link rule '" +
                rule + "'; make the directory's values unique or choose another rule");
    e.extra["rule"] = rule;
    e.extra["matches"] = users.size();
    return fail(e);
  }
  return std::optional<std::string>{users.front()};
}

// Who changes a user at sign-in: the connection the login came through.
tenancy::Actor login_actor(const LoginIdentity& id) {
  return {"connection", id.connection_id, "", ""};
}

}  // namespace

Result<ResolvedUser> IdentityService::resolve(const LoginIdentity& identity, bool dry_run) {
  if (identity.environment_id.empty() || identity.organization_id.empty() ||
      identity.connection_id.empty() || identity.issuer.empty() || identity.subject.empty()) {
    return fail(errc::IdentityInvalidLogin,
                "The login must name its environment, organization, connection, issuer and "
                "subject");
  }
  std::function<Result<ResolvedUser>(store::Repositories&)> fn = [&](store::Repositories& repos) {
    return resolve_in(repos, identity, dry_run);
  };
  // A dry run reads in a read-only transaction: it cannot write even by mistake.
  return dry_run ? store_.read<ResolvedUser>(fn) : store_.transact<ResolvedUser>(fn);
}

Result<ResolvedUser> IdentityService::resolve_in(store::Repositories& repos,
                                                 const LoginIdentity& id, bool dry_run) {
  const int64_t now = clock_.now_ms();
  auto org = repos.organizations().get(id.environment_id, id.organization_id);
  if (!org) return fail(org.error());
  auto env = sessions::environment_by_id(repos, id.environment_id);
  if (!env) return fail(env.error());
  const tenancy::Actor actor = login_actor(id);
  const std::string email = store::normalize_email(id.email);

  // 1. A bound subject.
  auto binding = repos.users().find_binding(id.environment_id, id.organization_id, id.connection_id,
                                            id.issuer, id.subject);
  if (!binding) return fail(binding.error());
  if (*binding) {
    auto user = repos.users().get(id.environment_id, id.organization_id, (*binding)->user_id);
    if (!user) return fail(user.error());
    if (user->state != "active") return fail(inactive(*user));
    // directory_only: a user no directory provisioned (a just-in-time user from before the
    // switch, or one a directory deleted) is refused even with a binding.
    auto bound_policy = sessions::effective_policy_in(repos, id.environment_id, id.organization_id);
    if (!bound_policy) return fail(bound_policy.error());
    if (bound_policy->provisioning_mode == "directory_only") {
      auto provisioned =
          repos.directories().resources_of_user(id.environment_id, id.organization_id, user->id);
      if (!provisioned) return fail(provisioned.error());
      if (provisioned->empty()) {
        return fail(errc::IdentityProvisioningRefused,
                    "This organization provisions users through its directory only, and none "
                    "of its directories provisions this user");
      }
    }
    ResolvedUser out{user->id, false, false};
    if (dry_run) return out;
    // The IdP is the source of the profile; an email another user holds is not taken over.
    store::User next = *user;
    next.name = id.name;
    next.given_name = id.given_name;
    next.family_name = id.family_name;
    next.attributes = id.attributes.is_object() ? id.attributes : nlohmann::json::object();
    if (!email.empty() && email != user->email) {
      auto holder = repos.users().find_by_email(id.environment_id, id.organization_id, email);
      if (!holder) return fail(holder.error());
      if (!*holder) next.email = email;
    }
    if (next.email == email) next.email_verified = id.email_verified;
    nlohmann::json changed = nlohmann::json::array();
    if (next.email != user->email) changed.push_back("email");
    if (next.email_verified != user->email_verified) changed.push_back("email_verified");
    if (next.name != user->name) changed.push_back("name");
    if (next.given_name != user->given_name) changed.push_back("given_name");
    if (next.family_name != user->family_name) changed.push_back("family_name");
    if (next.attributes != user->attributes) changed.push_back("attributes");
    if (!changed.empty()) {
      auto updated = repos.users().update(next, user->version);
      if (!updated) return fail(updated.error());
    }
    if (auto r = repos.users().record_login(id.environment_id, id.organization_id, user->id,
                                            (*binding)->id, now);
        !r) {
      return fail(r.error());
    }
    if (auto r =
            tenancy_.record(repos, *env, id.organization_id, actor, "user.login", "user", user->id,
                            {{"connection_id", id.connection_id},
                             {"binding_id", (*binding)->id},
                             {"profile_changed", changed}},
                            {{"user_id", user->id},
                             {"organization_id", id.organization_id},
                             {"connection_id", id.connection_id}});
        !r) {
      return fail(r.error());
    }
    return out;
  }

  auto policy = sessions::effective_policy_in(repos, id.environment_id, id.organization_id);
  if (!policy) return fail(policy.error());

  // Binds this login to an existing user (linking), with its audit record and event.
  auto link_to = [&](const store::User& user, const nlohmann::json& how) -> Result<ResolvedUser> {
    if (user.state != "active") return fail(inactive(user));
    ResolvedUser out{user.id, false, true};
    if (dry_run) return out;
    store::IdentityBinding b;
    b.environment_id = id.environment_id;
    b.organization_id = id.organization_id;
    b.user_id = user.id;
    b.connection_id = id.connection_id;
    b.issuer = id.issuer;
    b.subject = id.subject;
    b.last_login_at_ms = now;
    auto bound = repos.users().bind(b);
    if (!bound) return fail(bound.error());
    if (auto r = repos.users().record_login(id.environment_id, id.organization_id, user.id,
                                            bound->id, now);
        !r) {
      return fail(r.error());
    }
    const auto j = binding_json(*bound);
    nlohmann::json summary = how;
    summary["binding"] = j;
    if (auto r = tenancy_.record(
            repos, *env, id.organization_id, actor, "user.linked", "user", user.id, summary,
            {{"user_id", user.id}, {"organization_id", id.organization_id}, {"binding", j}});
        !r) {
      return fail(r.error());
    }
    return out;
  };

  // 1b. The connection's directory link rule: a user a directory provisioned.
  auto rule =
      repos.directories().link_rule(id.environment_id, id.organization_id, id.connection_id);
  if (!rule) return fail(rule.error());
  if (!rule->empty()) {
    auto match = directory_user_for(repos, id, *rule, email, *policy);
    if (!match) return fail(match.error());
    if (*match) {
      auto user = repos.users().get(id.environment_id, id.organization_id, **match);
      if (!user) return fail(user.error());
      return link_to(*user, {{"by", "directory"}, {"rule", *rule}});
    }
  }

  // 2. An existing user with the email: linked only as the policy and the connection allow.
  if (!email.empty()) {
    auto existing = repos.users().find_by_email(id.environment_id, id.organization_id, email);
    if (!existing) return fail(existing.error());
    if (*existing) {
      const std::string domain = email_domain(email);
      bool domain_verified = false;
      const bool guest = std::find(policy->guest_domains.begin(), policy->guest_domains.end(),
                                   domain) != policy->guest_domains.end();
      if (!domain.empty() && !guest) {
        auto claim = repos.domains().find_verified(id.environment_id, domain);
        if (!claim) return fail(claim.error());
        domain_verified = *claim && (*claim)->organization_id == id.organization_id;
      }
      const bool may_link = policy->email_linking == "verified_domains" && domain_verified &&
                            id.connection_may_link_by_email;
      if (!may_link) {
        Error e(errc::IdentityEmailInUse,
                "A user of this organization already has the email '" + email +
                    "' and this login is not bound to them; an admin can bind it explicitly, "
                    "or allow this connection to link by email for a verified domain");
        e.extra["reason"] = policy->email_linking != "verified_domains" ? "policy_never"
                            : !domain_verified                          ? "domain_not_verified"
                                                                        : "connection_not_allowed";
        return fail(e);
      }
      const store::User& user = **existing;
      if (user.state != "active") return fail(inactive(user));
      ResolvedUser out{user.id, false, true};
      if (dry_run) return out;
      store::IdentityBinding b;
      b.environment_id = id.environment_id;
      b.organization_id = id.organization_id;
      b.user_id = user.id;
      b.connection_id = id.connection_id;
      b.issuer = id.issuer;
      b.subject = id.subject;
      b.last_login_at_ms = now;
      auto bound = repos.users().bind(b);
      if (!bound) return fail(bound.error());
      if (auto r = repos.users().record_login(id.environment_id, id.organization_id, user.id,
                                              bound->id, now);
          !r) {
        return fail(r.error());
      }
      const auto j = binding_json(*bound);
      if (auto r = tenancy_.record(
              repos, *env, id.organization_id, actor, "user.linked", "user", user.id,
              {{"binding", j}, {"by", "email"}, {"domain", domain}},
              {{"user_id", user.id}, {"organization_id", id.organization_id}, {"binding", j}});
          !r) {
        return fail(r.error());
      }
      return out;
    }
  }

  // 3. Nobody: just-in-time provisioning, when the organization allows it.
  if (policy->provisioning_mode != "jit") {
    return fail(errc::IdentityProvisioningRefused,
                "This organization provisions users through its directory only; nobody in it "
                "is bound to this login");
  }
  if (dry_run) return ResolvedUser{"", true, false};
  store::User u;
  u.environment_id = id.environment_id;
  u.organization_id = id.organization_id;
  u.email = email;
  u.email_verified = id.email_verified;
  u.name = id.name;
  u.given_name = id.given_name;
  u.family_name = id.family_name;
  u.attributes = id.attributes.is_object() ? id.attributes : nlohmann::json::object();
  u.last_login_at_ms = now;
  auto created = repos.users().create(u);
  if (!created) return fail(created.error());
  store::IdentityBinding b;
  b.environment_id = id.environment_id;
  b.organization_id = id.organization_id;
  b.user_id = created->id;
  b.connection_id = id.connection_id;
  b.issuer = id.issuer;
  b.subject = id.subject;
  b.last_login_at_ms = now;
  auto bound = repos.users().bind(b);
  if (!bound) return fail(bound.error());
  const auto bj = binding_json(*bound);
  if (auto r =
          tenancy_.record(repos, *env, id.organization_id, actor, "user.created", "user",
                          created->id, {{"email", created->email}, {"binding", bj}, {"by", "jit"}},
                          {{"user", user_json(*created)}, {"binding", bj}});
      !r) {
    return fail(r.error());
  }
  return ResolvedUser{created->id, true, false};
}

Result<store::PageOf<store::User>> IdentityService::list_users(const store::Environment& env,
                                                               std::string_view organization_id,
                                                               const store::Page& page) {
  return store_.read<store::PageOf<store::User>>(
      [&](store::Repositories& repos) -> Result<store::PageOf<store::User>> {
        auto org = repos.organizations().get(env.id, organization_id);
        if (!org) return fail(org.error());
        return repos.users().list(env.id, organization_id, page);
      });
}

Result<store::User> IdentityService::get_user(const store::Environment& env,
                                              std::string_view organization_id,
                                              std::string_view user_id) {
  return store_.read<store::User>([&](store::Repositories& repos) {
    return repos.users().get(env.id, organization_id, user_id);
  });
}

Result<std::vector<store::IdentityBinding>> IdentityService::bindings(
    const store::Environment& env, std::string_view organization_id, std::string_view user_id) {
  return store_.read<std::vector<store::IdentityBinding>>(
      [&](store::Repositories& repos) -> Result<std::vector<store::IdentityBinding>> {
        auto user = repos.users().get(env.id, organization_id, user_id);
        if (!user) return fail(user.error());
        return repos.users().list_bindings(env.id, organization_id, user_id);
      });
}

namespace {
Result<bool> check_binding_field(const std::string& value, const char* field, size_t max) {
  if (value.empty() || value.size() > max) {
    Error e(errc::RequestInvalidField,
            std::string("'") + field + "' must be 1 to " + std::to_string(max) + " characters");
    e.extra["field"] = field;
    return fail(e);
  }
  return true;
}
}  // namespace

Result<store::IdentityBinding> IdentityService::add_binding(const store::Environment& env,
                                                            std::string_view organization_id,
                                                            std::string_view user_id,
                                                            const NewBinding& in,
                                                            const tenancy::Actor& actor) {
  if (auto ok = check_binding_field(in.connection_id, "connection_id", 64); !ok) {
    return fail(ok.error());
  }
  if (auto ok = check_binding_field(in.issuer, "issuer", 1024); !ok) return fail(ok.error());
  if (auto ok = check_binding_field(in.subject, "subject", 1024); !ok) return fail(ok.error());
  return store_.transact<store::IdentityBinding>(
      [&](store::Repositories& repos) -> Result<store::IdentityBinding> {
        store::IdentityBinding b;
        b.environment_id = env.id;
        b.organization_id = std::string(organization_id);
        b.user_id = std::string(user_id);
        b.connection_id = in.connection_id;
        b.issuer = in.issuer;
        b.subject = in.subject;
        auto bound = repos.users().bind(b);
        if (!bound) return bound;
        const auto j = binding_json(*bound);
        if (auto r = tenancy_.record(repos, env, bound->organization_id, actor,
                                     "user.binding_added", "user", bound->user_id, {{"binding", j}},
                                     {{"user_id", bound->user_id},
                                      {"organization_id", bound->organization_id},
                                      {"binding", j}});
            !r) {
          return fail(r.error());
        }
        return bound;
      });
}

Result<store::IdentityBinding> IdentityService::remove_binding(const store::Environment& env,
                                                               std::string_view organization_id,
                                                               std::string_view user_id,
                                                               std::string_view binding_id,
                                                               const tenancy::Actor& actor) {
  return store_.transact<store::IdentityBinding>(
      [&](store::Repositories& repos) -> Result<store::IdentityBinding> {
        auto user = repos.users().get(env.id, organization_id, user_id);
        if (!user) return fail(user.error());
        auto removed = repos.users().remove_binding(env.id, organization_id, user_id, binding_id);
        if (!removed) return removed;
        const auto j = binding_json(*removed);
        if (auto r =
                tenancy_.record(repos, env, removed->organization_id, actor, "user.binding_removed",
                                "user", removed->user_id, {{"binding", j}},
                                {{"user_id", removed->user_id},
                                 {"organization_id", removed->organization_id},
                                 {"binding", j}});
            !r) {
          return fail(r.error());
        }
        return removed;
      });
}

Result<store::User> IdentityService::set_state(const store::Environment& env,
                                               std::string_view organization_id,
                                               std::string_view user_id, std::string_view state,
                                               int64_t expected_version,
                                               const tenancy::Actor& actor) {
  if (state != "active" && state != "suspended") {
    Error e(errc::IdentityInvalidState,
            "'state' must be active or suspended (deprovisioning is the directory's)");
    e.extra["field"] = "state";
    return fail(e);
  }
  const int64_t now = clock_.now_ms();
  return store_.transact<store::User>([&](store::Repositories& repos) -> Result<store::User> {
    auto current = repos.users().get(env.id, organization_id, user_id);
    if (!current) return current;
    if (expected_version > 0 && current->version != expected_version) {
      return fail(errc::RequestPreconditionFailed,
                  "The user changed since you read it (now at version " +
                      std::to_string(current->version) + "); read it again and retry");
    }
    if (current->state == state) return current;
    auto updated = repos.users().set_state(env.id, organization_id, user_id, state);
    if (!updated) return updated;
    nlohmann::json revoked_sids = nlohmann::json::array();
    if (state == "suspended") {
      auto revoked = sessions::revoke_user_sessions(repos, env, organization_id, user_id,
                                                    sessions::reason::kUserSuspended, now);
      if (!revoked) return fail(revoked.error());
      for (const auto& s : *revoked) revoked_sids.push_back(s.sid);
    }
    const std::string action = state == "suspended" ? "user.suspended" : "user.activated";
    if (auto r = tenancy_.record(
            repos, env, updated->organization_id, actor, action, "user", updated->id,
            {{"state", {{"from", current->state}, {"to", updated->state}}},
             {"sessions_revoked", revoked_sids}},
            {{"user", user_json(*updated)}, {"sessions_revoked", revoked_sids}});
        !r) {
      return fail(r.error());
    }
    repos.changed("user", updated->id);
    return updated;
  });
}

Result<int> IdentityService::suspend_unseen_jit_users(int budget) {
  if (budget <= 0) return 0;
  const int64_t now = clock_.now_ms();
  struct Due {
    store::Environment env;
    std::string organization_id;
    std::string user_id;
  };
  std::vector<Due> due;
  auto envs = store_.read<std::vector<store::Environment>>(
      [&](store::Repositories& repos) { return repos.environments().list(); });
  if (!envs) return fail(envs.error());
  for (const auto& env : *envs) {
    std::string org_after;
    do {
      auto orgs = store_.read<store::PageOf<store::Organization>>([&](store::Repositories& repos) {
        return repos.organizations().list(env.id, {org_after, 100});
      });
      if (!orgs) return fail(orgs.error());
      org_after = orgs->next;
      for (const auto& org : orgs->items) {
        auto policy = store_.read<tenancy::SecurityPolicy>([&](store::Repositories& repos) {
          return sessions::effective_policy_in(repos, env.id, org.id);
        });
        if (!policy) return fail(policy.error());
        const int64_t days = policy->suspend_unseen_jit_users_after_days;
        if (days <= 0) continue;
        const int64_t cutoff = now - days * 86'400'000LL;
        std::string user_after;
        do {
          // One read per page: the users, and for the unseen active ones whether they are
          // just-in-time users (a binding, no directory resource).
          auto page = store_.read<std::vector<std::string>>(
              [&](store::Repositories& repos) -> Result<std::vector<std::string>> {
                auto users = repos.users().list(env.id, org.id, {user_after, 200});
                if (!users) return fail(users.error());
                user_after = users->next;
                std::vector<std::string> out;
                for (const auto& u : users->items) {
                  const int64_t seen = u.last_login_at_ms ? u.last_login_at_ms : u.created_at_ms;
                  if (u.state != "active" || seen >= cutoff) continue;
                  auto bindings = repos.users().list_bindings(env.id, org.id, u.id);
                  if (!bindings) return fail(bindings.error());
                  if (bindings->empty()) continue;
                  auto provisioned = repos.directories().resources_of_user(env.id, org.id, u.id);
                  if (!provisioned) return fail(provisioned.error());
                  if (!provisioned->empty()) continue;
                  out.push_back(u.id);
                }
                return out;
              });
          if (!page) return fail(page.error());
          for (const auto& id : *page) {
            due.push_back({env, org.id, id});
            if (static_cast<int>(due.size()) >= budget) break;
          }
        } while (!user_after.empty() && static_cast<int>(due.size()) < budget);
        if (static_cast<int>(due.size()) >= budget) break;
      }
    } while (!org_after.empty() && static_cast<int>(due.size()) < budget);
    if (static_cast<int>(due.size()) >= budget) break;
  }
  int suspended = 0;
  const tenancy::Actor actor{"system", "jit-inactivity", "", ""};
  for (const auto& d : due) {
    auto s = set_state(d.env, d.organization_id, d.user_id, "suspended", 0, actor);
    if (!s) return fail(s.error());
    ++suspended;
  }
  return suspended;
}

}  // namespace gh::identity
