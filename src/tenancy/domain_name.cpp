#include "tenancy/domain_name.h"

#include <vector>

#include "tenancy/error_codes.h"

namespace gh::tenancy {

namespace {

Error invalid(std::string_view input, const std::string& why) {
  std::string shown(input.substr(0, 80));
  if (input.size() > 80) shown += "...";
  Error e(errc::DomainInvalid, "'" + shown + "' is not a domain name: " + why);
  e.extra["field"] = "domain";
  return e;
}

bool is_ldh(char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-'; }

}  // namespace

Result<std::string> normalize_domain(std::string_view input) {
  if (input.empty()) return fail(invalid(input, "it is empty"));
  std::string name;
  name.reserve(input.size());
  for (char c : input) {
    if (static_cast<unsigned char>(c) >= 0x80) {
      return fail(invalid(input,
                          "internationalized names must be given in IDNA punycode, e.g. "
                          "xn--bcher-kva.example for bücher.example"));
    }
    name += (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
  }
  // The root's trailing dot is a DNS spelling, not part of the name.
  if (name.back() == '.') name.pop_back();
  if (name.size() > 253) {
    return fail(invalid(input, "it is " + std::to_string(name.size()) +
                                   " characters long; a domain name has at most 253"));
  }
  if (name.find('*') != std::string::npos) {
    return fail(invalid(input, "wildcards cannot be verified; add each domain itself"));
  }
  std::vector<std::string_view> labels;
  size_t start = 0;
  for (;;) {
    const size_t dot = name.find('.', start);
    labels.push_back(std::string_view(name).substr(
        start, dot == std::string::npos ? std::string::npos : dot - start));
    if (dot == std::string::npos) break;
    start = dot + 1;
  }
  for (auto label : labels) {
    if (label.empty()) return fail(invalid(input, "it has an empty label ('..' or a leading dot)"));
    if (label.size() > 63) {
      return fail(invalid(input, "the label '" + std::string(label.substr(0, 20)) +
                                     "...' is longer than 63 characters"));
    }
    for (char c : label) {
      if (!is_ldh(c)) {
        return fail(invalid(
            input, "'" + std::string(1, c) + "' is not allowed; use letters, digits and '-'"));
      }
    }
    if (label.front() == '-' || label.back() == '-') {
      return fail(invalid(input, "a label cannot start or end with '-'"));
    }
  }
  if (labels.size() < 2) {
    return fail(invalid(input, "it needs at least two labels, like example.com"));
  }
  if (labels.back().find_first_not_of("0123456789") == std::string_view::npos) {
    return fail(invalid(input, "an IP address is not a domain name"));
  }
  return name;
}

}  // namespace gh::tenancy
