#include "tenancy/key_settings.h"
#include "crypto/error_codes.h"

#include <algorithm>

namespace gh::tenancy {

namespace {

Error invalid(const std::string& field, const std::string& message) {
  Error e(errc::KeySettingsInvalid, message);
  e.extra["field"] = field;
  return e;
}

std::vector<std::string> alg_names(const std::vector<jose::Alg>& algs) {
  std::vector<std::string> out;
  for (auto a : algs) out.emplace_back(jose::alg_name(a));
  return out;
}

}  // namespace

nlohmann::json KeySettings::public_json() const {
  nlohmann::json j = {
      {"algorithms", alg_names(algorithms)},
      {"default_alg", std::string(jose::alg_name(default_alg))},
      {"rsa_bits", rsa_bits},
      {"rotation_period_s", rotation.rotation_period.count()},
      {"next_publish_ahead_s", rotation.next_publish_ahead.count()},
      {"retired_publish_for_s", rotation.retired_publish_for.count()},
      {"max_token_lifetime_s", rotation.max_token_lifetime.count()},
      {"skew_s", rotation.skew.count()},
      {"jwks_max_age_s", rotation.jwks_max_age().count()},
      {"own_issuer", own_issuer},
  };
  if (kek) {
    j["kek"] = {{"id", kek->id},
                {"provider", "pkcs11"},
                {"module", kek->module_path},
                {"token_label", kek->token_label},
                {"key_label", kek->key_label}};
  } else {
    j["kek"] = nullptr;
  }
  return j;
}

nlohmann::json KeySettings::to_json() const {
  nlohmann::json j = public_json();
  j.erase("jwks_max_age_s");
  if (kek) j["kek"]["pin_sealed"] = kek->pin_sealed;
  return j;
}

Result<KeySettings> KeySettings::from_json(const nlohmann::json& j) {
  KeySettings s;
  if (!j.is_object()) return s;
  nlohmann::json patch = j;
  patch.erase("kek");
  patch.erase("jwks_max_age_s");
  if (auto ok = s.apply_patch(patch, true); !ok) return fail(ok.error());
  if (j.contains("kek") && j["kek"].is_object()) {
    const auto& k = j["kek"];
    s.kek =
        CustomerKekSettings{k.value("id", ""), k.value("module", ""), k.value("token_label", ""),
                            k.value("key_label", ""), k.value("pin_sealed", "")};
  }
  return s;
}

Result<void> KeySettings::apply_patch(const nlohmann::json& patch, bool organization) {
  if (!patch.is_object()) {
    return fail(invalid("", "The key settings must be a JSON object"));
  }
  static const std::vector<std::string> known = {"algorithms",
                                                 "default_alg",
                                                 "rsa_bits",
                                                 "rotation_period_s",
                                                 "next_publish_ahead_s",
                                                 "retired_publish_for_s",
                                                 "max_token_lifetime_s",
                                                 "skew_s",
                                                 "own_issuer"};
  for (const auto& [k, v] : patch.items()) {
    if (std::find(known.begin(), known.end(), k) == known.end()) {
      return fail(invalid(k, "Unknown key setting '" + k + "'"));
    }
  }
  if (patch.contains("algorithms")) {
    const auto& a = patch["algorithms"];
    if (!a.is_array() || a.empty()) {
      return fail(invalid("algorithms", "'algorithms' must be a non-empty array of names"));
    }
    std::vector<jose::Alg> algs;
    for (const auto& n : a) {
      auto alg = n.is_string() ? jose::parse_alg(n.get<std::string>()) : std::nullopt;
      if (!alg || !jose::is_signing_alg(*alg)) {
        return fail(invalid("algorithms", "'algorithms' accepts RS256, PS256, ES256 and EdDSA"));
      }
      if (std::find(algs.begin(), algs.end(), *alg) == algs.end()) algs.push_back(*alg);
    }
    // Every issuer keeps RS256: OIDC requires it, Shared Signals receivers expect it.
    if (std::find(algs.begin(), algs.end(), jose::Alg::RS256) == algs.end()) {
      algs.insert(algs.begin(), jose::Alg::RS256);
    }
    algorithms = algs;
  }
  if (patch.contains("default_alg")) {
    const auto& d = patch["default_alg"];
    auto alg = d.is_string() ? jose::parse_alg(d.get<std::string>()) : std::nullopt;
    if (!alg || !jose::is_signing_alg(*alg)) {
      return fail(invalid("default_alg", "'default_alg' must be RS256, PS256, ES256 or EdDSA"));
    }
    default_alg = *alg;
  }
  if (patch.contains("rsa_bits")) {
    const auto& b = patch["rsa_bits"];
    if (!b.is_number_integer() || (b.get<int>() != 2048 && b.get<int>() != 3072)) {
      return fail(invalid("rsa_bits", "'rsa_bits' must be 2048 or 3072"));
    }
    rsa_bits = b.get<int>();
  }
  auto seconds = [&](const char* name, std::chrono::seconds& out) -> Result<void> {
    if (!patch.contains(name)) return {};
    const auto& v = patch[name];
    if (!v.is_number_integer() || v.get<int64_t>() < 0 ||
        v.get<int64_t>() > int64_t{10} * 365 * 24 * 3600) {
      return fail(invalid(
          name, std::string("'") + name + "' must be a whole number of seconds (0 to 10 years)"));
    }
    out = std::chrono::seconds(v.get<int64_t>());
    return {};
  };
  for (auto [name, field] : std::initializer_list<std::pair<const char*, std::chrono::seconds*>>{
           {"rotation_period_s", &rotation.rotation_period},
           {"next_publish_ahead_s", &rotation.next_publish_ahead},
           {"retired_publish_for_s", &rotation.retired_publish_for},
           {"max_token_lifetime_s", &rotation.max_token_lifetime},
           {"skew_s", &rotation.skew}}) {
    if (auto ok = seconds(name, *field); !ok) return ok;
  }
  if (patch.contains("own_issuer")) {
    if (!organization) {
      return fail(invalid("own_issuer", "'own_issuer' applies to organizations only"));
    }
    if (!patch["own_issuer"].is_boolean()) {
      return fail(invalid("own_issuer", "'own_issuer' must be true or false"));
    }
    own_issuer = patch["own_issuer"].get<bool>();
  }
  return validate();
}

Result<void> KeySettings::validate() const {
  if (std::find(algorithms.begin(), algorithms.end(), default_alg) == algorithms.end()) {
    return fail(invalid("default_alg", "'default_alg' must be one of 'algorithms'"));
  }
  if (rotation.rotation_period < std::chrono::seconds(60)) {
    return fail(invalid("rotation_period_s", "'rotation_period_s' must be at least 60"));
  }
  if (auto ok = rotation.validate(); !ok) {
    const std::string detail = ok.error().message;
    const std::string field = detail.find("next_publish_ahead") != std::string::npos
                                  ? "next_publish_ahead_s"
                                  : "retired_publish_for_s";
    return fail(invalid(field, detail));
  }
  return {};
}

}  // namespace gh::tenancy
