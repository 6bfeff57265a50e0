// Minting an authorization code for a validated request and the session that satisfied it.
// The code is 256 random bits (base64url); only its SHA-256 (hex) is stored, so a copy of the
// store cannot redeem codes. The token endpoint (oauth/ authorization_code grant) reads the
// params written here: their keys are a contract between the two.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "core/random.h"
#include "oauth/authorization_request.h"
#include "sessions/session_lookup.h"
#include "store/oauth_grants.h"

namespace gh::oauth {

inline constexpr int64_t kAuthorizationCodeTtlMs = 60'000;

// SHA-256 of the code, lowercase hex: the stored key of a code.
std::string authorization_code_hash(std::string_view code);

// The params JSON of a code: scope (space-separated), resources (array), nonce, code_challenge,
// code_challenge_method, acr, amr (array), auth_time (seconds), and claims (object, only when
// the request carried one). acr/amr/auth_time are what the session achieved, never what the
// request asked for.
nlohmann::json authorization_code_params(const AuthorizationRequest& req,
                                         const sessions::AuthenticatedSession& session);

struct MintedCode {
  std::string code;  // give to the client once; never log, never store
  store::AuthorizationCode row;
};

MintedCode mint_authorization_code(const AuthorizationRequest& req,
                                   const sessions::AuthenticatedSession& session,
                                   const store::Application& app, int64_t now_ms, Random& random);

}  // namespace gh::oauth
