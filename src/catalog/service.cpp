#include "catalog/service.h"

#include "catalog/default_catalog.h"
#include "catalog/diff.h"
#include "catalog/error_codes.h"

namespace gh::catalog {

namespace {

// An organization's catalog as its users see it (qualified names), for diffs and audit.
Catalog view(const Catalog& c, bool organization) {
  return organization ? effective(Catalog{}, &c) : c;
}

Error attribute_not_found(const std::string& name) {
  return Error(errc::CatalogAttributeNotFound, "No attribute '" + name + "' in this catalog");
}

Result<Catalog> parse_document(const std::string& text) {
  auto j = nlohmann::json::parse(text, nullptr, false);
  if (j.is_discarded()) return fail(errc::ServerInternal, "A stored catalog is not JSON");
  return parse_catalog(j);
}

AttributeDefinition* find_mut(Catalog& c, const std::string& name) {
  for (auto& a : c.attributes) {
    if (a.name == name) return &a;
  }
  return nullptr;
}

// Custom attributes live in their organization's SCIM extension, never in the core or
// enterprise schemas the environment owns.
Result<bool> check_custom(const AttributeDefinition& a, const std::string& name_space) {
  const std::string urn = custom_extension_urn(name_space) + ":";
  for (const auto& path : a.sources.scim) {
    if (path.rfind(urn, 0) != 0) {
      Error e(errc::CatalogInvalidAttribute,
              "Custom attributes' SCIM paths are in the organization's extension: " + urn + "...");
      e.extra["field"] = "sources.scim";
      return fail(std::move(e));
    }
  }
  return true;
}

}  // namespace

CatalogService::CatalogService(store::Store& store, tenancy::TenancyService& tenancy,
                               const Clock& clock)
    : store_(store), tenancy_(tenancy), clock_(clock) {}

std::string CatalogService::unqualified(const Catalog& organization, const std::string& name) {
  if (organization.name_space.empty()) return name;
  const std::string prefix = qualified_custom_name(organization.name_space, "");
  return name.rfind(prefix, 0) == 0 ? name.substr(prefix.size()) : name;
}

Result<VersionedCatalog> CatalogService::read_catalog(store::Repositories& repos,
                                                      const store::Environment& env,
                                                      const std::string& org_id) {
  if (!org_id.empty()) {
    if (auto org = repos.organizations().get(env.id, org_id); !org) return fail(org.error());
  }
  auto row = repos.catalog().current(env.id, org_id);
  if (!row) return fail(row.error());
  VersionedCatalog out;
  if (!*row) {
    if (org_id.empty()) out.catalog = default_catalog();
    return out;
  }
  auto parsed = parse_document((*row)->document);
  if (!parsed) return fail(parsed.error());
  out.catalog = std::move(*parsed);
  out.version = (*row)->version;
  out.updated_at_ms = (*row)->created_at_ms;
  return out;
}

Result<VersionedCatalog> CatalogService::get(const store::Environment& env,
                                             const std::string& organization_id) {
  auto cur = store_.read<VersionedCatalog>(
      [&](store::Repositories& repos) { return read_catalog(repos, env, organization_id); });
  if (!cur || cur->version > 0 || !organization_id.empty()) return cur;
  // The environment's catalog starts as the default catalog: written as version 1 (audited)
  // the first time it is read, so every later change has a version to diff against.
  auto created = change(env, "", 0, {"system", "gatehouse", "", ""}, "",
                        [](Catalog&, const Catalog&) -> Result<std::string> { return ""; });
  if (!created && created.error().code == errc::RequestPreconditionFailed) {
    return store_.read<VersionedCatalog>(
        [&](store::Repositories& repos) { return read_catalog(repos, env, ""); });
  }
  return created;
}

Result<Catalog> CatalogService::effective(const store::Environment& env,
                                          const std::string& organization_id) {
  auto environment = get(env, "");
  if (!environment) return fail(environment.error());
  if (organization_id.empty()) return environment->catalog;
  auto organization = get(env, organization_id);
  if (!organization) return fail(organization.error());
  return catalog::effective(environment->catalog, &organization->catalog);
}

Result<VersionedCatalog> CatalogService::change(const store::Environment& env,
                                                const std::string& org_id, int64_t expected_version,
                                                const tenancy::Actor& actor,
                                                const std::string& action, const Mutation& mutate) {
  return store_.transact<VersionedCatalog>(
      [&](store::Repositories& repos) -> Result<VersionedCatalog> {
        auto environment = read_catalog(repos, env, "");
        if (!environment) return fail(environment.error());
        // An environment whose catalog was never read starts from the default (version 1).
        auto append = [&](const Catalog& before, const Catalog& after, int64_t version,
                          const std::string& act,
                          const std::string& target) -> Result<VersionedCatalog> {
          const bool organization = !org_id.empty();
          nlohmann::json changes =
              diff_catalogs(view(before, organization), view(after, organization));
          store::CatalogVersionRow row;
          row.environment_id = env.id;
          row.organization_id = org_id;
          row.version = version;
          row.document = catalog_json(after).dump();
          row.diff = changes.dump();
          row.action = act;
          row.actor_type = actor.type;
          row.actor_id = actor.id;
          auto written = repos.catalog().append(row);
          if (!written) return fail(written.error());
          nlohmann::json summary = {{"version", version}, {"changes", changes}};
          nlohmann::json payload = {{"version", version}, {"changes", changes}};
          if (organization) payload["organization_id"] = org_id;
          if (auto ok = tenancy_.record(repos, env, org_id, actor, act, "catalog",
                                        target.empty() ? (organization ? org_id : env.id) : target,
                                        summary, payload);
              !ok) {
            return fail(ok.error());
          }
          repos.changed("catalog", env.id + "/" + org_id);
          return VersionedCatalog{after, version, written->created_at_ms};
        };
        if (environment->version == 0) {
          auto created = append(Catalog{}, environment->catalog, 1, "catalog.created", "");
          if (!created) return fail(created.error());
          *environment = std::move(*created);
        }
        VersionedCatalog current = *environment;
        if (!org_id.empty()) {
          auto own = read_catalog(repos, env, org_id);
          if (!own) return fail(own.error());
          current = std::move(*own);
        }
        if (action.empty()) return current;  // only the creation
        if (expected_version >= 0 && expected_version != current.version) {
          return fail(errc::RequestPreconditionFailed,
                      "The catalog is at version " + std::to_string(current.version) + ", not " +
                          std::to_string(expected_version) + "; read it again");
        }
        Catalog next = current.catalog;
        if (!org_id.empty() && next.name_space.empty()) {
          auto org = repos.organizations().get(env.id, org_id);
          if (!org) return fail(org.error());
          // Fixed at the first custom attribute: a later slug change does not rename them.
          next.name_space = org->slug;
        }
        auto target = mutate(next, environment->catalog);
        if (!target) return fail(target.error());
        if (auto ok = check_catalog(next); !ok) return fail(ok.error());
        return append(current.catalog, next, current.version + 1, action,
                      org_id.empty() ? *target : qualified_custom_name(next.name_space, *target));
      });
}

Result<VersionedCatalog> CatalogService::add_attribute(const store::Environment& env,
                                                       const std::string& organization_id,
                                                       const nlohmann::json& definition,
                                                       int64_t expected_version,
                                                       const tenancy::Actor& actor) {
  auto def = parse_attribute(definition);
  if (!def) return fail(def.error());
  if (def->custom || def->deprecated) {
    Error e(errc::CatalogInvalidAttribute,
            def->custom ? "'custom' is set by Gatehouse: add the attribute to an organization"
                        : "Add the attribute, then deprecate it");
    e.extra["field"] = def->custom ? "custom" : "deprecated";
    return fail(std::move(e));
  }
  const std::string action = "catalog.attribute_added";
  return change(env, organization_id, expected_version, actor, action,
                [&](Catalog& next, const Catalog&) -> Result<std::string> {
                  if (!organization_id.empty()) {
                    if (auto ok = check_custom(*def, next.name_space); !ok) return fail(ok.error());
                  }
                  if (next.find(def->name)) {
                    return fail(errc::CatalogAttributeExists,
                                "The catalog already has an attribute named '" + def->name + "'");
                  }
                  next.attributes.push_back(*def);
                  return def->name;
                });
}

Result<VersionedCatalog> CatalogService::update_attribute(
    const store::Environment& env, const std::string& organization_id, const std::string& name,
    const nlohmann::json& patch, int64_t expected_version, const tenancy::Actor& actor) {
  if (!patch.is_object()) return fail(errc::RequestInvalidJson, "The patch is a JSON object");
  return change(env, organization_id, expected_version, actor, "catalog.attribute_updated",
                [&](Catalog& next, const Catalog& environment) -> Result<std::string> {
                  const std::string short_name = unqualified(next, name);
                  AttributeDefinition* a = find_mut(next, short_name);
                  if (!a) return fail(attribute_not_found(name));
                  nlohmann::json merged = attribute_json(*a);
                  for (const auto& [k, v] : patch.items()) {
                    if (k == "name" && v != merged["name"]) {
                      Error e(
                          errc::CatalogInvalidAttribute,
                          "Attributes cannot be renamed: add the new one and deprecate this one");
                      e.extra["field"] = "name";
                      return fail(std::move(e));
                    }
                    if (k == "custom") {
                      Error e(errc::CatalogInvalidAttribute, "'custom' is set by Gatehouse");
                      e.extra["field"] = "custom";
                      return fail(std::move(e));
                    }
                    merged[k] = v;
                  }
                  auto def = parse_attribute(merged);
                  if (!def) return fail(def.error());
                  if (!organization_id.empty()) {
                    if (auto ok = check_custom(*def, next.name_space); !ok) return fail(ok.error());
                  }
                  if (def->deprecated && !def->replaced_by.empty() &&
                      !catalog::effective(environment, organization_id.empty() ? nullptr : &next)
                           .find(def->replaced_by) &&
                      !next.find(def->replaced_by)) {
                    return fail(attribute_not_found(def->replaced_by));
                  }
                  *a = std::move(*def);
                  return a->name;
                });
}

Result<VersionedCatalog> CatalogService::deprecate_attribute(
    const store::Environment& env, const std::string& organization_id, const std::string& name,
    const std::string& replaced_by, int64_t expected_version, const tenancy::Actor& actor) {
  return change(env, organization_id, expected_version, actor, "catalog.attribute_deprecated",
                [&](Catalog& next, const Catalog& environment) -> Result<std::string> {
                  AttributeDefinition* a = find_mut(next, unqualified(next, name));
                  if (!a) return fail(attribute_not_found(name));
                  if (!replaced_by.empty()) {
                    const Catalog seen =
                        organization_id.empty() ? next : catalog::effective(environment, &next);
                    const std::string own = unqualified(next, replaced_by);
                    const bool known =
                        seen.find(replaced_by) || (!organization_id.empty() && next.find(own));
                    if (!known || own == a->name || replaced_by == a->name) {
                      Error e(errc::CatalogAttributeNotFound,
                              "replaced_by must name another attribute of this catalog");
                      e.extra["field"] = "replaced_by";
                      return fail(std::move(e));
                    }
                  }
                  a->deprecated = true;
                  a->replaced_by = replaced_by;
                  return a->name;
                });
}

Result<std::vector<store::CatalogVersionRow>> CatalogService::versions(
    const store::Environment& env, const std::string& organization_id, int64_t before, int limit) {
  if (organization_id.empty()) {
    if (auto ok = get(env, ""); !ok) return fail(ok.error());
  }
  return store_.read<std::vector<store::CatalogVersionRow>>(
      [&](store::Repositories& repos) -> Result<std::vector<store::CatalogVersionRow>> {
        if (!organization_id.empty()) {
          auto org = repos.organizations().get(env.id, organization_id);
          if (!org) return fail(org.error());
        }
        return repos.catalog().list(env.id, organization_id, before, limit);
      });
}

Result<store::CatalogVersionRow> CatalogService::version(const store::Environment& env,
                                                         const std::string& organization_id,
                                                         int64_t version) {
  if (organization_id.empty()) {
    if (auto ok = get(env, ""); !ok) return fail(ok.error());
  }
  return store_.read<store::CatalogVersionRow>(
      [&](store::Repositories& repos) -> Result<store::CatalogVersionRow> {
        if (!organization_id.empty()) {
          auto org = repos.organizations().get(env.id, organization_id);
          if (!org) return fail(org.error());
        }
        return repos.catalog().get(env.id, organization_id, version);
      });
}

Result<nlohmann::json> CatalogService::diff(const store::Environment& env,
                                            const std::string& organization_id, int64_t from,
                                            int64_t to) {
  auto load = [&](int64_t v) -> Result<Catalog> {
    if (v == 0) return Catalog{};
    auto row = version(env, organization_id, v);
    if (!row) return fail(row.error());
    return parse_document(row->document);
  };
  auto a = load(from);
  if (!a) return fail(a.error());
  auto b = load(to);
  if (!b) return fail(b.error());
  const bool organization = !organization_id.empty();
  return nlohmann::json{{"from", from},
                        {"to", to},
                        {"changes", diff_catalogs(view(*a, organization), view(*b, organization))}};
}

nlohmann::json version_json(const store::CatalogVersionRow& row) {
  nlohmann::json j = {{"version", row.version},
                      {"action", row.action},
                      {"actor", {{"type", row.actor_type}, {"id", row.actor_id}}},
                      {"created_at_ms", row.created_at_ms},
                      {"changes", nlohmann::json::parse(row.diff, nullptr, false)}};
  if (!row.organization_id.empty()) j["organization_id"] = row.organization_id;
  return j;
}

}  // namespace gh::catalog
