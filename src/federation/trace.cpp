#include "federation/trace.h"

#include <array>

namespace gh::federation {

bool is_secret_field(std::string_view name) {
  static constexpr std::array<std::string_view, 12> kSecret = {
      "state",        "nonce",    "code",          "code_verifier", "password",  "client_secret",
      "access_token", "id_token", "refresh_token", "SAMLResponse",  "assertion", "RelayState"};
  for (auto s : kSecret) {
    if (s == name) return true;
  }
  return false;
}

nlohmann::json redact(const nlohmann::json& message) {
  if (message.is_object()) {
    nlohmann::json out = nlohmann::json::object();
    for (auto it = message.begin(); it != message.end(); ++it) {
      out[it.key()] = is_secret_field(it.key()) ? nlohmann::json("[redacted]") : redact(*it);
    }
    return out;
  }
  if (message.is_array()) {
    nlohmann::json out = nlohmann::json::array();
    for (const auto& v : message) out.push_back(redact(v));
    return out;
  }
  return message;
}

Trace::Trace(const Clock& clock, nlohmann::json body) : clock_(clock), body_(std::move(body)) {
  if (!body_.is_object()) body_ = nlohmann::json::object();
  if (!body_.contains("steps") || !body_["steps"].is_array()) {
    body_["steps"] = nlohmann::json::array();
  }
}

void Trace::step(std::string_view name, const nlohmann::json& message) {
  body_["steps"].push_back({{"step", std::string(name)},
                            {"at_ms", clock_.now_ms()},
                            {"message", redact(message)},
                            {"checks", nlohmann::json::array()}});
}

void Trace::check(std::string_view code, bool passed, std::string_view detail) {
  if (body_["steps"].empty()) step("login");
  nlohmann::json c = {{"code", std::string(code)}, {"passed", passed}};
  if (!detail.empty()) c["detail"] = std::string(detail);
  body_["steps"].back()["checks"].push_back(std::move(c));
}

void Trace::finish(const Error& error) {
  body_["error"] = std::string(error.code_name());
  body_["error_message"] = error.text();
  body_["finished_at_ms"] = clock_.now_ms();
}

void Trace::finish_ok() {
  body_["error"] = nullptr;
  body_["finished_at_ms"] = clock_.now_ms();
}

nlohmann::json Trace::checks() const {
  nlohmann::json out = nlohmann::json::array();
  for (const auto& s : body_["steps"]) {
    for (const auto& c : s["checks"]) {
      nlohmann::json row = c;
      row["step"] = s["step"];
      out.push_back(std::move(row));
    }
  }
  return out;
}

bool Trace::any_failed() const {
  for (const auto& c : checks()) {
    if (!c.value("passed", false)) return true;
  }
  return false;
}

}  // namespace gh::federation
