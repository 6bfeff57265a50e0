// Codes and refresh tokens are stored only as SHA-256 hashes (hex); PKCE compares
// BASE64URL(SHA-256(verifier)) with the challenge (RFC 7636 §4.6). Comparisons of secrets are
// constant-time.
#pragma once

#include <string>
#include <string_view>

namespace gh::oauth {

std::string sha256_bytes(std::string_view data);
std::string token_hash(std::string_view token);  // hex SHA-256
bool constant_time_equal(std::string_view a, std::string_view b);

// RFC 7636 §4.1: 43-128 characters of [A-Z a-z 0-9 - . _ ~].
bool is_valid_code_verifier(std::string_view verifier);
// S256 only: plain is refused (RFC 9700 §2.1.1).
bool pkce_s256_matches(std::string_view verifier, std::string_view challenge);

}  // namespace gh::oauth
