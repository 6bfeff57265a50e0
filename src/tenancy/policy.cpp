#include "tenancy/policy.h"
#include "tenancy/error_codes.h"

#include <set>

namespace gh::tenancy {

namespace {
Error invalid(const std::string& field, const std::string& message) {
  Error e(errc::PolicyInvalid, field + ": " + message);
  e.extra["field"] = field;
  return e;
}

bool is_domain(const std::string& d) {
  if (d.empty() || d.size() > 253 || d.front() == '.' || d.back() == '.') return false;
  bool dot = false;
  for (char c : d) {
    if (c == '.') {
      dot = true;
      continue;
    }
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-')) return false;
  }
  return dot;
}
}  // namespace

nlohmann::json SecurityPolicy::to_json() const {
  return {{"session",
           {{"absolute_lifetime_s", session_absolute_lifetime_s},
            {"idle_lifetime_s", session_idle_lifetime_s},
            {"max_sessions_per_user", max_sessions_per_user}}},
          {"allowed_connections", allowed_connections},
          {"provisioning_mode", provisioning_mode},
          {"guest_domains", guest_domains},
          {"email_linking", email_linking},
          {"suspend_unseen_jit_users_after_days", suspend_unseen_jit_users_after_days}};
}

Result<nlohmann::json> validate_policy_document(const nlohmann::json& doc) {
  if (!doc.is_object()) return fail(invalid("policy", "must be a JSON object"));
  static const std::set<std::string> known = {
      "session",       "allowed_connections", "provisioning_mode",
      "guest_domains", "email_linking",       "suspend_unseen_jit_users_after_days"};
  for (auto it = doc.begin(); it != doc.end(); ++it) {
    if (!known.count(it.key())) return fail(invalid(it.key(), "unknown field"));
  }
  if (auto s = doc.find("session"); s != doc.end()) {
    if (!s->is_object()) return fail(invalid("session", "must be an object"));
    for (auto it = s->begin(); it != s->end(); ++it) {
      const std::string field = "session." + it.key();
      if (it.key() == "max_sessions_per_user") {
        if (!it->is_number_integer() || it->get<int64_t>() < 0 || it->get<int64_t>() > 1000) {
          return fail(invalid(field, "must be an integer from 0 (unlimited) to 1000"));
        }
        continue;
      }
      if (it.key() != "absolute_lifetime_s" && it.key() != "idle_lifetime_s") {
        return fail(invalid(field, "unknown field"));
      }
      if (!it->is_number_integer() || it->get<int64_t>() < 60 ||
          it->get<int64_t>() > 90LL * 24 * 3600) {
        return fail(invalid(field, "must be an integer number of seconds from 60 to 7776000"));
      }
    }
    if (s->contains("absolute_lifetime_s") && s->contains("idle_lifetime_s") &&
        (*s)["idle_lifetime_s"].get<int64_t>() > (*s)["absolute_lifetime_s"].get<int64_t>()) {
      return fail(invalid("session.idle_lifetime_s", "cannot exceed absolute_lifetime_s"));
    }
  }
  auto string_list = [&](const char* name, auto check, const char* what) -> Result<bool> {
    auto it = doc.find(name);
    if (it == doc.end()) return true;
    if (!it->is_array() || it->size() > 1000) {
      return fail(invalid(name, "must be a list of at most 1000 entries"));
    }
    for (const auto& v : *it) {
      if (!v.is_string() || !check(v.get<std::string>())) return fail(invalid(name, what));
    }
    return true;
  };
  if (auto r = string_list(
          "allowed_connections", [](const std::string& s) { return !s.empty() && s.size() <= 64; },
          "entries must be connection ids");
      !r) {
    return fail(r.error());
  }
  if (auto r = string_list("guest_domains", is_domain,
                           "entries must be lowercase domain names such as partner.example");
      !r) {
    return fail(r.error());
  }
  auto one_of = [&](const char* name, std::initializer_list<const char*> values) -> Result<bool> {
    auto it = doc.find(name);
    if (it == doc.end()) return true;
    if (it->is_string()) {
      for (const char* v : values) {
        if (it->get<std::string>() == v) return true;
      }
    }
    std::string allowed;
    for (const char* v : values) allowed += (allowed.empty() ? "" : ", ") + std::string(v);
    return fail(invalid(name, "must be one of " + allowed));
  };
  if (auto r = one_of("provisioning_mode", {"jit", "directory_only"}); !r) return fail(r.error());
  if (auto r = one_of("email_linking", {"never", "verified_domains"}); !r) return fail(r.error());
  if (auto it = doc.find("suspend_unseen_jit_users_after_days"); it != doc.end()) {
    if (!it->is_number_integer() || it->get<int64_t>() < 0 || it->get<int64_t>() > 3650) {
      return fail(invalid("suspend_unseen_jit_users_after_days",
                          "must be an integer number of days from 0 (never) to 3650"));
    }
  }
  return doc;
}

SecurityPolicy effective_policy(const nlohmann::json& environment_doc,
                                const nlohmann::json& organization_doc) {
  SecurityPolicy p;
  for (const auto* doc : {&environment_doc, &organization_doc}) {
    if (!doc->is_object()) continue;
    if (auto s = doc->find("session"); s != doc->end() && s->is_object()) {
      p.session_absolute_lifetime_s =
          s->value("absolute_lifetime_s", p.session_absolute_lifetime_s);
      p.session_idle_lifetime_s = s->value("idle_lifetime_s", p.session_idle_lifetime_s);
      p.max_sessions_per_user = s->value("max_sessions_per_user", p.max_sessions_per_user);
    }
    p.allowed_connections = doc->value("allowed_connections", p.allowed_connections);
    p.provisioning_mode = doc->value("provisioning_mode", p.provisioning_mode);
    p.guest_domains = doc->value("guest_domains", p.guest_domains);
    p.email_linking = doc->value("email_linking", p.email_linking);
    p.suspend_unseen_jit_users_after_days =
        doc->value("suspend_unseen_jit_users_after_days", p.suspend_unseen_jit_users_after_days);
  }
  return p;
}

nlohmann::json policy_diff(const nlohmann::json& before, const nlohmann::json& after) {
  nlohmann::json changes = nlohmann::json::array();
  const auto flat_before = before.is_object() ? before.flatten() : nlohmann::json::object();
  const auto flat_after = after.is_object() ? after.flatten() : nlohmann::json::object();
  std::set<std::string> keys;
  for (auto it = flat_before.begin(); it != flat_before.end(); ++it) keys.insert(it.key());
  for (auto it = flat_after.begin(); it != flat_after.end(); ++it) keys.insert(it.key());
  for (const auto& k : keys) {
    const auto b = flat_before.contains(k) ? flat_before[k] : nlohmann::json();
    const auto a = flat_after.contains(k) ? flat_after[k] : nlohmann::json();
    if (a != b) changes.push_back({{"field", k}, {"from", b}, {"to", a}});
  }
  return changes;
}

}  // namespace gh::tenancy
