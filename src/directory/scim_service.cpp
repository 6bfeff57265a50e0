#include "directory/scim_service.h"

#include <algorithm>
#include <map>

#include "catalog/scim_schema.h"
#include "core/log.h"
#include "directory/bulk.h"
#include "directory/error_codes.h"
#include "identity/error_codes.h"
#include "sessions/session_service.h"

namespace gh::directory {

namespace {

constexpr int64_t kMaxScan = 200'000;  // resources a non-indexed filter may look at

ScimError to_scim(const Error& e) {
  if (e.code == errc::ScimNotFound || e.code == errc::DirectoryNotFound) {
    return {404, "", e.text()};
  }
  if (e.code == errc::ScimUniqueness || e.code == errc::IdentityEmailInUse) {
    return {409, "uniqueness", e.text()};
  }
  if (e.code == errc::RequestPreconditionFailed) return {412, "", e.text()};
  if (e.http_status() >= 500) return {e.http_status(), "", "Internal error; retry later"};
  return {e.http_status(), "invalidValue", e.text()};
}

std::string str_member(const nlohmann::json& doc, std::string_view name) {
  const auto* v = find_member(doc, name);
  return v && v->is_string() ? v->get<std::string>() : std::string();
}

// The primary email, else the first one.
std::string primary_email(const nlohmann::json& doc) {
  const auto* emails = find_member(doc, "emails");
  if (!emails || !emails->is_array()) return {};
  std::string first;
  for (const auto& e : *emails) {
    const std::string v = e.is_object() ? str_member(e, "value") : std::string();
    if (v.empty()) continue;
    if (first.empty()) first = v;
    const auto* p = find_member(e, "primary");
    if (p && p->is_boolean() && p->get<bool>()) return v;
  }
  return first;
}

bool is_active(const nlohmann::json& doc) {
  const auto* a = find_member(doc, "active");
  return !a || !a->is_boolean() || a->get<bool>();
}

void strip_readonly(nlohmann::json& doc, bool user) {
  for (const char* k : {"id", "meta", "schemas", "password", "groups"}) {
    if (!user && std::string_view(k) == "groups") continue;
    for (auto it = doc.begin(); it != doc.end(); ++it) {
      if (lower(it.key()) == k) {
        doc.erase(it);
        break;
      }
    }
  }
}

std::string etag(int64_t version) { return "W/\"" + std::to_string(version) + "\""; }

// If-Match: "*" or one of the listed ETags must name the current version.
bool if_match_ok(const std::optional<std::string>& header, int64_t version) {
  if (!header) return true;
  std::string h = *header;
  if (h.find('*') != std::string::npos) return true;
  const std::string want = std::to_string(version);
  size_t pos = 0;
  while ((pos = h.find('"', pos)) != std::string::npos) {
    const size_t end = h.find('"', pos + 1);
    if (end == std::string::npos) break;
    if (h.substr(pos + 1, end - pos - 1) == want) return true;
    pos = end + 1;
  }
  return false;
}

std::string canonical_type(const std::string& type) { return type == "Group" ? "Group" : "User"; }

}  // namespace

nlohmann::json scim_error_body(const ScimError& e) {
  nlohmann::json j = {{"schemas", {std::string(kScimErrorUrn)}},
                      {"status", std::to_string(e.status)}};
  if (!e.scim_type.empty()) j["scimType"] = e.scim_type;
  if (!e.detail.empty()) j["detail"] = e.detail;
  return j;
}

nlohmann::json project(const nlohmann::json& resource, const std::vector<std::string>& attributes,
                       const std::vector<std::string>& excluded) {
  auto always = [](const std::string& k) {
    const std::string l = lower(k);
    return l == "id" || l == "schemas" || l == "meta";
  };
  nlohmann::json out = nlohmann::json::object();
  if (!attributes.empty()) {
    for (auto it = resource.begin(); it != resource.end(); ++it) {
      if (always(it.key())) {
        out[it.key()] = it.value();
        continue;
      }
      for (const auto& a : attributes) {
        auto parsed = parse_patch_path(a);
        if (!parsed.path || parsed.path->filter) continue;
        const AttrPath& p = parsed.path->path;
        const bool ext = !p.urn.empty() && lower(p.urn).find(":core:") == std::string::npos;
        if (ext) {
          if (lower(it.key()) != lower(p.urn) || !it.value().is_object()) continue;
          const auto* v = find_member(it.value(), p.attr);
          if (v) out[it.key()][p.attr] = *v;
          continue;
        }
        if (lower(it.key()) != lower(p.attr)) continue;
        if (p.sub.empty() || !it.value().is_object()) {
          out[it.key()] = it.value();
        } else if (const auto* v = find_member(it.value(), p.sub)) {
          out[it.key()][p.sub] = *v;
        }
      }
    }
    return out;
  }
  out = resource;
  for (const auto& a : excluded) {
    auto parsed = parse_patch_path(a);
    if (!parsed.path || parsed.path->filter) continue;
    const AttrPath& p = parsed.path->path;
    if (always(p.attr) && p.urn.empty()) continue;
    nlohmann::json* root = &out;
    if (!p.urn.empty() && lower(p.urn).find(":core:") == std::string::npos) {
      root = nullptr;
      for (auto it = out.begin(); it != out.end(); ++it) {
        if (lower(it.key()) == lower(p.urn)) root = &it.value();
      }
      if (!root) continue;
    }
    for (auto it = root->begin(); it != root->end(); ++it) {
      if (lower(it.key()) != lower(p.attr)) continue;
      if (p.sub.empty()) {
        root->erase(it);
      } else if (it->is_object()) {
        for (auto s = it->begin(); s != it->end(); ++s) {
          if (lower(s.key()) == lower(p.sub)) {
            it->erase(s);
            break;
          }
        }
      }
      break;
    }
  }
  return out;
}

ScimService::ScimService(store::Store& store, tenancy::TenancyService& tenancy,
                         std::shared_ptr<identity::IdentityService> identity,
                         std::shared_ptr<catalog::CatalogService> catalog, const Clock& clock)
    : store_(store),
      tenancy_(tenancy),
      identity_(std::move(identity)),
      catalog_(std::move(catalog)),
      clock_(clock) {}

nlohmann::json ScimService::render(store::Repositories& repos, const store::ScimResource& r,
                                   const std::string& base_url, bool with_links) {
  nlohmann::json out = r.document;
  out["id"] = r.id;
  nlohmann::json schemas = nlohmann::json::array();
  if (r.type == "User") {
    schemas.push_back(kScimUserUrn);
    for (auto it = r.document.begin(); it != r.document.end(); ++it) {
      if (lower(it.key()).starts_with("urn:")) schemas.push_back(it.key());
    }
  } else {
    schemas.push_back(kScimGroupUrn);
  }
  out["schemas"] = schemas;
  out["meta"] = {{"resourceType", r.type},
                 {"created", format_rfc3339(r.created_at_ms)},
                 {"lastModified", format_rfc3339(r.updated_at_ms)},
                 {"version", etag(r.version)},
                 {"location", base_url + (r.type == "User" ? "/Users/" : "/Groups/") + r.id}};
  if (!with_links) return out;
  if (r.type == "Group") {
    nlohmann::json members = nlohmann::json::array();
    auto ids = repos.directories().members(r.organization_id, r.directory_id, r.id);
    if (ids) {
      for (const auto& m : *ids) members.push_back({{"value", m}});
    }
    out["members"] = members;
  } else {
    auto groups = repos.directories().groups_of(r.organization_id, r.directory_id, r.id);
    if (groups && !groups->empty()) {
      nlohmann::json g = nlohmann::json::array();
      for (const auto& [id, name] : *groups) {
        g.push_back({{"value", id}, {"display", name}, {"$ref", base_url + "/Groups/" + id}});
      }
      out["groups"] = g;
    }
  }
  return out;
}

namespace {

// The resource checked and cleaned for storage, or the SCIM error.
ScimResult<nlohmann::json> prepare(const nlohmann::json& body, const std::string& type,
                                   const catalog::Catalog* effective) {
  if (!body.is_object()) return scim_fail(400, "invalidSyntax", "the body must be a JSON object");
  nlohmann::json doc = body;
  strip_readonly(doc, type == "User");
  normalize_resource(doc);
  if (type == "User") {
    const auto* un = find_member(doc, "userName");
    if (!un || !un->is_string() || un->get<std::string>().empty()) {
      return scim_fail(400, "invalidValue", "userName is required");
    }
    if (un->get<std::string>().size() > 256) {
      return scim_fail(400, "invalidValue", "userName is longer than 256 characters");
    }
    if (const auto* a = find_member(doc, "active"); a && !a->is_boolean()) {
      return scim_fail(400, "invalidValue", "active must be a boolean");
    }
    if (effective) {
      auto check = catalog::check_scim_user(*effective, doc);
      if (!check.ok()) {
        auto e = catalog::scim_invalid_value_error(check.invalid);
        return scim_fail(400, "invalidValue", e.value("detail", "invalid value"));
      }
    }
  } else {
    const auto* dn = find_member(doc, "displayName");
    if (!dn || !dn->is_string() || dn->get<std::string>().empty()) {
      return scim_fail(400, "invalidValue", "displayName is required");
    }
    if (const auto* m = find_member(doc, "members"); m && !m->is_null() && !m->is_array()) {
      return scim_fail(400, "invalidValue", "members must be an array");
    }
  }
  if (const auto* ext = find_member(doc, "externalId"); ext && !ext->is_string()) {
    return scim_fail(400, "invalidValue", "externalId must be a string");
  }
  return doc;
}

void fill_columns(store::ScimResource& r, const nlohmann::json& doc) {
  r.user_name = r.type == "User" ? lower(str_member(doc, "userName")) : std::string();
  r.external_id = str_member(doc, "externalId");
  r.display_name = lower(str_member(doc, "displayName"));
  r.email = lower(primary_email(doc));
  r.emails.clear();
  if (r.type != "User") return;
  const auto* emails = find_member(doc, "emails");
  if (!emails || !emails->is_array()) return;
  for (const auto& e : *emails) {
    const std::string v = e.is_object() ? lower(str_member(e, "value")) : std::string();
    if (!v.empty() && v.size() <= 320 &&
        std::find(r.emails.begin(), r.emails.end(), v) == r.emails.end()) {
      r.emails.push_back(v);
    }
  }
}

std::string domain_of(const std::string& address) {
  const auto at = address.rfind('@');
  return at == std::string::npos ? std::string() : lower(address.substr(at + 1));
}

// The domain guard (docs/scim.md): a provisioned userName that is an address, and the primary
// email, must be in a domain this organization verified or a guest domain of its policy.
// Checked on create and when either value changes. nullopt when allowed.
Result<std::optional<ScimError>> domain_guard(store::Repositories& repos, const ScimCaller& c,
                                              const nlohmann::json& doc,
                                              const nlohmann::json* before) {
  std::vector<std::pair<std::string, std::string>> checks;
  const std::string user_name = str_member(doc, "userName");
  const std::string email = primary_email(doc);
  if (user_name.find('@') != std::string::npos &&
      (!before || lower(str_member(*before, "userName")) != lower(user_name))) {
    checks.emplace_back("userName", user_name);
  }
  if (!email.empty() && (!before || lower(primary_email(*before)) != lower(email))) {
    checks.emplace_back("the primary email", email);
  }
  if (checks.empty()) return std::optional<ScimError>{};
  const std::string& org = c.directory.organization_id;
  auto policy = sessions::effective_policy_in(repos, c.env.id, org);
  if (!policy) return fail(policy.error());
  for (const auto& [what, address] : checks) {
    const std::string domain = domain_of(address);
    if (!domain.empty() && std::find(policy->guest_domains.begin(), policy->guest_domains.end(),
                                     domain) != policy->guest_domains.end()) {
      continue;
    }
    if (!domain.empty()) {
      auto claim = repos.domains().find_verified(c.env.id, domain);
      if (!claim) return fail(claim.error());
      if (*claim && (*claim)->organization_id == org) continue;
    }
    return std::optional<ScimError>{ScimError{
        400, "invalidValue",
        what + " '" + address + "' is not in a domain this organization has verified, nor in " +
            "a guest domain of its security policy"}};
  }
  return std::optional<ScimError>{};
}

// The identity user's profile from a SCIM User.
void fill_user(store::User& u, const nlohmann::json& doc) {
  std::string email = primary_email(doc);
  const std::string user_name = str_member(doc, "userName");
  if (email.empty() && user_name.find('@') != std::string::npos) email = user_name;
  u.email = store::normalize_email(email);
  const auto* name = find_member(doc, "name");
  u.given_name = name ? str_member(*name, "givenName") : "";
  u.family_name = name ? str_member(*name, "familyName") : "";
  u.name = str_member(doc, "displayName");
  if (u.name.empty() && name) u.name = str_member(*name, "formatted");
  if (u.name.empty()) u.name = (u.given_name + " " + u.family_name);
  if (u.name == " ") u.name.clear();
}

// Member ids of a group body ([{value: id}, ...]).
ScimResult<std::vector<std::string>> member_ids(const nlohmann::json& doc) {
  std::vector<std::string> out;
  const auto* m = find_member(doc, "members");
  if (!m || m->is_null()) return out;
  for (const auto& e : *m) {
    const std::string v = e.is_object() ? str_member(e, "value") : std::string();
    if (v.empty()) return scim_fail(400, "invalidValue", "every member needs a value (its id)");
    if (std::find(out.begin(), out.end(), v) == out.end()) out.push_back(v);
  }
  if (out.size() > 100'000) return scim_fail(400, "tooMany", "a group has at most 100000 members");
  return out;
}

tl::unexpected<Error> rollback() { return tl::unexpected<Error>(Error(errc::ServerInternal)); }

}  // namespace

ScimResult<ScimReply> ScimService::create(const ScimCaller& c, const std::string& base_url,
                                          const std::string& type_in, const nlohmann::json& body,
                                          const tenancy::Actor& actor) {
  const std::string type = canonical_type(type_in);
  std::optional<catalog::Catalog> effective;
  if (catalog_ && type == "User") {
    auto e = catalog_->effective(c.env, c.directory.organization_id);
    if (e) effective = std::move(*e);
  }
  auto doc = prepare(body, type, effective ? &*effective : nullptr);
  if (!doc) return tl::unexpected<ScimError>(doc.error());
  std::vector<std::string> members;
  if (type == "Group") {
    auto ids = member_ids(*doc);
    if (!ids) return tl::unexpected<ScimError>(ids.error());
    members = *ids;
    for (auto it = doc->begin(); it != doc->end(); ++it) {
      if (lower(it.key()) == "members") {
        doc->erase(it);
        break;
      }
    }
  }
  const std::string& org = c.directory.organization_id;
  std::optional<ScimError> scim_err;
  bool suspend = false;
  std::string created_user_id;
  auto done = store_.transact<ScimReply>([&](store::Repositories& repos) -> Result<ScimReply> {
    store::ScimResource r;
    r.directory_id = c.directory.id;
    r.environment_id = c.env.id;
    r.organization_id = org;
    r.type = type;
    r.document = *doc;
    fill_columns(r, *doc);
    nlohmann::json event;
    if (type == "User") {
      auto guard = domain_guard(repos, c, *doc, nullptr);
      if (!guard) return fail(guard.error());
      if (*guard) {
        scim_err = **guard;
        return rollback();
      }
      store::User u;
      u.environment_id = c.env.id;
      u.organization_id = org;
      fill_user(u, *doc);
      u.state = "active";
      // A deprovisioned user (deleted over SCIM) gives its email up: the same person created
      // again is a new user with a new id, not the old one brought back.
      if (!u.email.empty()) {
        auto holder = repos.users().find_by_email(c.env.id, org, u.email);
        if (!holder) return fail(holder.error());
        if (*holder && (*holder)->state == "deprovisioned") {
          store::User freed = **holder;
          freed.email.clear();
          freed.email_verified = false;
          auto released = repos.users().update(freed, freed.version);
          if (!released) return fail(released.error());
        }
      }
      auto user = repos.users().create(u);
      if (!user) return fail(user.error());
      r.user_id = user->id;
      created_user_id = user->id;
      suspend = !is_active(*doc);
    }
    auto created = repos.directories().create_resource(r);
    if (!created) return fail(created.error());
    for (const auto& m : members) {
      auto user = repos.directories().get_resource(c.env.id, org, c.directory.id, "User", m);
      if (!user) {
        auto group = repos.directories().get_resource(c.env.id, org, c.directory.id, "Group", m);
        if (!group) {
          scim_err = ScimError{400, "invalidValue", "member '" + m + "' is not in this directory"};
          return rollback();
        }
      }
      (void)repos.directories().add_member(c.env.id, org, c.directory.id, created->id, m);
    }
    ScimReply reply;
    reply.status = 201;
    reply.body = render(repos, *created, base_url, true);
    reply.version = created->version;
    reply.location = reply.body["meta"]["location"];
    const std::string action = type == "User" ? "user.created" : "group.created";
    nlohmann::json payload = {{"directory_id", c.directory.id},
                              {"scim_id", created->id},
                              {"resource", redact(reply.body)}};
    if (type == "User") payload["user_id"] = created->user_id;
    auto rec = tenancy_.record(repos, c.env, org, actor, action,
                               type == "User" ? "scim_user" : "scim_group", created->id,
                               {{"directory_id", c.directory.id}}, payload);
    if (!rec) return fail(rec.error());
    if (!members.empty()) {
      auto m = tenancy_.record(
          repos, c.env, org, actor, "group.member_added", "scim_group", created->id,
          {{"added", members.size()}},
          {{"directory_id", c.directory.id}, {"group_id", created->id}, {"members", members}});
      if (!m) return fail(m.error());
      if (auto o =
              memberships_changed(repos, c, created->id, created->document, members, {}, false);
          !o) {
        return fail(o.error());
      }
    }
    return reply;
  });
  if (scim_err) return tl::unexpected<ScimError>(*scim_err);
  if (!done) return tl::unexpected<ScimError>(to_scim(done.error()));
  // Created inactive: the identity user exists suspended (no sessions yet to end).
  if (suspend && identity_) {
    auto s = identity_->set_state(c.env, org, created_user_id, "suspended", 0, actor);
    if (!s) return tl::unexpected<ScimError>(to_scim(s.error()));
  }
  return *done;
}

ScimResult<ScimReply> ScimService::get(const ScimCaller& c, const std::string& base_url,
                                       const std::string& type_in, const std::string& id) {
  const std::string type = canonical_type(type_in);
  auto done = store_.read<ScimReply>([&](store::Repositories& repos) -> Result<ScimReply> {
    auto r = repos.directories().get_resource(c.env.id, c.directory.organization_id, c.directory.id,
                                              type, id);
    if (!r) return fail(r.error());
    ScimReply reply;
    reply.body = render(repos, *r, base_url, true);
    reply.version = r->version;
    return reply;
  });
  if (!done) return tl::unexpected<ScimError>(to_scim(done.error()));
  return *done;
}

namespace {

// An `eq` on `value` in the conjunction inside emails[...].
std::optional<std::string> email_value_eq(const Filter& f) {
  if (f.kind == Filter::Kind::and_) {
    if (auto l = email_value_eq(f.kids[0])) return l;
    return email_value_eq(f.kids[1]);
  }
  if (f.kind == Filter::Kind::compare && f.op == "eq" && f.value.is_string() &&
      lower(f.path.attr) == "value" && f.path.sub.empty()) {
    return lower(f.value.get<std::string>());
  }
  return std::nullopt;
}

}  // namespace

std::optional<std::pair<store::ScimIndex, std::string>> filter_index(const Filter& f,
                                                                     const std::string& type) {
  if (f.kind == Filter::Kind::and_) {
    if (auto l = filter_index(f.kids[0], type)) return l;
    return filter_index(f.kids[1], type);
  }
  // Entra: emails[type eq "work"].value eq "x"; also emails[value eq "x" and ...]. The whole
  // filter is still evaluated on each candidate, so the index only has to find a superset.
  if (f.kind == Filter::Kind::value_path) {
    if (type != "User" || lower(f.path.attr) != "emails" || !f.path.sub.empty() ||
        (!f.path.urn.empty() && lower(f.path.urn).find(":core:") == std::string::npos)) {
      return std::nullopt;
    }
    if (f.kids.size() == 2) {
      if (auto v = email_value_eq(f.kids[1])) return std::pair{store::ScimIndex::email, *v};
    }
    if (auto v = email_value_eq(f.kids[0])) return std::pair{store::ScimIndex::email, *v};
    return std::nullopt;
  }
  if (f.kind != Filter::Kind::compare || f.op != "eq" || !f.value.is_string()) return std::nullopt;
  if (!f.path.urn.empty() && lower(f.path.urn).find(":core:") == std::string::npos) {
    return std::nullopt;
  }
  const std::string attr = lower(f.path.attr), sub = lower(f.path.sub);
  const std::string v = f.value.get<std::string>();
  // emails.value eq "x" (and `emails eq "x"`, which compares the value sub-attribute).
  if (attr == "emails" && type == "User" && (sub.empty() || sub == "value")) {
    return std::pair{store::ScimIndex::email, lower(v)};
  }
  if (!sub.empty()) return std::nullopt;
  if (attr == "username" && type == "User") return std::pair{store::ScimIndex::user_name, lower(v)};
  if (attr == "externalid") return std::pair{store::ScimIndex::external_id, v};
  if (attr == "displayname") return std::pair{store::ScimIndex::display_name, lower(v)};
  return std::nullopt;
}

namespace {

const nlohmann::json* sort_value(const nlohmann::json& doc, const std::string& sort_by) {
  auto parsed = parse_patch_path(sort_by);
  if (!parsed.path || parsed.path->filter) return nullptr;
  const AttrPath& p = parsed.path->path;
  const nlohmann::json* root = path_root(doc, p);
  const nlohmann::json* v = root ? find_member(*root, p.attr) : nullptr;
  if (!v) return nullptr;
  if (v->is_array()) {
    // A multi-valued attribute sorts by its primary (else first) value.
    const nlohmann::json* pick = nullptr;
    for (const auto& e : *v) {
      if (!pick) pick = &e;
      const auto* pr = e.is_object() ? find_member(e, "primary") : nullptr;
      if (pr && pr->is_boolean() && pr->get<bool>()) pick = &e;
    }
    v = pick;
    if (!v) return nullptr;
    if (v->is_object()) return find_member(*v, p.sub.empty() ? "value" : p.sub);
    return v;
  }
  if (!p.sub.empty()) return v->is_object() ? find_member(*v, p.sub) : nullptr;
  return v;
}

bool sort_less(const nlohmann::json* a, const nlohmann::json* b) {
  if (!a || a->is_null()) return false;  // missing values last
  if (!b || b->is_null()) return true;
  if (a->is_string() && b->is_string())
    return lower(a->get<std::string>()) < lower(b->get<std::string>());
  if (a->is_number() && b->is_number()) return a->get<double>() < b->get<double>();
  return a->dump() < b->dump();
}

}  // namespace

ScimResult<ScimReply> ScimService::list(const ScimCaller& c, const std::string& base_url,
                                        const std::string& type_in, const ScimQuery& q) {
  const std::string type = canonical_type(type_in);
  std::optional<Filter> filter;
  if (!q.filter.empty()) {
    auto parsed = parse_filter(q.filter);
    if (!parsed.filter) return scim_fail(400, "invalidFilter", parsed.error.detail);
    filter = std::move(parsed.filter);
  }
  const int64_t start = std::max<int64_t>(1, q.start_index);
  const int count = std::clamp(q.count, 0, kScimMaxResults);
  auto wants = [&](const std::string& attr) {
    for (const auto& e : q.excluded) {
      if (lower(e) == attr) return false;
    }
    if (q.attributes.empty()) return true;
    for (const auto& a : q.attributes) {
      if (lower(a) == attr || lower(a).starts_with(attr + ".")) return true;
    }
    return false;
  };
  const bool links = wants(type == "Group" ? "members" : "groups");
  const bool filter_links =
      filter &&
      print_filter(*filter).find(type == "Group" ? "members" : "groups") != std::string::npos;
  std::optional<ScimError> scim_err;
  auto done = store_.read<ScimReply>([&](store::Repositories& repos) -> Result<ScimReply> {
    auto& dirs = repos.directories();
    const std::string& org = c.directory.organization_id;
    std::vector<store::ScimResource> page;
    int64_t total = 0;
    if (!filter && q.sort_by.empty()) {
      auto n = dirs.count_resources(c.env.id, org, c.directory.id, type);
      if (!n) return fail(n.error());
      total = *n;
      if (count > 0) {
        auto p = dirs.page_resources(c.env.id, org, c.directory.id, type, start - 1, count);
        if (!p) return fail(p.error());
        page = std::move(*p);
      }
    } else {
      std::vector<store::ScimResource> candidates;
      std::optional<std::pair<store::ScimIndex, std::string>> idx;
      if (filter) idx = filter_index(*filter, type);
      if (idx) {
        auto found =
            dirs.find_resources(c.env.id, org, c.directory.id, type, idx->first, idx->second);
        if (!found) return fail(found.error());
        candidates = std::move(*found);
      } else {
        std::string after;
        for (;;) {
          auto batch = dirs.scan_resources(c.env.id, org, c.directory.id, type, after, 1000);
          if (!batch) return fail(batch.error());
          if (batch->empty()) break;
          after = batch->back().id;
          for (auto& r : *batch) candidates.push_back(std::move(r));
          if (static_cast<int64_t>(candidates.size()) > kMaxScan) {
            scim_err = ScimError{400, "tooMany",
                                 "the filter would look at more than " + std::to_string(kMaxScan) +
                                     " resources; filter with eq on userName, externalId, "
                                     "displayName or emails.value"};
            return rollback();
          }
        }
      }
      std::vector<std::pair<nlohmann::json, store::ScimResource>> matched;
      for (auto& r : candidates) {
        nlohmann::json view = render(repos, r, base_url, filter_links);
        if (filter && !matches(*filter, view, default_case_exact)) continue;
        matched.emplace_back(std::move(view), std::move(r));
      }
      if (!q.sort_by.empty()) {
        std::stable_sort(matched.begin(), matched.end(), [&](const auto& a, const auto& b) {
          const auto* va = sort_value(a.first, q.sort_by);
          const auto* vb = sort_value(b.first, q.sort_by);
          return q.descending ? sort_less(vb, va) : sort_less(va, vb);
        });
      }
      total = static_cast<int64_t>(matched.size());
      for (int64_t i = start - 1; i < total && static_cast<int>(page.size()) < count; ++i) {
        page.push_back(std::move(matched[i].second));
      }
    }
    ScimReply reply;
    reply.body = {{"schemas", {std::string(kScimListUrn)}},
                  {"totalResults", total},
                  {"startIndex", start},
                  {"itemsPerPage", static_cast<int64_t>(page.size())}};
    if (count > 0) {
      nlohmann::json resources = nlohmann::json::array();
      for (const auto& r : page) {
        resources.push_back(project(render(repos, r, base_url, links), q.attributes, q.excluded));
      }
      reply.body["Resources"] = resources;
    }
    return reply;
  });
  if (scim_err) return tl::unexpected<ScimError>(*scim_err);
  if (!done) return tl::unexpected<ScimError>(to_scim(done.error()));
  return *done;
}

ScimResult<ScimReply> ScimService::write(
    const ScimCaller& c, const std::string& base_url, const std::string& type_in,
    const std::string& id,
    const std::function<ScimResult<nlohmann::json>(const nlohmann::json& current)>& change,
    std::optional<std::string> if_match, const tenancy::Actor& actor, bool no_content) {
  const std::string type = canonical_type(type_in);
  const std::string& org = c.directory.organization_id;
  std::optional<catalog::Catalog> effective;
  if (catalog_ && type == "User") {
    auto e = catalog_->effective(c.env, org);
    if (e) effective = std::move(*e);
  }
  std::optional<ScimError> scim_err;
  std::string state_change;  // "suspended" | "active"
  std::string user_id;
  auto done = store_.transact<ScimReply>([&](store::Repositories& repos) -> Result<ScimReply> {
    auto& dirs = repos.directories();
    auto current = dirs.get_resource(c.env.id, org, c.directory.id, type, id);
    if (!current) return fail(current.error());
    if (!if_match_ok(if_match, current->version)) {
      scim_err = ScimError{412, "",
                           "If-Match does not name the current version " + etag(current->version)};
      return rollback();
    }
    nlohmann::json before = current->document;
    before["id"] = current->id;
    std::vector<std::string> old_members;
    if (type == "Group") {
      auto m = dirs.members(org, c.directory.id, id);
      if (!m) return fail(m.error());
      old_members = *m;
      nlohmann::json arr = nlohmann::json::array();
      for (const auto& v : old_members) arr.push_back({{"value", v}});
      before["members"] = arr;
    }
    auto next = change(before);
    if (!next) {
      scim_err = next.error();
      return rollback();
    }
    auto doc = prepare(*next, type, effective ? &*effective : nullptr);
    if (!doc) {
      scim_err = doc.error();
      return rollback();
    }
    std::vector<std::string> new_members;
    if (type == "Group") {
      auto ids = member_ids(*doc);
      if (!ids) {
        scim_err = ids.error();
        return rollback();
      }
      new_members = *ids;
      for (auto it = doc->begin(); it != doc->end(); ++it) {
        if (lower(it.key()) == "members") {
          doc->erase(it);
          break;
        }
      }
    }
    store::ScimResource r = *current;
    r.document = *doc;
    fill_columns(r, *doc);
    const bool was_active = is_active(current->document), now_active = is_active(*doc);
    if (type == "User") {
      auto guard = domain_guard(repos, c, *doc, &current->document);
      if (!guard) return fail(guard.error());
      if (*guard) {
        scim_err = **guard;
        return rollback();
      }
      auto u = repos.users().get(c.env.id, org, current->user_id);
      if (!u) return fail(u.error());
      store::User changed = *u;
      fill_user(changed, *doc);
      if (changed.email != u->email || changed.name != u->name ||
          changed.given_name != u->given_name || changed.family_name != u->family_name) {
        auto updated = repos.users().update(changed, u->version);
        if (!updated) return fail(updated.error());
      }
      user_id = u->id;
      if (was_active && !now_active) state_change = "suspended";
      if (!was_active && now_active) state_change = "active";
    }
    const bool doc_changed = r.document != current->document;
    store::ScimResource saved = *current;
    if (doc_changed) {
      auto updated = dirs.update_resource(r, current->version);
      if (!updated) return fail(updated.error());
      saved = *updated;
    }
    std::vector<std::string> added, removed;
    for (const auto& m : new_members) {
      if (std::find(old_members.begin(), old_members.end(), m) == old_members.end()) {
        added.push_back(m);
      }
    }
    for (const auto& m : old_members) {
      if (std::find(new_members.begin(), new_members.end(), m) == new_members.end()) {
        removed.push_back(m);
      }
    }
    for (const auto& m : added) {
      auto user = dirs.get_resource(c.env.id, org, c.directory.id, "User", m);
      if (!user) {
        auto group = dirs.get_resource(c.env.id, org, c.directory.id, "Group", m);
        if (!group || m == id) {
          scim_err = ScimError{400, "invalidValue", "member '" + m + "' is not in this directory"};
          return rollback();
        }
      }
      (void)dirs.add_member(c.env.id, org, c.directory.id, id, m);
    }
    for (const auto& m : removed) (void)dirs.remove_member(org, c.directory.id, id, m);
    const std::string target = type == "User" ? "scim_user" : "scim_group";
    const nlohmann::json base = {{"directory_id", c.directory.id}, {"scim_id", id}};
    auto emit = [&](const std::string& action, nlohmann::json payload) -> Result<bool> {
      payload.update(base);
      if (type == "User") payload["user_id"] = current->user_id;
      return tenancy_.record(repos, c.env, org, actor, action, target, id,
                             {{"directory_id", c.directory.id}}, payload);
    };
    if (doc_changed) {
      auto rendered = redact(render(repos, saved, base_url, false));
      if (auto e =
              emit(type == "User" ? "user.updated" : "group.updated", {{"resource", rendered}});
          !e) {
        return fail(e.error());
      }
    }
    if (state_change == "suspended") {
      if (auto e = emit("user.deactivated", nlohmann::json::object()); !e) return fail(e.error());
    } else if (state_change == "active") {
      if (auto e = emit("user.reactivated", nlohmann::json::object()); !e) return fail(e.error());
    }
    if (!added.empty()) {
      if (auto e = emit("group.member_added", {{"group_id", id}, {"members", added}}); !e) {
        return fail(e.error());
      }
    }
    if (!removed.empty()) {
      if (auto e = emit("group.member_removed", {{"group_id", id}, {"members", removed}}); !e) {
        return fail(e.error());
      }
    }
    if (!added.empty() || !removed.empty()) {
      if (auto o = memberships_changed(repos, c, id, saved.document, added, removed, false); !o) {
        return fail(o.error());
      }
    }
    ScimReply reply;
    reply.status = no_content ? 204 : 200;
    reply.version = saved.version;
    if (!no_content) reply.body = render(repos, saved, base_url, true);
    return reply;
  });
  if (scim_err) return tl::unexpected<ScimError>(*scim_err);
  if (!done) return tl::unexpected<ScimError>(to_scim(done.error()));
  // Deactivation goes through the identity service's state change: the user's sessions (and
  // everything the revocation fan-out covers) end now.
  if (!state_change.empty() && identity_) {
    auto s = identity_->set_state(c.env, org, user_id, state_change, 0, actor);
    if (!s) {
      log::warn("scim: user state change failed",
                {{"user_id", user_id}, {"error", std::string(s.error().code_name())}});
      return tl::unexpected<ScimError>(to_scim(s.error()));
    }
    if (state_change == "suspended") record_deactivation(c, id, user_id, "deactivated");
  }
  return *done;
}

ScimResult<ScimReply> ScimService::replace(const ScimCaller& c, const std::string& base_url,
                                           const std::string& type, const std::string& id,
                                           const nlohmann::json& body,
                                           std::optional<std::string> if_match,
                                           const tenancy::Actor& actor) {
  if (!body.is_object()) return scim_fail(400, "invalidSyntax", "the body must be a JSON object");
  if (const auto* bid = find_member(body, "id"); bid && bid->is_string() && *bid != id) {
    return scim_fail(400, "mutability", "the id in the body is not the resource's id");
  }
  return write(
      c, base_url, type, id,
      [&](const nlohmann::json& current) -> ScimResult<nlohmann::json> {
        nlohmann::json next = body;
        // A PUT of a User without members/groups leaves read-only groups alone; a PUT of a
        // Group without members keeps the members (Okta's AIW sends the full object anyway).
        if (canonical_type(type) == "Group" && !find_member(next, "members") &&
            current.contains("members")) {
          next["members"] = current["members"];
        }
        return next;
      },
      std::move(if_match), actor, false);
}

ScimResult<ScimReply> ScimService::patch(const ScimCaller& c, const std::string& base_url,
                                         const std::string& type, const std::string& id,
                                         const nlohmann::json& body,
                                         std::optional<std::string> if_match,
                                         const tenancy::Actor& actor) {
  // Group PATCH answers 204 (Entra expects it; Okta accepts it); User PATCH the resource.
  const bool group = canonical_type(type) == "Group";
  return write(
      c, base_url, type, id,
      [&](const nlohmann::json& current) { return apply_patch(current, body, default_case_exact); },
      std::move(if_match), actor, group);
}

ScimResult<ScimReply> ScimService::remove(const ScimCaller& c, const std::string& type_in,
                                          const std::string& id,
                                          std::optional<std::string> if_match,
                                          const tenancy::Actor& actor) {
  const std::string type = canonical_type(type_in);
  const std::string& org = c.directory.organization_id;
  auto current = store_.read<store::ScimResource>([&](store::Repositories& repos) {
    return repos.directories().get_resource(c.env.id, org, c.directory.id, type, id);
  });
  if (!current) return tl::unexpected<ScimError>(to_scim(current.error()));
  if (!if_match_ok(if_match, current->version)) {
    return scim_fail(412, "",
                     "If-Match does not name the current version " + etag(current->version));
  }
  // The user's access ends first, through the fan-out; then the resource goes and the identity
  // user is marked deprovisioned.
  if (type == "User" && identity_) {
    auto s = identity_->set_state(c.env, org, current->user_id, "suspended", 0, actor);
    if (!s && !(s.error().code == errc::IdentityUserNotFound)) {
      return tl::unexpected<ScimError>(to_scim(s.error()));
    }
  }
  auto done = store_.transact<ScimReply>([&](store::Repositories& repos) -> Result<ScimReply> {
    auto& dirs = repos.directories();
    // The memberships that go with the resource (announced and passed to the roles seam).
    std::vector<std::string> members;
    std::vector<std::pair<std::string, std::string>> groups;
    if (type == "Group") {
      auto m = dirs.members(org, c.directory.id, id);
      if (!m) return fail(m.error());
      members = std::move(*m);
    } else {
      auto g = dirs.groups_of(org, c.directory.id, id);
      if (!g) return fail(g.error());
      groups = std::move(*g);
    }
    auto removed = dirs.delete_resource(c.env.id, org, c.directory.id, type, id);
    if (!removed) return fail(removed.error());
    if (type == "Group" && membership_observer_) {
      if (auto o = memberships_changed(repos, c, id, removed->document, {}, members, true); !o) {
        return fail(o.error());
      }
    }
    for (const auto& [gid, name] : groups) {
      auto rec = tenancy_.record(repos, c.env, org, actor, "group.member_removed", "scim_group",
                                 gid, {{"directory_id", c.directory.id}},
                                 {{"directory_id", c.directory.id},
                                  {"scim_id", gid},
                                  {"group_id", gid},
                                  {"members", nlohmann::json::array({id})},
                                  {"reason", "user.deleted"}});
      if (!rec) return fail(rec.error());
      if (auto o = memberships_changed(repos, c, gid, {{"displayName", name}}, {}, {id}, false);
          !o) {
        return fail(o.error());
      }
    }
    if (type == "User") {
      auto u = repos.users().set_state(c.env.id, org, removed->user_id, "deprovisioned");
      if (!u && !(u.error().code == errc::IdentityUserNotFound)) return fail(u.error());
    }
    auto rec = tenancy_.record(
        repos, c.env, org, actor, type == "User" ? "user.deleted" : "group.deleted",
        type == "User" ? "scim_user" : "scim_group", id, {{"directory_id", c.directory.id}},
        {{"directory_id", c.directory.id}, {"scim_id", id}, {"user_id", removed->user_id}});
    if (!rec) return fail(rec.error());
    ScimReply reply;
    reply.status = 204;
    return reply;
  });
  if (!done) return tl::unexpected<ScimError>(to_scim(done.error()));
  if (type == "User") record_deactivation(c, id, current->user_id, "deleted");
  return *done;
}

Result<bool> ScimService::memberships_changed(store::Repositories& repos, const ScimCaller& c,
                                              const std::string& group_id,
                                              const nlohmann::json& group_doc,
                                              std::vector<std::string> added,
                                              std::vector<std::string> removed, bool deleted) {
  if (!membership_observer_) return true;
  GroupMembershipChange change;
  change.environment_id = c.env.id;
  change.organization_id = c.directory.organization_id;
  change.directory_id = c.directory.id;
  change.group_id = group_id;
  change.group_display_name = str_member(group_doc, "displayName");
  change.added = std::move(added);
  change.removed = std::move(removed);
  change.group_deleted = deleted;
  return membership_observer_->memberships_changed(repos, change);
}

void ScimService::record_deactivation(const ScimCaller& c, const std::string& scim_id,
                                      const std::string& user_id, const std::string& cause) {
  const std::string& org = c.directory.organization_id;
  auto r = store_.transact<int64_t>([&](store::Repositories& repos) -> Result<int64_t> {
    auto rows = repos.sessions().list_for_user(c.env.id, org, user_id, 0);
    if (!rows) return fail(rows.error());
    store::ScimDeactivation d;
    d.environment_id = c.env.id;
    d.organization_id = org;
    d.directory_id = c.directory.id;
    d.scim_id = scim_id;
    d.user_id = user_id;
    d.cause = cause;
    d.requested_at_ms = c.received_at_ms ? c.received_at_ms : clock_.now_ms();
    for (const auto& s : *rows) {
      if (s.revoked_reason != sessions::reason::kUserSuspended ||
          s.revoked_at_ms < d.requested_at_ms) {
        continue;
      }
      ++d.sessions_revoked;
      d.sessions_revoked_at_ms = std::max(d.sessions_revoked_at_ms, s.revoked_at_ms);
    }
    // No live session to end: access ended when the state change committed (now).
    if (d.sessions_revoked == 0) d.sessions_revoked_at_ms = clock_.now_ms();
    return repos.directories().record_deactivation(d);
  });
  if (!r) {
    log::warn("scim: deactivation record failed",
              {{"scim_id", scim_id}, {"error", std::string(r.error().code_name())}});
  }
}

ScimResult<ScimReply> ScimService::bulk(const ScimCaller& c, const std::string& base_url,
                                        const nlohmann::json& body, const tenancy::Actor& actor) {
  auto request = parse_bulk_request(body);
  if (!request) return tl::unexpected<ScimError>(request.error());
  auto& ops = request->operations;
  const size_t n = ops.size();
  std::map<std::string, size_t> declared;  // bulkId → the POST declaring it
  for (size_t i = 0; i < n; ++i) {
    if (!ops[i].bulk_id.empty() && ops[i].method == "POST") declared[ops[i].bulk_id] = i;
  }
  std::map<std::string, std::string> created;  // bulkId → the id it created
  std::vector<std::optional<nlohmann::json>> results(n);
  std::vector<bool> done(n, false);
  int errors = 0;
  bool stop = false;
  auto result_of = [&](const BulkOperation& op, int status, const std::string& location,
                       int64_t version) {
    nlohmann::json j = {{"method", op.method}, {"status", std::to_string(status)}};
    if (!op.bulk_id.empty()) j["bulkId"] = op.bulk_id;
    if (!location.empty()) j["location"] = location;
    if (version) j["version"] = "W/\"" + std::to_string(version) + "\"";
    return j;
  };
  auto failed = [&](size_t i, const ScimError& e) {
    nlohmann::json j = result_of(ops[i], e.status, "", 0);
    j["response"] = scim_error_body(e);
    results[i] = std::move(j);
    done[i] = true;
    ++errors;
    if (request->fail_on_errors && errors >= request->fail_on_errors) stop = true;
  };
  auto run = [&](size_t i) {
    BulkOperation op = ops[i];
    resolve_bulk_references(op, created);
    auto target = bulk_target(op);
    if (!target) return failed(i, target.error());
    std::optional<std::string> if_match;
    if (!op.version.empty()) if_match = op.version;
    ScimResult<ScimReply> reply = scim_fail(500, "", "");
    if (op.method == "POST") {
      reply = create(c, base_url, target->type, op.data, actor);
    } else if (op.method == "PUT") {
      reply = replace(c, base_url, target->type, target->id, op.data, if_match, actor);
    } else if (op.method == "PATCH") {
      reply = patch(c, base_url, target->type, target->id, op.data, if_match, actor);
    } else {
      reply = remove(c, target->type, target->id, if_match, actor);
    }
    if (!reply) return failed(i, reply.error());
    std::string id = target->id;
    if (op.method == "POST" && reply->body.is_object() && reply->body.contains("id")) {
      id = reply->body["id"].get<std::string>();
      created[op.bulk_id] = id;
    }
    const std::string location = base_url + (target->type == "User" ? "/Users/" : "/Groups/") + id;
    results[i] = result_of(op, reply->status, location, reply->version);
    done[i] = true;
  };
  // Passes in request order: an operation referring to a bulkId waits until that POST ran;
  // one referring to a bulkId nobody declares, or to a POST that failed, fails with 409.
  for (bool progress = true; progress && !stop;) {
    progress = false;
    for (size_t i = 0; i < n && !stop; ++i) {
      if (done[i]) continue;
      bool wait = false;
      std::optional<std::string> broken;
      for (const auto& ref : bulk_references(ops[i])) {
        if (created.count(ref)) continue;
        auto d = declared.find(ref);
        if (d == declared.end() || d->second == i || done[d->second]) {
          broken = ref;
          break;
        }
        wait = true;
      }
      if (broken) {
        failed(i, ScimError{
                      409, "invalidValue",
                      "bulkId '" + *broken + "' does not name a resource created in this request"});
        progress = true;
        continue;
      }
      if (wait) continue;
      run(i);
      progress = true;
    }
  }
  // What is left refers to itself in a circle (RFC 7644 §3.7.1 allows 409 for it).
  for (size_t i = 0; i < n && !stop; ++i) {
    if (!done[i]) {
      failed(i, ScimError{409, "invalidValue",
                          "circular bulkId references; create the resources first and link "
                          "them in a later operation"});
    }
  }
  nlohmann::json out_ops = nlohmann::json::array();
  for (auto& r : results) {
    if (r) out_ops.push_back(std::move(*r));
  }
  ScimReply reply;
  reply.status = 200;
  reply.body = {{"schemas", {std::string(kBulkResponseUrn)}}, {"Operations", out_ops}};
  return reply;
}

nlohmann::json ScimService::service_provider_config(const std::string& base_url) const {
  return {{"schemas", {"urn:ietf:params:scim:schemas:core:2.0:ServiceProviderConfig"}},
          {"documentationUri", "https://github.com/gatehouse/gatehouse/blob/main/docs/scim.md"},
          {"patch", {{"supported", true}}},
          {"bulk",
           {{"supported", true},
            {"maxOperations", kBulkMaxOperations},
            {"maxPayloadSize", kBulkMaxPayloadBytes}}},
          {"filter", {{"supported", true}, {"maxResults", kScimMaxResults}}},
          {"changePassword", {{"supported", false}}},
          {"sort", {{"supported", true}}},
          {"etag", {{"supported", true}}},
          {"authenticationSchemes",
           {{{"type", "oauthbearertoken"},
             {"name", "Bearer token"},
             {"description", "A directory token (gh_scim_...) in Authorization: Bearer"},
             {"primary", true}}}},
          {"meta",
           {{"resourceType", "ServiceProviderConfig"},
            {"location", base_url + "/ServiceProviderConfig"}}}};
}

nlohmann::json ScimService::resource_types(const std::string& base_url) const {
  nlohmann::json user = {
      {"schemas", {"urn:ietf:params:scim:schemas:core:2.0:ResourceType"}},
      {"id", "User"},
      {"name", "User"},
      {"endpoint", "/Users"},
      {"description", "A user of the directory's organization"},
      {"schema", kScimUserUrn},
      {"schemaExtensions", {{{"schema", kScimEnterpriseUrn}, {"required", false}}}},
      {"meta", {{"resourceType", "ResourceType"}, {"location", base_url + "/ResourceTypes/User"}}}};
  nlohmann::json group = {
      {"schemas", {"urn:ietf:params:scim:schemas:core:2.0:ResourceType"}},
      {"id", "Group"},
      {"name", "Group"},
      {"endpoint", "/Groups"},
      {"description", "A group of the directory"},
      {"schema", kScimGroupUrn},
      {"meta",
       {{"resourceType", "ResourceType"}, {"location", base_url + "/ResourceTypes/Group"}}}};
  return {{"schemas", {std::string(kScimListUrn)}},
          {"totalResults", 2},
          {"startIndex", 1},
          {"itemsPerPage", 2},
          {"Resources", {user, group}}};
}

ScimResult<nlohmann::json> ScimService::schemas(const ScimCaller& c, const std::string& base_url) {
  catalog::Catalog effective;
  if (catalog_) {
    auto e = catalog_->effective(c.env, c.directory.organization_id);
    if (!e) return tl::unexpected<ScimError>(to_scim(e.error()));
    effective = std::move(*e);
  }
  std::vector<nlohmann::json> resources = catalog::scim_schema_resources(effective, base_url);
  auto attr = [](const char* name, const char* type, bool required, bool multi,
                 const char* mutability, const char* uniqueness) {
    return nlohmann::json{{"name", name},          {"type", type},
                          {"multiValued", multi},  {"required", required},
                          {"caseExact", false},    {"mutability", mutability},
                          {"returned", "default"}, {"uniqueness", uniqueness}};
  };
  nlohmann::json members = attr("members", "complex", false, true, "readWrite", "none");
  members["subAttributes"] = {attr("value", "string", false, false, "immutable", "none"),
                              attr("display", "string", false, false, "readOnly", "none"),
                              attr("$ref", "reference", false, false, "immutable", "none")};
  members["subAttributes"][0]["caseExact"] = true;
  members["subAttributes"][2]["referenceTypes"] = {"User", "Group"};
  resources.push_back({{"schemas", {"urn:ietf:params:scim:schemas:core:2.0:Schema"}},
                       {"id", kScimGroupUrn},
                       {"name", "Group"},
                       {"description", "Group"},
                       {"attributes",
                        {attr("displayName", "string", true, false, "readWrite", "none"),
                         attr("externalId", "string", false, false, "readWrite", "none"), members}},
                       {"meta",
                        {{"resourceType", "Schema"},
                         {"location", base_url + "/Schemas/" + std::string(kScimGroupUrn)}}}});
  return nlohmann::json{{"schemas", {std::string(kScimListUrn)}},
                        {"totalResults", resources.size()},
                        {"startIndex", 1},
                        {"itemsPerPage", resources.size()},
                        {"Resources", resources}};
}

}  // namespace gh::directory
