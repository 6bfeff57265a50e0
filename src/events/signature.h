// Webhook signatures: HMAC-SHA-256 over "{timestamp}.{body}" with each signing secret, sent as
//   Gatehouse-Signature: t=1767225600,v1=<hex>[,v1=<hex>]
// (one v1 per secret: during a rotation's overlap both the new and the old secret sign, so a
// receiver holding either verifies). See docs/webhooks.md.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace gh::events {

std::string hmac_sha256_hex(std::string_view key, std::string_view message);

std::string signature_header(int64_t timestamp_s, std::string_view body,
                             const std::vector<std::string>& secrets);

// A receiver's check (used by tests and `gatehouse webhook verify`): the header carries a v1
// made with `secret` and t is within `tolerance_s` of `now_s`. Constant-time comparison.
bool verify_signature(std::string_view header, std::string_view body, std::string_view secret,
                      int64_t now_s, int64_t tolerance_s = 300);

}  // namespace gh::events
