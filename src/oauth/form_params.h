// The parameters of an OAuth request (form body, or query for UserInfo GET), parsed once at
// the edge. RFC 6749 §3.1/§3.2: a parameter sent more than once is invalid_request, except
// RFC 8707's `resource`, which may repeat.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/encoding.h"
#include "http/message.h"
#include "oauth/oauth_error.h"

namespace gh::oauth {

class FormParams {
 public:
  FormParams() = default;
  explicit FormParams(Params params) : params_(std::move(params)) {}
  // application/x-www-form-urlencoded body (invalid_request for another content type, bad
  // escapes, non-UTF-8, or a repeated parameter).
  static OAuthResult<FormParams> from_body(const http::Request& req);
  // The value; nullopt when absent or empty (RFC 6749 §3.1: empty counts as omitted).
  std::optional<std::string> get(std::string_view name) const;
  std::vector<std::string> all(std::string_view name) const;
  bool has(std::string_view name) const { return get(name).has_value(); }

 private:
  Params params_;
};

std::vector<std::string> split_scope(std::string_view scope);
std::string join_scope(const std::vector<std::string>& scopes);

}  // namespace gh::oauth
