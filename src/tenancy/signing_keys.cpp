#include "tenancy/signing_keys.h"

#include "core/log.h"
#include "crypto/error_codes.h"
#include "crypto/jose/key_rotation.h"

namespace gh::tenancy {

namespace {

std::string cache_key(std::string_view env_id, std::string_view org) {
  return std::string(env_id) + "/" + std::string(org);
}

crypto::SealContext private_context(const store::SigningKeyRow& row) {
  return {row.environment_id, row.organization_id, "signing_keys", row.kid, "private_jwk"};
}

jose::KeySpec spec_for(jose::Alg alg, const KeySettings& s) {
  switch (alg) {
    case jose::Alg::ES256:
      return jose::KeySpec::EcP256;
    case jose::Alg::EdDSA:
      return jose::KeySpec::Ed25519;
    default:
      return s.rsa_bits == 3072 ? jose::KeySpec::Rsa3072 : jose::KeySpec::Rsa2048;
  }
}

Result<VersionedKeySettings> read_settings(store::Repositories& repos, std::string_view env,
                                           std::string_view org) {
  auto row = repos.keys().get_settings(env, org);
  if (!row) return fail(row.error());
  if (!*row) return VersionedKeySettings{};
  auto s = KeySettings::from_json(nlohmann::json::parse((*row)->settings, nullptr, false));
  if (!s) return fail(s.error());
  return VersionedKeySettings{*s, (*row)->version};
}

std::string state_of(jose::KeyState s) { return std::string(jose::key_state_name(s)); }

}  // namespace

nlohmann::json signing_key_json(const store::SigningKeyRow& row) {
  nlohmann::json jwk = nlohmann::json::parse(row.public_jwk, nullptr, false);
  if (jwk.is_object()) {
    jwk["kid"] = row.kid;
    jwk["alg"] = row.alg;
    jwk["use"] = row.use;
  }
  return {{"kid", row.kid},
          {"alg", row.alg},
          {"use", row.use},
          {"state", row.state},
          {"state_since", format_rfc3339(row.state_since_ms)},
          {"created_at", format_rfc3339(row.created_at_ms)},
          {"organization_id", row.organization_id.empty() ? nlohmann::json(nullptr)
                                                          : nlohmann::json(row.organization_id)},
          {"public_jwk", jwk}};
}

KeyService::KeyService(store::Store& store, Sealing& sealing, TenancyService& tenancy,
                       std::string public_url, const Clock& clock)
    : store_(store),
      sealing_(sealing),
      tenancy_(tenancy),
      public_url_(std::move(public_url)),
      clock_(clock) {
  while (!public_url_.empty() && public_url_.back() == '/') public_url_.pop_back();
  std::weak_ptr<State> weak = state_;
  store.changes().subscribe([weak](const store::Change& c) {
    auto state = weak.lock();
    if (!state) return;
    if (c.flush_all()) {
      std::lock_guard lock(state->mu);
      state->cache.clear();
      state->no_own_issuer.clear();
    } else if (c.topic == "signing_keys" || c.topic == "kek") {
      std::lock_guard lock(state->mu);
      state->cache.erase(c.key);
      state->no_own_issuer.erase(c.key);
    }
  });
}

std::string KeyService::issuer_url(const store::Environment& env,
                                   std::string_view organization_id) const {
  std::string url = public_url_ + "/" + env.name;
  if (!organization_id.empty()) url += "/o/" + std::string(organization_id);
  return url;
}

void KeyService::forget(std::string_view environment_id, std::string_view organization_id) {
  std::lock_guard lock(state_->mu);
  state_->cache.erase(cache_key(environment_id, organization_id));
}

Result<std::shared_ptr<const IssuerKeys>> KeyService::keys(const store::Environment& env,
                                                           std::string_view organization_id) {
  const std::string key = cache_key(env.id, organization_id);
  {
    std::lock_guard lock(state_->mu);
    auto it = state_->cache.find(key);
    if (it != state_->cache.end() && clock_.now_ms() - it->second->loaded_ms < cache_ttl_ms_) {
      // An organization issuer signs with keys sealed under its own KEK: when that key is
      // disabled, its tokens must stop within the data-key cache bound, cached set or not.
      if (!organization_id.empty()) {
        if (auto ok = sealing_.check(env.id, organization_id); !ok) return fail(ok.error());
      }
      return it->second;
    }
  }
  auto loaded = load(env, organization_id);
  if (!loaded) return loaded;
  // No usable key yet (a new issuer, or every key revoked): create what the policy needs.
  bool usable = true;
  for (auto alg : (*loaded)->settings.algorithms) {
    if (!(*loaded)->keys->active_signing_key(alg)) usable = false;
  }
  if (!usable) {
    Actor system;
    if (auto done = rotate_due(env, organization_id, system); !done) return fail(done.error());
    loaded = load(env, organization_id);
    if (!loaded) return loaded;
  }
  std::lock_guard lock(state_->mu);
  state_->cache[key] = *loaded;
  return loaded;
}

Result<bool> KeyService::has_own_issuer(const store::Environment& env,
                                        std::string_view organization_id) {
  if (organization_id.empty()) return true;
  const std::string key = cache_key(env.id, organization_id);
  {
    std::lock_guard lock(state_->mu);
    auto it = state_->no_own_issuer.find(key);
    if (it != state_->no_own_issuer.end() && clock_.now_ms() - it->second < cache_ttl_ms_) {
      return false;
    }
  }
  auto k = keys(env, organization_id);
  if (k) return true;
  if (k.error().code != errc::KeyIssuerNotFound) return fail(k.error());
  std::lock_guard lock(state_->mu);
  state_->no_own_issuer[key] = clock_.now_ms();
  return false;
}

Result<std::shared_ptr<const IssuerKeys>> KeyService::load(const store::Environment& env,
                                                           std::string_view organization_id) {
  struct Loaded {
    VersionedKeySettings settings;
    std::vector<store::SigningKeyRow> rows;
  };
  auto data = store_.read<Loaded>([&](store::Repositories& repos) -> Result<Loaded> {
    auto s = read_settings(repos, env.id, organization_id);
    if (!s) return fail(s.error());
    auto rows = repos.keys().list_signing_keys(env.id, organization_id);
    if (!rows) return fail(rows.error());
    return Loaded{*s, *rows};
  });
  if (!data) return fail(data.error());
  if (!organization_id.empty() && !data->settings.settings.own_issuer) {
    return fail(errc::KeyIssuerNotFound,
                "Organization '" + std::string(organization_id) + "' has no issuer of its own");
  }
  std::vector<jose::KeyRecord> records;
  for (const auto& row : data->rows) {
    nlohmann::json jwk;
    if (row.state == "next" || row.state == "active") {
      auto opened = sealing_.open(private_context(row), row.private_sealed);
      if (!opened) return fail(opened.error());
      jwk = nlohmann::json::parse(*opened, nullptr, false);
    } else {
      jwk = nlohmann::json::parse(row.public_jwk, nullptr, false);
    }
    records.push_back({row.kid, row.alg, row.use, row.state, jwk});
  }
  auto set = jose::KeySet::from_records(records);
  if (!set) return fail(set.error());
  auto out = std::make_shared<IssuerKeys>();
  out->issuer = issuer_url(env, organization_id);
  out->jwks = set->public_jwks();
  out->jwks_body = out->jwks.dump();
  out->keys = std::make_shared<const jose::KeySet>(std::move(*set));
  out->settings = data->settings.settings;
  out->loaded_ms = clock_.now_ms();
  return std::shared_ptr<const IssuerKeys>(std::move(out));
}

Result<jose::KeyEntry> KeyService::signing_key(const store::Environment& env,
                                               std::string_view organization_id,
                                               std::optional<jose::Alg> alg) {
  auto k = keys(env, organization_id);
  if (!k) return fail(k.error());
  const jose::Alg want = alg.value_or((*k)->settings.default_alg);
  const auto* entry = (*k)->keys->active_signing_key(want);
  if (!entry) {
    return fail(errc::KeyAlgorithmUnavailable, "The issuer has no active " +
                                                   std::string(jose::alg_name(want)) +
                                                   " key; add it to the issuer's key settings");
  }
  return *entry;
}

Result<std::vector<store::SigningKeyRow>> KeyService::list(const store::Environment& env,
                                                           std::string_view organization_id) {
  // Reading through keys() makes sure the issuer exists and has its keys.
  if (auto k = keys(env, organization_id); !k) return fail(k.error());
  return store_.read<std::vector<store::SigningKeyRow>>([&](store::Repositories& repos) {
    return repos.keys().list_signing_keys(env.id, organization_id);
  });
}

Result<VersionedKeySettings> KeyService::settings(const store::Environment& env,
                                                  std::string_view organization_id) {
  return store_.read<VersionedKeySettings>(
      [&](store::Repositories& repos) { return read_settings(repos, env.id, organization_id); });
}

Result<bool> KeyService::audit(store::Repositories& repos, const store::Environment& env,
                               std::string_view organization_id, const Actor& actor,
                               const std::string& action, const store::SigningKeyRow& row) {
  nlohmann::json summary = {{"kid", row.kid},
                            {"alg", row.alg},
                            {"state", row.state},
                            {"issuer", issuer_url(env, organization_id)}};
  return tenancy_.record(repos, env, std::string(organization_id), actor, action, "signing_key",
                         row.kid, summary, {{"key", signing_key_json(row)}});
}

Result<store::SigningKeyRow> KeyService::create_key(store::Repositories& repos,
                                                    const store::Environment& env,
                                                    std::string_view organization_id, jose::Alg alg,
                                                    const KeySettings& settings,
                                                    jose::KeyState state, const Actor& actor) {
  auto entry = jose::KeySet::generate(spec_for(alg, settings), alg, state);
  if (!entry) return fail(entry.error());
  store::SigningKeyRow row;
  row.environment_id = env.id;
  row.organization_id = std::string(organization_id);
  row.kid = entry->kid;
  row.alg = std::string(jose::alg_name(alg));
  row.use = "sig";
  row.state = state_of(state);
  row.public_jwk = entry->key.public_json().dump();
  row.state_since_ms = row.created_at_ms = clock_.now_ms();
  auto sealed = sealing_.seal(private_context(row), entry->key.private_json().dump());
  if (!sealed) return fail(sealed.error());
  row.private_sealed = *sealed;
  if (auto ok = repos.keys().insert_signing_key(row); !ok) return fail(ok.error());
  if (auto ok = audit(repos, env, organization_id, actor, "key.created", row); !ok) {
    return fail(ok.error());
  }
  return row;
}

Result<size_t> KeyService::rotate_due(const store::Environment& env,
                                      std::string_view organization_id, const Actor& actor) {
  // The data key may need creating (an HSM call): do it before the transaction.
  if (auto ok = sealing_.check(env.id, organization_id); !ok) return fail(ok.error());
  auto applied = store_.transact<size_t>([&](store::Repositories& repos) -> Result<size_t> {
    if (auto ok = repos.keys().lock_issuer(env.id, organization_id); !ok) return fail(ok.error());
    auto s = read_settings(repos, env.id, organization_id);
    if (!s) return fail(s.error());
    if (!organization_id.empty() && !s->settings.own_issuer) return size_t{0};
    auto rows = repos.keys().list_signing_keys(env.id, organization_id);
    if (!rows) return fail(rows.error());
    std::vector<jose::KeyTimeline> timeline;
    for (const auto& r : *rows) {
      auto alg = jose::parse_alg(r.alg);
      auto state = jose::parse_key_state(r.state);
      if (alg && state) timeline.push_back({r.kid, *alg, *state, r.state_since_ms});
    }
    const auto steps = jose::plan_rotation(timeline, s->settings.algorithms, s->settings.rotation,
                                           clock_.now_ms());
    for (const auto& step : steps) {
      Result<store::SigningKeyRow> row = fail(errc::ServerInternal);
      std::string action;
      switch (step.action) {
        case jose::RotationAction::CreateActive:
        case jose::RotationAction::CreateNext: {
          const auto state = step.action == jose::RotationAction::CreateActive
                                 ? jose::KeyState::Active
                                 : jose::KeyState::Next;
          auto created =
              create_key(repos, env, organization_id, step.alg, s->settings, state, actor);
          if (!created) return fail(created.error());
          continue;  // create_key audits
        }
        case jose::RotationAction::Activate:
          row = repos.keys().set_signing_key_state(env.id, organization_id, step.kid, "active",
                                                   clock_.now_ms());
          action = "key.activated";
          break;
        case jose::RotationAction::Retire:
          row = repos.keys().set_signing_key_state(env.id, organization_id, step.kid, "retired",
                                                   clock_.now_ms());
          action = "key.retired";
          break;
        case jose::RotationAction::Remove: {
          store::SigningKeyRow gone;
          for (const auto& r : *rows) {
            if (r.kid == step.kid) gone = r;
          }
          if (auto ok = repos.keys().delete_signing_key(env.id, organization_id, step.kid); !ok) {
            return fail(ok.error());
          }
          row = gone;
          action = "key.removed";
          break;
        }
      }
      if (!row) return fail(row.error());
      if (auto ok = audit(repos, env, organization_id, actor, action, *row); !ok) {
        return fail(ok.error());
      }
    }
    if (!steps.empty()) repos.changed("signing_keys", cache_key(env.id, organization_id));
    return steps.size();
  });
  if (applied && *applied > 0) {
    log::info("signing keys rotated", {{"environment", env.name},
                                       {"organization", std::string(organization_id)},
                                       {"steps", *applied}});
  }
  return applied;
}

Result<size_t> KeyService::rotate_all_due() {
  auto envs = store_.read<std::vector<store::Environment>>(
      [](store::Repositories& repos) { return repos.environments().list(); });
  if (!envs) return fail(envs.error());
  size_t total = 0;
  Actor system;
  for (const auto& env : *envs) {
    auto n = rotate_due(env, "", system);
    if (!n) {
      log::warn("key rotation failed", {{"environment", env.name}, {"error", n.error().text()}});
    } else {
      total += *n;
    }
    auto rows = store_.read<std::vector<store::KeySettingsRow>>(
        [&](store::Repositories& repos) { return repos.keys().list_settings(env.id); });
    if (!rows) continue;
    for (const auto& row : *rows) {
      if (row.organization_id.empty()) continue;
      auto s = KeySettings::from_json(nlohmann::json::parse(row.settings, nullptr, false));
      if (!s || !s->own_issuer) continue;
      auto m = rotate_due(env, row.organization_id, system);
      if (!m) {
        // A disabled customer key stops that organization's rotation, nobody else's.
        log::warn("key rotation failed", {{"environment", env.name},
                                          {"organization", row.organization_id},
                                          {"error", m.error().text()}});
      } else {
        total += *m;
      }
    }
  }
  return total;
}

Result<VersionedKeySettings> KeyService::update_settings(const store::Environment& env,
                                                         std::string_view organization_id,
                                                         const nlohmann::json& patch,
                                                         int64_t expected_version,
                                                         const Actor& actor) {
  auto updated = store_.transact<VersionedKeySettings>([&](store::Repositories& repos)
                                                           -> Result<VersionedKeySettings> {
    auto current = read_settings(repos, env.id, organization_id);
    if (!current) return fail(current.error());
    if (expected_version >= 0 && expected_version != current->version) {
      return fail(errc::RequestPreconditionFailed,
                  "The key settings were changed by someone else; read them again");
    }
    KeySettings next = current->settings;
    if (auto ok = next.apply_patch(patch, !organization_id.empty()); !ok) {
      return fail(ok.error());
    }
    store::KeySettingsRow row{env.id, std::string(organization_id), next.to_json().dump(), 0, 0};
    auto written = repos.keys().put_settings(row, current->version);
    if (!written) return fail(written.error());
    nlohmann::json summary = {{"from", current->settings.public_json()},
                              {"to", next.public_json()}};
    if (auto ok = tenancy_.record(repos, env, std::string(organization_id), actor,
                                  "key_settings.updated", "key_settings",
                                  organization_id.empty() ? env.id : std::string(organization_id),
                                  summary, {{"key_settings", next.public_json()}});
        !ok) {
      return fail(ok.error());
    }
    repos.changed("signing_keys", cache_key(env.id, organization_id));
    return VersionedKeySettings{next, written->version};
  });
  if (!updated) return updated;
  // New algorithms (or a new organization issuer) get their keys now, not at the next check.
  if (organization_id.empty() || updated->settings.own_issuer) {
    if (auto done = rotate_due(env, organization_id, actor); !done) return fail(done.error());
  }
  forget(env.id, organization_id);
  return updated;
}

Result<store::SigningKeyRow> KeyService::rotate(const store::Environment& env,
                                                std::string_view organization_id, jose::Alg alg,
                                                const Actor& actor) {
  if (auto k = keys(env, organization_id); !k) return fail(k.error());
  auto out = store_.transact<store::SigningKeyRow>(
      [&](store::Repositories& repos) -> Result<store::SigningKeyRow> {
        if (auto ok = repos.keys().lock_issuer(env.id, organization_id); !ok) {
          return fail(ok.error());
        }
        auto s = read_settings(repos, env.id, organization_id);
        if (!s) return fail(s.error());
        if (std::find(s->settings.algorithms.begin(), s->settings.algorithms.end(), alg) ==
            s->settings.algorithms.end()) {
          return fail(errc::KeyAlgorithmUnavailable,
                      "The issuer does not use " + std::string(jose::alg_name(alg)) +
                          "; add it to the key settings' algorithms first");
        }
        auto rows = repos.keys().list_signing_keys(env.id, organization_id);
        if (!rows) return fail(rows.error());
        const std::string name(jose::alg_name(alg));
        const int64_t now = clock_.now_ms();
        std::optional<store::SigningKeyRow> next;
        for (const auto& r : *rows) {
          if (r.alg == name && r.state == "next") next = r;
        }
        Result<store::SigningKeyRow> fresh = fail(errc::ServerInternal);
        if (next) {
          fresh =
              repos.keys().set_signing_key_state(env.id, organization_id, next->kid, "active", now);
          if (!fresh) return fresh;
          if (auto ok = audit(repos, env, organization_id, actor, "key.activated", *fresh); !ok) {
            return fail(ok.error());
          }
        } else {
          fresh = create_key(repos, env, organization_id, alg, s->settings, jose::KeyState::Active,
                             actor);
          if (!fresh) return fresh;
        }
        for (const auto& r : *rows) {
          if (r.alg != name || r.state != "active") continue;
          auto retired =
              repos.keys().set_signing_key_state(env.id, organization_id, r.kid, "retired", now);
          if (!retired) return fail(retired.error());
          if (auto ok = audit(repos, env, organization_id, actor, "key.retired", *retired); !ok) {
            return fail(ok.error());
          }
        }
        repos.changed("signing_keys", cache_key(env.id, organization_id));
        return fresh;
      });
  forget(env.id, organization_id);
  return out;
}

Result<store::SigningKeyRow> KeyService::revoke(const store::Environment& env,
                                                std::string_view organization_id,
                                                std::string_view kid, const Actor& actor) {
  if (auto ok = sealing_.check(env.id, organization_id); !ok && !organization_id.empty()) {
    // Revoking must work even when the organization's own key is gone: it only needs the row.
    log::warn("revoking a key while the organization's KEK is unavailable",
              {{"organization", std::string(organization_id)}});
  }
  auto out = store_.transact<store::SigningKeyRow>(
      [&](store::Repositories& repos) -> Result<store::SigningKeyRow> {
        if (auto ok = repos.keys().lock_issuer(env.id, organization_id); !ok) {
          return fail(ok.error());
        }
        auto rows = repos.keys().list_signing_keys(env.id, organization_id);
        if (!rows) return fail(rows.error());
        const store::SigningKeyRow* found = nullptr;
        for (const auto& r : *rows) {
          if (r.kid == kid) found = &r;
        }
        if (!found) {
          return fail(errc::KeyNotFound,
                      "No signing key '" + std::string(kid) + "' on this issuer");
        }
        if (found->state == "revoked") {
          return fail(errc::KeyAlreadyRevoked,
                      "Signing key '" + std::string(kid) + "' is already revoked");
        }
        auto revoked = repos.keys().set_signing_key_state(env.id, organization_id, kid, "revoked",
                                                          clock_.now_ms());
        if (!revoked) return revoked;
        if (auto ok = audit(repos, env, organization_id, actor, "key.revoked", *revoked); !ok) {
          return fail(ok.error());
        }
        repos.changed("signing_keys", cache_key(env.id, organization_id));
        return revoked;
      });
  if (!out) return out;
  forget(env.id, organization_id);
  // A revoked active key leaves its algorithm without a signer: the planner replaces it now.
  if (out->state == "revoked") {
    if (auto done = rotate_due(env, organization_id, actor); !done) {
      log::warn("no replacement for a revoked key yet", {{"error", done.error().text()}});
    }
  }
  return out;
}

Result<nlohmann::json> KeyService::set_customer_key(const store::Environment& env,
                                                    std::string_view organization_id,
                                                    const std::optional<CustomerKeyInput>& input,
                                                    const Actor& actor) {
  auto current = settings(env, organization_id);
  if (!current) return fail(current.error());
  KeySettings next = current->settings;
  const nlohmann::json before = current->settings.public_json()["kek"];
  auto rewrapped = sealing_.rekey(env.id, organization_id, input, next);
  if (!rewrapped) return fail(rewrapped.error());
  auto stored = store_.transact<bool>([&](store::Repositories& repos) -> Result<bool> {
    store::KeySettingsRow row{env.id, std::string(organization_id), next.to_json().dump(), 0, 0};
    auto written = repos.keys().put_settings(row, current->version);
    if (!written) return fail(written.error());
    const nlohmann::json after = next.public_json()["kek"];
    if (auto ok = tenancy_.record(repos, env, std::string(organization_id), actor, "kek.changed",
                                  "organization", std::string(organization_id),
                                  {{"from", before}, {"to", after}, {"rewrapped", *rewrapped}},
                                  {{"kek", after}});
        !ok) {
      return fail(ok.error());
    }
    repos.changed("kek", cache_key(env.id, organization_id));
    return true;
  });
  if (!stored) return fail(stored.error());
  forget(env.id, organization_id);
  nlohmann::json out = sealing_.status(env.id, organization_id);
  out["rewrapped_data_keys"] = *rewrapped;
  return out;
}

}  // namespace gh::tenancy
