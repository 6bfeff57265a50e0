#include "oauth/grant_params.h"

#include "oauth/form_params.h"

namespace gh::oauth {

namespace {
bool strings_of(const nlohmann::json& j, const char* key, std::vector<std::string>& out) {
  if (!j.contains(key) || j[key].is_null()) return true;
  if (!j[key].is_array()) return false;
  for (const auto& s : j[key]) {
    if (!s.is_string()) return false;
    out.push_back(s.get<std::string>());
  }
  return true;
}
bool string_of(const nlohmann::json& j, const char* key, std::string& out) {
  if (!j.contains(key) || j[key].is_null()) return true;
  if (!j[key].is_string()) return false;
  out = j[key].get<std::string>();
  return true;
}
}  // namespace

std::optional<GrantParams> parse_grant_params(const std::string& text) {
  auto j = nlohmann::json::parse(text, nullptr, false);
  if (!j.is_object()) return std::nullopt;
  GrantParams p;
  std::string scope;
  if (!string_of(j, "scope", scope) || !strings_of(j, "resources", p.resources) ||
      !string_of(j, "nonce", p.nonce) || !string_of(j, "code_challenge", p.code_challenge) ||
      !string_of(j, "code_challenge_method", p.code_challenge_method) ||
      !string_of(j, "acr", p.acr) || !strings_of(j, "amr", p.amr) ||
      !string_of(j, "dpop_jkt", p.dpop_jkt)) {
    return std::nullopt;
  }
  p.scopes = split_scope(scope);
  if (j.contains("auth_time")) {
    if (!j["auth_time"].is_number_integer()) return std::nullopt;
    p.auth_time_s = j["auth_time"].get<int64_t>();
  }
  if (j.contains("claims") && j["claims"].is_object()) p.claims = j["claims"];
  return p;
}

std::string code_params_json(const GrantParams& p) {
  nlohmann::json j = {{"scope", join_scope(p.scopes)},
                      {"resources", p.resources},
                      {"nonce", p.nonce},
                      {"code_challenge", p.code_challenge},
                      {"code_challenge_method", p.code_challenge_method},
                      {"acr", p.acr},
                      {"amr", p.amr},
                      {"auth_time", p.auth_time_s}};
  if (p.claims.is_object()) j["claims"] = p.claims;
  return j.dump();
}

std::string refresh_params_json(const GrantParams& p) {
  nlohmann::json j{{"scope", join_scope(p.scopes)},
                   {"resources", p.resources},
                   {"acr", p.acr},
                   {"amr", p.amr},
                   {"auth_time", p.auth_time_s}};
  if (!p.dpop_jkt.empty()) j["dpop_jkt"] = p.dpop_jkt;
  return j.dump();
}

}  // namespace gh::oauth
