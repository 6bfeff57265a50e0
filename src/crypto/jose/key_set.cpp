#include "crypto/jose/key_set.h"
#include "crypto/error_codes.h"

#include <array>

namespace gh::jose {

namespace {
constexpr std::array<std::pair<KeyState, std::string_view>, 4> kStates = {{
    {KeyState::Next, "next"},
    {KeyState::Active, "active"},
    {KeyState::Retired, "retired"},
    {KeyState::Revoked, "revoked"},
}};

std::string_view use_name(KeyUse use) { return use == KeyUse::Sig ? "sig" : "enc"; }

tl::unexpected<Error> invalid(std::string detail) {
  return fail(errc::JoseJwkInvalid, {}, std::move(detail));
}
}  // namespace

std::string_view key_state_name(KeyState state) {
  for (const auto& [s, name] : kStates) {
    if (s == state) return name;
  }
  return {};
}

std::optional<KeyState> parse_key_state(std::string_view name) {
  for (const auto& [s, n] : kStates) {
    if (n == name) return s;
  }
  return std::nullopt;
}

Result<void> check_key_fits_alg(const Jwk& key, Alg alg) {
  if (key.type() != key_type_for(alg)) {
    return fail(errc::JoseKeyTypeMismatch, {},
                std::string(alg_name(alg)) + " needs a " +
                    std::string(key_type_name(key_type_for(alg))) + " key, not " +
                    std::string(key_type_name(key.type())));
  }
  if (key.type() == KeyType::RSA && key.bits() < 2048) {
    return fail(errc::JoseKeyTypeMismatch, {}, "RSA keys must have at least 2048 bits");
  }
  return {};
}

Result<void> KeySet::add(KeyEntry entry) {
  if (entry.kid.empty()) return invalid("a key needs a kid");
  if (by_kid_.count(entry.kid) != 0) return invalid("duplicate kid " + entry.kid);
  if (is_signing_alg(entry.alg) != (entry.use == KeyUse::Sig)) {
    return invalid(std::string(alg_name(entry.alg)) + " does not fit use " +
                   std::string(use_name(entry.use)));
  }
  if (auto ok = check_key_fits_alg(entry.key, entry.alg); !ok) return ok;
  by_kid_.emplace(entry.kid, entries_.size());
  entries_.push_back(std::move(entry));
  return {};
}

Result<KeyEntry> KeySet::generate(KeySpec spec, Alg alg, KeyState state) {
  auto key = Jwk::generate(spec);
  if (!key) return fail(key.error());
  if (auto ok = check_key_fits_alg(*key, alg); !ok) return fail(ok.error());
  KeyEntry entry{key->thumbprint(), alg, is_signing_alg(alg) ? KeyUse::Sig : KeyUse::Enc, state,
                 std::move(*key)};
  return entry;
}

Result<KeySet> KeySet::from_records(const std::vector<KeyRecord>& records) {
  KeySet set;
  for (const auto& r : records) {
    auto alg = parse_alg(r.alg);
    if (!alg) return invalid("unsupported alg " + r.alg + " for kid " + r.kid);
    auto state = parse_key_state(r.state);
    if (!state) return invalid("bad state " + r.state + " for kid " + r.kid);
    if (r.use != "sig" && r.use != "enc") return invalid("bad use " + r.use);
    auto key = Jwk::from_json(r.jwk);
    if (!key) return fail(key.error());
    KeyEntry entry{r.kid, *alg, r.use == "sig" ? KeyUse::Sig : KeyUse::Enc, *state,
                   std::move(*key)};
    if (auto ok = set.add(std::move(entry)); !ok) return fail(ok.error());
  }
  return set;
}

Result<KeySet> KeySet::from_jwks(const nlohmann::json& jwks, const std::vector<Alg>& default_algs) {
  if (!jwks.is_object() || !jwks.contains("keys") || !jwks["keys"].is_array()) {
    return invalid("a JWKS is an object with a \"keys\" array");
  }
  KeySet set;
  for (const auto& j : jwks["keys"]) {
    if (!j.is_object()) return invalid("a JWKS key must be an object");
    auto kid = j.find("kid");
    if (kid == j.end() || !kid->is_string() || kid->get_ref<const std::string&>().empty()) {
      return invalid("every key of a JWKS needs a kid");
    }
    auto key = Jwk::from_json(j);
    if (!key) return fail(key.error());
    std::optional<Alg> alg;
    if (auto a = j.find("alg"); a != j.end()) {
      if (!a->is_string()) return invalid("alg must be a string");
      alg = parse_alg(a->get_ref<const std::string&>());
      if (!alg) continue;  // a key for an algorithm we never accept is simply unusable
    } else {
      for (Alg d : default_algs) {
        if (key_type_for(d) == key->type()) {
          alg = d;
          break;
        }
      }
      if (!alg) continue;
    }
    KeyUse use = is_signing_alg(*alg) ? KeyUse::Sig : KeyUse::Enc;
    if (auto u = j.find("use"); u != j.end()) {
      if (!u->is_string() || *u != use_name(use)) continue;
    }
    KeyEntry entry{kid->get<std::string>(), *alg, use, KeyState::Active, std::move(*key)};
    if (auto ok = set.add(std::move(entry)); !ok) return fail(ok.error());
  }
  return set;
}

const KeyEntry* KeySet::find(std::string_view kid) const {
  auto it = by_kid_.find(std::string(kid));
  return it == by_kid_.end() ? nullptr : &entries_[it->second];
}

const KeyEntry* KeySet::active_signing_key(Alg alg) const {
  for (auto it = entries_.rbegin(); it != entries_.rend(); ++it) {
    if (it->alg == alg && it->use == KeyUse::Sig && it->state == KeyState::Active &&
        it->key.has_private()) {
      return &*it;
    }
  }
  return nullptr;
}

const KeyEntry* KeySet::active_encryption_key(Alg alg) const {
  for (auto it = entries_.rbegin(); it != entries_.rend(); ++it) {
    if (it->alg == alg && it->use == KeyUse::Enc && it->state == KeyState::Active) return &*it;
  }
  return nullptr;
}

nlohmann::json KeySet::public_jwks() const {
  nlohmann::json keys = nlohmann::json::array();
  for (const auto& e : entries_) {
    if (e.state == KeyState::Revoked) continue;
    nlohmann::json j = e.key.public_json();
    j["kid"] = e.kid;
    j["alg"] = alg_name(e.alg);
    j["use"] = use_name(e.use);
    keys.push_back(std::move(j));
  }
  return {{"keys", std::move(keys)}};
}

std::vector<KeyRecord> KeySet::to_records() const {
  std::vector<KeyRecord> out;
  for (const auto& e : entries_) {
    out.push_back({e.kid, std::string(alg_name(e.alg)), std::string(use_name(e.use)),
                   std::string(key_state_name(e.state)), e.key.private_json()});
  }
  return out;
}

Result<KeySet> KeySet::with_state(std::string_view kid, KeyState state) const {
  if (find(kid) == nullptr) return fail(errc::JoseKeyNotFound, {}, std::string(kid));
  KeySet copy = *this;
  copy.entries_[copy.by_kid_.at(std::string(kid))].state = state;
  return copy;
}

Result<KeySet> KeySet::without(std::string_view kid) const {
  if (find(kid) == nullptr) return fail(errc::JoseKeyNotFound, {}, std::string(kid));
  KeySet copy;
  for (const auto& e : entries_) {
    if (e.kid != kid) {
      if (auto ok = copy.add(e); !ok) return fail(ok.error());
    }
  }
  return copy;
}

}  // namespace gh::jose
