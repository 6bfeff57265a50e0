// The signed `state` a redirect-based connection sends upstream and reads back at its callback
// (the OIDC connection's `state`, the test IdP form's state): which organization, connection and
// login transaction an answer belongs to, and until when. Nothing is stored for it: the value is
// base64url(JSON) "." HMAC-SHA-256 under the server key (tenancy::SecretHasher over the server
// pepper), compared in constant time, so every node verifies every node's states and an altered
// or foreign state fails. Each connection type signs under its own label, so one type's state is
// never accepted by another (domain separation).
//
// Payload members: o (organization), c (connection), t (transaction id), s (the transaction's
// random state), e (expiry, epoch ms); a type's own members beside them (`extra`, e.g. the OIDC
// connection's acr requirements), which may not reuse those names.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

#include "core/result.h"
#include "federation/connection.h"

namespace gh::federation {

inline constexpr size_t kMaxSignedStateBytes = 4096;

struct SignedState {
  std::string organization_id;
  std::string connection_id;
  std::string transaction_id;
  std::string transaction_state;
  int64_t expires_at_ms = 0;
  nlohmann::json extra = nlohmann::json::object();  // the connection type's own members
};

// login.state_invalid with `why` as the detail (never shown to the end user as such).
Error state_invalid(const std::string& why);

std::string sign_state(const tenancy::SecretHasher& key, std::string_view label,
                       const SignedState& state);

// login.state_invalid when missing, malformed, longer than kMaxSignedStateBytes, not signed
// under `label` by this server key, or expired (expires_at_ms <= now_ms).
Result<SignedState> verify_state(const tenancy::SecretHasher& key, std::string_view label,
                                 std::string_view token, int64_t now_ms);

// Connection::transaction_ref for a signed state: verified, and issued for `connection_id`
// (an answer meant for another connection arriving at this one's callback is IdP mix-up).
Result<TransactionRef> state_transaction_ref(const tenancy::SecretHasher& key,
                                             std::string_view label, std::string_view token,
                                             std::string_view connection_id, int64_t now_ms);

// Connection::finish's check: the state verifies and names exactly this connection and login
// transaction (organization, id, random state). Recorded on the trace as login.state_invalid.
Result<SignedState> check_state_for(const tenancy::SecretHasher& key, std::string_view label,
                                    std::string_view token, std::string_view connection_id,
                                    const store::LoginTransaction& transaction, int64_t now_ms,
                                    Trace& trace);

}  // namespace gh::federation
