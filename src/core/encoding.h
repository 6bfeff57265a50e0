// Byte encodings used at the edges: hex, base64url (RFC 4648 §5, no padding), percent-encoding
// (RFC 3986), and UTF-8 validation. Pure functions; fuzzed (fuzz/url.cmake).
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace gh {

std::string to_hex(std::string_view bytes);
std::string base64url_encode(std::string_view bytes);
std::optional<std::string> base64url_decode(std::string_view text);
std::string base64_encode(std::string_view bytes);
std::optional<std::string> base64_decode(std::string_view text);

// Percent-decoding; `plus_as_space` for application/x-www-form-urlencoded. nullopt on a
// malformed escape.
std::optional<std::string> percent_decode(std::string_view in, bool plus_as_space);
std::string percent_encode(std::string_view in);

// Query strings and form bodies: "a=1&b=%20x" -> {{"a","1"},{"b"," x"}}; nullopt if any escape
// is malformed. Keys may repeat; order is kept.
using Params = std::vector<std::pair<std::string, std::string>>;
std::optional<Params> parse_query(std::string_view query);

bool is_valid_utf8(std::string_view s);

// Escapes & < > " ' for HTML text and double- or single-quoted attribute values.
std::string html_escape(std::string_view text);

}  // namespace gh
