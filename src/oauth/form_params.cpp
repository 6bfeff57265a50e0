#include "oauth/form_params.h"

#include <algorithm>
#include <set>

namespace gh::oauth {

OAuthResult<FormParams> FormParams::from_body(const http::Request& req) {
  auto ct = req.header("Content-Type");
  std::string type = ct ? std::string(*ct) : std::string();
  std::transform(type.begin(), type.end(), type.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  if (type.rfind("application/x-www-form-urlencoded", 0) != 0) {
    return oauth_fail(
        invalid_request("The body must be application/x-www-form-urlencoded (RFC 6749 §3.2)"));
  }
  if (!is_valid_utf8(req.body)) return oauth_fail(invalid_request("The body is not UTF-8"));
  auto parsed = parse_query(req.body);
  if (!parsed) return oauth_fail(invalid_request("The body has a malformed percent-escape"));
  std::set<std::string> seen;
  for (const auto& [k, v] : *parsed) {
    if (k == "resource") continue;
    if (!seen.insert(k).second) {
      return oauth_fail(invalid_request("The parameter '" + k + "' is repeated"));
    }
  }
  return FormParams(std::move(*parsed));
}

std::optional<std::string> FormParams::get(std::string_view name) const {
  for (const auto& [k, v] : params_) {
    if (k == name) return v.empty() ? std::nullopt : std::optional<std::string>(v);
  }
  return std::nullopt;
}

std::vector<std::string> FormParams::all(std::string_view name) const {
  std::vector<std::string> out;
  for (const auto& [k, v] : params_) {
    if (k == name && !v.empty()) out.push_back(v);
  }
  return out;
}

std::vector<std::string> split_scope(std::string_view scope) {
  std::vector<std::string> out;
  size_t i = 0;
  while (i < scope.size()) {
    while (i < scope.size() && scope[i] == ' ') ++i;
    size_t j = i;
    while (j < scope.size() && scope[j] != ' ') ++j;
    if (j > i) {
      std::string s(scope.substr(i, j - i));
      if (std::find(out.begin(), out.end(), s) == out.end()) out.push_back(std::move(s));
    }
    i = j;
  }
  return out;
}

std::string join_scope(const std::vector<std::string>& scopes) {
  std::string out;
  for (const auto& s : scopes) {
    if (!out.empty()) out += ' ';
    out += s;
  }
  return out;
}

}  // namespace gh::oauth
