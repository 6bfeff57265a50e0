#include "federation/signed_state.h"

#include "core/encoding.h"
#include "federation/error_codes.h"
#include "tenancy/secrets.h"

namespace gh::federation {

namespace {

constexpr const char* kReserved[] = {"o", "c", "t", "s", "e"};

std::string mac_input(std::string_view label, std::string_view body) {
  std::string in(label);
  in += body;
  return in;
}

bool is_string_member(const nlohmann::json& j, const char* name) {
  return j.contains(name) && j[name].is_string();
}

}  // namespace

Error state_invalid(const std::string& why) { return Error(errc::LoginStateInvalid, {}, why); }

std::string sign_state(const tenancy::SecretHasher& key, std::string_view label,
                       const SignedState& state) {
  nlohmann::json payload = nlohmann::json::object();
  if (state.extra.is_object()) {
    for (auto it = state.extra.begin(); it != state.extra.end(); ++it) payload[it.key()] = *it;
  }
  // The common members last: an extra member can never stand in for them.
  payload["o"] = state.organization_id;
  payload["c"] = state.connection_id;
  payload["t"] = state.transaction_id;
  payload["s"] = state.transaction_state;
  payload["e"] = state.expires_at_ms;
  const std::string body = base64url_encode(payload.dump());
  return body + "." + key.hash(mac_input(label, body));
}

Result<SignedState> verify_state(const tenancy::SecretHasher& key, std::string_view label,
                                 std::string_view token, int64_t now_ms) {
  const size_t dot = token.find('.');
  if (token.empty() || dot == std::string_view::npos || token.size() > kMaxSignedStateBytes) {
    return fail(state_invalid("the state is missing or malformed"));
  }
  const std::string_view body = token.substr(0, dot);
  // SecretHasher::matches compares the HMAC in constant time.
  if (!key.matches(mac_input(label, body), token.substr(dot + 1))) {
    return fail(state_invalid("the state's signature does not verify (altered or forged)"));
  }
  auto decoded = base64url_decode(body);
  if (!decoded) return fail(state_invalid("the state is not base64url"));
  auto j = nlohmann::json::parse(*decoded, nullptr, false);
  if (!j.is_object() || !is_string_member(j, "o") || !is_string_member(j, "c") ||
      !is_string_member(j, "t") || !is_string_member(j, "s") || !j.contains("e") ||
      !j["e"].is_number_integer()) {
    return fail(state_invalid("the state's payload is incomplete"));
  }
  SignedState s;
  s.organization_id = j["o"].get<std::string>();
  s.connection_id = j["c"].get<std::string>();
  s.transaction_id = j["t"].get<std::string>();
  s.transaction_state = j["s"].get<std::string>();
  s.expires_at_ms = j["e"].get<int64_t>();
  for (const char* name : kReserved) j.erase(name);
  s.extra = std::move(j);
  if (s.expires_at_ms <= now_ms) return fail(state_invalid("the state has expired"));
  return s;
}

Result<TransactionRef> state_transaction_ref(const tenancy::SecretHasher& key,
                                             std::string_view label, std::string_view token,
                                             std::string_view connection_id, int64_t now_ms) {
  auto s = verify_state(key, label, token, now_ms);
  if (!s) return fail(s.error());
  if (s->connection_id != connection_id) {
    return fail(state_invalid("the state was issued for another connection"));
  }
  return TransactionRef{s->organization_id, s->transaction_id};
}

Result<SignedState> check_state_for(const tenancy::SecretHasher& key, std::string_view label,
                                    std::string_view token, std::string_view connection_id,
                                    const store::LoginTransaction& transaction, int64_t now_ms,
                                    Trace& trace) {
  auto s = verify_state(key, label, token, now_ms);
  const bool ok = s && s->connection_id == connection_id &&
                  s->organization_id == transaction.organization_id &&
                  s->transaction_id == transaction.id && s->transaction_state == transaction.state;
  trace.check("login.state_invalid", ok,
              ok ? "signed state matches the login transaction"
                 : (s ? "the state belongs to another login" : s.error().detail));
  if (!ok) return fail(s ? state_invalid("the state belongs to another login") : s.error());
  return s;
}

}  // namespace gh::federation
