#include "oauth/application_cache.h"

#include "oauth/error_codes.h"

namespace gh::oauth {

namespace {
std::string key_of(std::string_view a, std::string_view b) {
  std::string k;
  k.reserve(a.size() + b.size() + 1);
  k.append(a).push_back('\n');
  k.append(b);
  return k;
}
}  // namespace

ApplicationCache::ApplicationCache(store::Store& store, const Clock& clock, size_t max_entries)
    : store_(store), clock_(clock), max_entries_(max_entries) {}

template <class T>
std::shared_ptr<const T> ApplicationCache::find(
    const std::unordered_map<std::string, Entry<T>>& map, const std::string& key,
    int64_t now) const {
  auto it = map.find(key);
  if (it == map.end() || now - it->second.loaded_ms >= kApplicationCacheTtlMs) return nullptr;
  return it->second.value;
}

template <class T>
void ApplicationCache::put(std::unordered_map<std::string, Entry<T>>& map, const std::string& key,
                           std::shared_ptr<const T> value, int64_t now) {
  if (map.size() >= max_entries_) map.clear();  // bounded; refills within one TTL
  map[key] = Entry<T>{std::move(value), now};
}

Result<std::shared_ptr<const CachedClient>> ApplicationCache::client(
    std::string_view environment_id, std::string_view client_id) {
  const std::string key = key_of(environment_id, client_id);
  const int64_t now = clock_.now_ms();
  uint64_t generation = 0;
  {
    std::lock_guard lock(mu_);
    if (auto hit = find(clients_, key, now)) return hit;
    generation = generation_;
  }
  auto loaded = store_.read<CachedClient>([&](store::Repositories& r) -> Result<CachedClient> {
    auto app = r.applications().find_by_client_id(environment_id, client_id);
    if (!app) return fail(app.error());
    auto secrets = r.applications().list_secrets(environment_id, app->organization_id, app->id);
    if (!secrets) return fail(secrets.error());
    return CachedClient{std::move(*app), std::move(*secrets)};
  });
  if (!loaded) return fail(loaded.error());
  auto value = std::make_shared<const CachedClient>(std::move(*loaded));
  std::lock_guard lock(mu_);
  if (generation == generation_) put(clients_, key, value, now);
  return value;
}

Result<std::shared_ptr<const CachedGrants>> ApplicationCache::grants(
    const store::Application& app) {
  const std::string key = key_of(app.environment_id, app.id);
  const int64_t now = clock_.now_ms();
  uint64_t generation = 0;
  {
    std::lock_guard lock(mu_);
    if (auto hit = find(grants_, key, now)) return hit;
    generation = generation_;
  }
  auto loaded = store_.read<CachedGrants>([&](store::Repositories& r) -> Result<CachedGrants> {
    CachedGrants out;
    auto grants = r.applications().list_grants(app.environment_id, app.organization_id, app.id);
    if (!grants) return fail(grants.error());
    out.grants = std::move(*grants);
    for (const auto& g : out.grants) {
      if (out.resources.count(g.resource_id)) continue;
      auto res = r.applications().get_resource(app.environment_id, g.resource_id);
      if (!res) return fail(res.error());
      out.resources.emplace(g.resource_id, std::move(*res));
    }
    return out;
  });
  if (!loaded) return fail(loaded.error());
  auto value = std::make_shared<const CachedGrants>(std::move(*loaded));
  std::lock_guard lock(mu_);
  if (generation == generation_) put(grants_, key, value, now);
  return value;
}

Result<std::optional<store::Resource>> ApplicationCache::resource(std::string_view environment_id,
                                                                  std::string_view identifier) {
  const std::string key = key_of(environment_id, identifier);
  const int64_t now = clock_.now_ms();
  uint64_t generation = 0;
  {
    std::lock_guard lock(mu_);
    if (auto hit = find(resources_, key, now)) return *hit;
    generation = generation_;
  }
  auto loaded = store_.read<std::optional<store::Resource>>(
      [&](store::Repositories& r) -> Result<std::optional<store::Resource>> {
        auto res = r.applications().find_resource(environment_id, identifier);
        if (res) return std::optional<store::Resource>(std::move(*res));
        if (res.error().code == errc::ResourceNotFound) return std::optional<store::Resource>();
        return fail(res.error());
      });
  if (!loaded) return fail(loaded.error());
  auto value = std::make_shared<const std::optional<store::Resource>>(*loaded);
  std::lock_guard lock(mu_);
  // Unknown identifiers are not kept: only a registered resource's answer is worth a slot.
  if (generation == generation_ && value->has_value()) put(resources_, key, value, now);
  return *value;
}

void ApplicationCache::forget_all() {
  std::lock_guard lock(mu_);
  ++generation_;
  clients_.clear();
  grants_.clear();
  resources_.clear();
}

}  // namespace gh::oauth
