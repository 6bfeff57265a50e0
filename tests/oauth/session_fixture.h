// Sessions for the front channel's HTTP tests, as real rows in the store (users and sessions,
// migration v7) with a cookie gh_ss_<lookup>_<secret> whose peppered HMAC is stored. The
// SessionLookup here reads those rows the way the sessions service does (lookup id, constant-
// time hash comparison, live, user active); the server wires the sessions service itself.
#pragma once

#include <gtest/gtest.h>

#include <algorithm>
#include <optional>
#include <string>

#include "core/clock.h"
#include "core/ids.h"
#include "core/random.h"
#include "sessions/session_lookup.h"
#include "store/store.h"
#include "tenancy/secrets.h"

namespace gh::oauth {

struct TestSession {
  sessions::AuthenticatedSession session;
  std::string cookie_value;
};

class StoreSessionLookup final : public sessions::SessionLookup {
 public:
  StoreSessionLookup(store::Store& store, const Clock& clock, const tenancy::SecretHasher& hasher)
      : store_(store), clock_(clock), hasher_(hasher) {}

  Result<std::optional<sessions::AuthenticatedSession>> from_cookie(
      std::string_view environment_id, std::string_view cookie_value) override {
    using Out = std::optional<sessions::AuthenticatedSession>;
    auto lookup = tenancy::secret_lookup(cookie_value, "gh_ss_");
    if (!lookup) return Out();
    return store_.read<Out>([&](store::Repositories& r) -> Result<Out> {
      auto row = r.sessions().find_by_cookie_lookup(environment_id, *lookup);
      if (!row) return fail(row.error());
      if (!*row || !(*row)->live_at(clock_.now_ms())) return Out();
      if (!hasher_.matches(cookie_value, (*row)->cookie_hash)) return Out();
      auto user = r.users().get(environment_id, (*row)->organization_id, (*row)->user_id);
      if (!user || user->state != "active") return Out();
      const auto& s = **row;
      return Out(sessions::AuthenticatedSession{s.sid, s.environment_id, s.organization_id,
                                                s.user_id, s.connection_id, s.auth_time_ms, s.acr,
                                                s.amr, s.expires_at_ms()});
    });
  }

  Result<bool> add_client(std::string_view environment_id, std::string_view organization_id,
                          std::string_view sid, std::string_view client_id) override {
    return store_.transact<bool>([&](store::Repositories& r) {
      return r.sessions().add_client(environment_id, organization_id, sid, client_id);
    });
  }

 private:
  store::Store& store_;
  const Clock& clock_;
  const tenancy::SecretHasher& hasher_;
};

class SessionFixture {
 public:
  SessionFixture(store::Store& store, const Clock& clock, Random& random)
      : store_(store),
        clock_(clock),
        random_(random),
        hasher_(std::string(32, 'p')),
        lookup_(store, clock, hasher_) {}

  sessions::SessionLookup& lookup() { return lookup_; }

  // A user of `org` signed in through `connection_id` at `auth_time_ms`, session live for an hour.
  TestSession start(const store::Environment& env, const store::Organization& org,
                    const std::string& connection_id, int64_t auth_time_ms) {
    const int n = ++count_;
    auto user = store_.transact<store::User>([&](store::Repositories& r) {
      store::User u;
      u.environment_id = env.id;
      u.organization_id = org.id;
      u.email = "user" + std::to_string(n) + "@" + org.slug + ".example";
      u.name = "User " + std::to_string(n);
      return r.users().create(u);
    });
    EXPECT_TRUE(user) << user.error().text();
    const auto secret = tenancy::issue_secret("gh_ss_", hasher_, random_);
    store::Session s;
    s.sid = new_uuid_v7(clock_, random_);
    s.environment_id = env.id;
    s.organization_id = org.id;
    s.user_id = user->id;
    s.connection_id = connection_id;
    s.cookie_lookup = secret.lookup;
    s.cookie_hash = secret.hash;
    s.auth_time_ms = auth_time_ms;
    s.acr = "urn:gatehouse:acr:mfa";
    s.amr = {"pwd", "otp"};
    s.created_at_ms = clock_.now_ms();
    s.last_seen_at_ms = clock_.now_ms();
    s.idle_expires_at_ms = clock_.now_ms() + 3'600'000;
    s.absolute_expires_at_ms = clock_.now_ms() + 3'600'000;
    auto row = store_.transact<store::Session>(
        [&](store::Repositories& r) { return r.sessions().create(s); });
    EXPECT_TRUE(row) << row.error().text();
    TestSession out;
    out.session = {row->sid, env.id,        org.id,
                   user->id, connection_id, auth_time_ms,
                   row->acr, row->amr,      row->expires_at_ms()};
    out.cookie_value = secret.token;
    return out;
  }

  bool has_client(const store::Environment& env, const store::Organization& org,
                  const std::string& sid, const std::string& client_id) {
    auto s = store_.read<store::Session>(
        [&](store::Repositories& r) { return r.sessions().get(env.id, org.id, sid); });
    EXPECT_TRUE(s) << s.error().text();
    return s && std::find(s->clients.begin(), s->clients.end(), client_id) != s->clients.end();
  }

 private:
  store::Store& store_;
  const Clock& clock_;
  Random& random_;
  tenancy::SecretHasher hasher_;
  StoreSessionLookup lookup_;
  int count_ = 0;
};

}  // namespace gh::oauth
