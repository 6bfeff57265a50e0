#include "store/sql/user_repo.h"

#include <algorithm>

#include "core/ids.h"
#include "identity/error_codes.h"

namespace gh::store {

std::string normalize_email(std::string_view email) {
  while (!email.empty() && (email.front() == ' ' || email.front() == '\t')) email.remove_prefix(1);
  while (!email.empty() && (email.back() == ' ' || email.back() == '\t')) email.remove_suffix(1);
  std::string out(email);
  for (char& c : out) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return out;
}

bool is_user_state(std::string_view state) {
  return state == "active" || state == "suspended" || state == "deprovisioned";
}

namespace {

constexpr const char* kUserColumns =
    "id, environment_id, organization_id, state, email, email_verified, name, given_name, "
    "family_name, attributes, version, created_at, updated_at, last_login_at";

struct UserRow {
  std::string id, environment_id, organization_id, state, email, name, given_name, family_name,
      attributes;
  long long email_verified = 0, version = 0, created_at = 0, updated_at = 0, last_login_at = 0;
  User to_user() const {
    User u;
    u.id = id;
    u.environment_id = environment_id;
    u.organization_id = organization_id;
    u.state = state;
    u.email = email;
    u.email_verified = email_verified != 0;
    u.name = name;
    u.given_name = given_name;
    u.family_name = family_name;
    u.attributes = nlohmann::json::parse(attributes, nullptr, false);
    if (!u.attributes.is_object()) u.attributes = nlohmann::json::object();
    u.version = version;
    u.created_at_ms = created_at;
    u.updated_at_ms = updated_at;
    u.last_login_at_ms = last_login_at;
    return u;
  }
};

// Every column of kUserColumns, in order.
#define GH_USER_INTO(r)                                                                           \
  soci::into(r.id), soci::into(r.environment_id), soci::into(r.organization_id),                  \
      soci::into(r.state), soci::into(r.email), soci::into(r.email_verified), soci::into(r.name), \
      soci::into(r.given_name), soci::into(r.family_name), soci::into(r.attributes),              \
      soci::into(r.version), soci::into(r.created_at), soci::into(r.updated_at),                  \
      soci::into(r.last_login_at)

constexpr const char* kBindingColumns =
    "id, environment_id, organization_id, user_id, connection_id, issuer, subject, created_at, "
    "last_login_at";

struct BindingRow {
  std::string id, environment_id, organization_id, user_id, connection_id, issuer, subject;
  long long created_at = 0, last_login_at = 0;
  IdentityBinding to_binding() const {
    return {id,     environment_id, organization_id, user_id,      connection_id,
            issuer, subject,        created_at,      last_login_at};
  }
};

#define GH_BINDING_INTO(r)                                                       \
  soci::into(r.id), soci::into(r.environment_id), soci::into(r.organization_id), \
      soci::into(r.user_id), soci::into(r.connection_id), soci::into(r.issuer),  \
      soci::into(r.subject), soci::into(r.created_at), soci::into(r.last_login_at)

Error user_not_found(std::string_view id) {
  return Error(errc::IdentityUserNotFound,
               "No user '" + std::string(id) + "' in this organization");
}

Error email_in_use(std::string_view email) {
  return Error(
      errc::IdentityEmailInUse,
      "Another user of this organization has the email address '" + std::string(email) + "'");
}

}  // namespace

Result<User> SqlUserRepository::create(const User& in) {
  if (!is_user_state(in.state)) return fail(errc::IdentityInvalidState);
  User u = in;
  u.email = normalize_email(u.email);
  if (u.id.empty()) u.id = new_uuid_v7(ctx_.clock);
  u.version = 1;
  u.created_at_ms = u.updated_at_ms = ctx_.clock.now_ms();
  const std::string attributes = u.attributes.dump();
  long long verified = u.email_verified ? 1 : 0, version = 1, created = u.created_at_ms,
            last_login = u.last_login_at_ms;
  int inserted = 0;
  // No conflict target: the email index is partial, and either conflict (id or email) means
  // nothing was written; which one is told apart below.
  ctx_.sql << "INSERT INTO users (" << kUserColumns
           << ") VALUES (:id, :env, :org, :state, :email, :ev, :name, :gn, :fn, :attrs, :v, :c, "
              ":u, :ll) ON CONFLICT DO NOTHING RETURNING 1",
      soci::use(u.id), soci::use(u.environment_id), soci::use(u.organization_id),
      soci::use(u.state), soci::use(u.email), soci::use(verified), soci::use(u.name),
      soci::use(u.given_name), soci::use(u.family_name), soci::use(attributes), soci::use(version),
      soci::use(created), soci::use(created), soci::use(last_login), soci::into(inserted);
  if (!ctx_.sql.got_data()) {
    if (!u.email.empty()) return fail(email_in_use(u.email));
    return fail(errc::ServerInternal, "", "user id collision");
  }
  return u;
}

Result<User> SqlUserRepository::get(std::string_view environment_id,
                                    std::string_view organization_id, std::string_view user_id) {
  UserRow r;
  std::string env(environment_id), org(organization_id), id(user_id);
  soci::statement st = (ctx_.sql.prepare << "SELECT " << kUserColumns
                                         << " FROM users WHERE organization_id = :org AND id = "
                                            ":id AND environment_id = :env",
                        soci::use(org), soci::use(id), soci::use(env), GH_USER_INTO(r));
  st.execute(true);
  if (!st.got_data()) return fail(user_not_found(user_id));
  return r.to_user();
}

Result<std::optional<User>> SqlUserRepository::find_by_email(std::string_view environment_id,
                                                             std::string_view organization_id,
                                                             std::string_view email) {
  const std::string e = normalize_email(email);
  if (e.empty()) return std::optional<User>();
  UserRow r;
  std::string env(environment_id), org(organization_id);
  soci::statement st = (ctx_.sql.prepare << "SELECT " << kUserColumns
                                         << " FROM users WHERE organization_id = :org AND email "
                                            "= :email AND environment_id = :env",
                        soci::use(org), soci::use(e), soci::use(env), GH_USER_INTO(r));
  st.execute(true);
  if (!st.got_data()) return std::optional<User>();
  return std::optional<User>(r.to_user());
}

Result<PageOf<User>> SqlUserRepository::list(std::string_view environment_id,
                                             std::string_view organization_id, const Page& page) {
  PageOf<User> out;
  UserRow r;
  std::string env(environment_id), org(organization_id), after(page.after);
  const int limit = std::clamp(page.limit, 1, 100);
  const int fetch = limit + 1;
  soci::statement st =
      (ctx_.sql.prepare << "SELECT " << kUserColumns
                        << " FROM users WHERE organization_id = :org AND "
                           "environment_id = :env AND id > :after ORDER BY id "
                           "LIMIT :lim",
       soci::use(org), soci::use(env), soci::use(after), soci::use(fetch), GH_USER_INTO(r));
  st.execute();
  while (st.fetch()) out.items.push_back(r.to_user());
  if (static_cast<int>(out.items.size()) > limit) {
    out.items.pop_back();
    out.next = out.items.back().id;
  }
  return out;
}

Result<User> SqlUserRepository::update(const User& user, int64_t expected_version) {
  auto current = get(user.environment_id, user.organization_id, user.id);
  if (!current) return current;
  if (current->version != expected_version) {
    return fail(errc::RequestPreconditionFailed,
                "The user changed since you read it (now at version " +
                    std::to_string(current->version) + "); read it again and retry");
  }
  const std::string email = normalize_email(user.email);
  if (!email.empty() && email != current->email) {
    auto holder = find_by_email(user.environment_id, user.organization_id, email);
    if (!holder) return fail(holder.error());
    if (*holder && (*holder)->id != user.id) return fail(email_in_use(email));
  }
  const std::string attributes = user.attributes.dump();
  long long verified = user.email_verified ? 1 : 0, now = ctx_.clock.now_ms(),
            expected = expected_version, new_version = 0;
  ctx_.sql << "UPDATE users SET email = :email, email_verified = :ev, name = :name, given_name = "
              ":gn, family_name = :fn, attributes = :attrs, version = version + 1, updated_at = "
              ":now WHERE organization_id = :org AND id = :id AND version = :v RETURNING version",
      soci::use(email), soci::use(verified), soci::use(user.name), soci::use(user.given_name),
      soci::use(user.family_name), soci::use(attributes), soci::use(now),
      soci::use(current->organization_id), soci::use(current->id), soci::use(expected),
      soci::into(new_version);
  if (!ctx_.sql.got_data()) {
    return fail(errc::RequestPreconditionFailed,
                "The user changed since you read it; read it again and retry");
  }
  return get(user.environment_id, user.organization_id, user.id);
}

Result<User> SqlUserRepository::set_state(std::string_view environment_id,
                                          std::string_view organization_id,
                                          std::string_view user_id, std::string_view state) {
  if (!is_user_state(state)) {
    return fail(errc::IdentityInvalidState, "'" + std::string(state) +
                                                "' is not a user state: active, suspended or "
                                                "deprovisioned");
  }
  auto current = get(environment_id, organization_id, user_id);
  if (!current) return current;
  if (current->state == state) return current;
  std::string s(state);
  long long now = ctx_.clock.now_ms();
  ctx_.sql << "UPDATE users SET state = :state, version = version + 1, updated_at = :now WHERE "
              "organization_id = :org AND id = :id",
      soci::use(s), soci::use(now), soci::use(current->organization_id), soci::use(current->id);
  return get(environment_id, organization_id, user_id);
}

Result<bool> SqlUserRepository::record_login(std::string_view environment_id,
                                             std::string_view organization_id,
                                             std::string_view user_id, std::string_view binding_id,
                                             int64_t now_ms) {
  std::string env(environment_id), org(organization_id), id(user_id), bid(binding_id);
  long long now = now_ms;
  int hit = 0;
  ctx_.sql << "UPDATE users SET last_login_at = :now WHERE organization_id = :org AND id = :id "
              "AND environment_id = :env RETURNING 1",
      soci::use(now), soci::use(org), soci::use(id), soci::use(env), soci::into(hit);
  if (!ctx_.sql.got_data()) return fail(user_not_found(user_id));
  if (!bid.empty()) {
    ctx_.sql << "UPDATE identity_bindings SET last_login_at = :now WHERE organization_id = :org "
                "AND id = :bid AND user_id = :uid AND environment_id = :env",
        soci::use(now), soci::use(org), soci::use(bid), soci::use(id), soci::use(env);
  }
  return true;
}

Result<IdentityBinding> SqlUserRepository::bind(const IdentityBinding& in) {
  auto user = get(in.environment_id, in.organization_id, in.user_id);
  if (!user) return fail(user.error());
  IdentityBinding b = in;
  if (b.id.empty()) b.id = new_uuid_v7(ctx_.clock);
  b.created_at_ms = ctx_.clock.now_ms();
  long long created = b.created_at_ms, last_login = b.last_login_at_ms;
  int inserted = 0;
  ctx_.sql << "INSERT INTO identity_bindings (" << kBindingColumns
           << ") VALUES (:id, :env, :org, :uid, :conn, :iss, :sub, :c, :ll) ON CONFLICT DO "
              "NOTHING RETURNING 1",
      soci::use(b.id), soci::use(b.environment_id), soci::use(b.organization_id),
      soci::use(b.user_id), soci::use(b.connection_id), soci::use(b.issuer), soci::use(b.subject),
      soci::use(created), soci::use(last_login), soci::into(inserted);
  if (!ctx_.sql.got_data()) {
    return fail(errc::IdentityBindingExists,
                "The subject '" + b.subject + "' of issuer '" + b.issuer +
                    "' on this connection is already bound to a user of this organization");
  }
  return b;
}

Result<std::optional<IdentityBinding>> SqlUserRepository::find_binding(
    std::string_view environment_id, std::string_view organization_id,
    std::string_view connection_id, std::string_view issuer, std::string_view subject) {
  BindingRow r;
  std::string env(environment_id), org(organization_id), conn(connection_id), iss(issuer),
      sub(subject);
  soci::statement st = (ctx_.sql.prepare << "SELECT " << kBindingColumns
                                         << " FROM identity_bindings WHERE organization_id = "
                                            ":org AND connection_id = :conn AND issuer = :iss AND "
                                            "subject = :sub AND environment_id = :env",
                        soci::use(org), soci::use(conn), soci::use(iss), soci::use(sub),
                        soci::use(env), GH_BINDING_INTO(r));
  st.execute(true);
  if (!st.got_data()) return std::optional<IdentityBinding>();
  return std::optional<IdentityBinding>(r.to_binding());
}

Result<std::vector<IdentityBinding>> SqlUserRepository::list_bindings(
    std::string_view environment_id, std::string_view organization_id, std::string_view user_id) {
  std::vector<IdentityBinding> out;
  BindingRow r;
  std::string env(environment_id), org(organization_id), uid(user_id);
  soci::statement st = (ctx_.sql.prepare << "SELECT " << kBindingColumns
                                         << " FROM identity_bindings WHERE organization_id = "
                                            ":org AND user_id = :uid AND environment_id = :env "
                                            "ORDER BY id",
                        soci::use(org), soci::use(uid), soci::use(env), GH_BINDING_INTO(r));
  st.execute();
  while (st.fetch()) out.push_back(r.to_binding());
  return out;
}

Result<IdentityBinding> SqlUserRepository::remove_binding(std::string_view environment_id,
                                                          std::string_view organization_id,
                                                          std::string_view user_id,
                                                          std::string_view binding_id) {
  BindingRow r;
  std::string env(environment_id), org(organization_id), uid(user_id), bid(binding_id);
  soci::statement st =
      (ctx_.sql.prepare << "SELECT " << kBindingColumns
                        << " FROM identity_bindings WHERE organization_id = "
                           ":org AND id = :bid AND user_id = :uid AND "
                           "environment_id = :env",
       soci::use(org), soci::use(bid), soci::use(uid), soci::use(env), GH_BINDING_INTO(r));
  st.execute(true);
  if (!st.got_data()) {
    return fail(errc::IdentityBindingNotFound,
                "User '" + uid + "' has no identity binding '" + bid + "'");
  }
  ctx_.sql << "DELETE FROM identity_bindings WHERE organization_id = :org AND id = :bid",
      soci::use(org), soci::use(bid);
  return r.to_binding();
}

}  // namespace gh::store
