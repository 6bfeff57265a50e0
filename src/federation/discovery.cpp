#include "federation/discovery.h"
#include "federation/error_codes.h"

#include <algorithm>
#include <cctype>

namespace gh::federation {

namespace {
std::string lower(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}
bool contains(const std::vector<std::string>& v, std::string_view s) {
  return std::find(v.begin(), v.end(), s) != v.end();
}
}  // namespace

Result<std::string> email_domain(std::string_view email) {
  const size_t at = email.rfind('@');
  const bool ok =
      !email.empty() && email.size() <= 320 && at != std::string_view::npos && at > 0 &&
      at + 1 < email.size() && email.substr(at + 1).find('.') != std::string_view::npos &&
      email.substr(at + 1).front() != '.' && email.substr(at + 1).back() != '.' &&
      std::none_of(email.begin(), email.end(),
                   [](char c) {
                     return std::isspace(static_cast<unsigned char>(c)) || c == '<' || c == '>';
                   }) &&
      email.find('@') == at;
  if (!ok) {
    return fail(Error(errc::LoginEmailInvalid,
                      "'" + std::string(email.substr(0, 80)) +
                          "' is not an email address; enter one such as jane@example.com"));
  }
  return lower(email.substr(at + 1));
}

Result<std::vector<store::Connection>> choose_connections(const DiscoveryInput& in) {
  if (!in.requested_organization.empty() && in.requested_organization != in.organization_id) {
    return fail(Error(errc::LoginConnectionNotAllowed,
                      "The application asked to sign in to another organization than the one "
                      "that verified this email domain"));
  }
  std::vector<store::Connection> out;
  bool requested_seen = false;
  for (const auto& c : in.connections) {
    if (c.organization_id != in.organization_id) continue;
    if (!in.requested_connection.empty()) {
      if (c.id != in.requested_connection) continue;
      requested_seen = true;
    }
    if (c.status != "active") continue;
    if (!in.domain.empty()) {
      bool lists = false;
      for (const auto& d : c.domains)
        lists = lists || (d.is_string() && lower(d.get<std::string>()) == in.domain);
      if (!lists) continue;
    }
    if (!in.allowed_connections.empty() && !contains(in.allowed_connections, c.id)) continue;
    out.push_back(c);
  }
  if (!out.empty()) return out;
  if (requested_seen) {
    return fail(Error(errc::LoginConnectionNotAllowed,
                      "The requested connection is not active, does not serve this email "
                      "domain, or the organization's security policy does not allow it"));
  }
  if (!in.requested_connection.empty()) {
    return fail(Error(errc::LoginConnectionNotAllowed,
                      "The requested connection does not belong to this organization"));
  }
  return fail(Error(errc::LoginNoConnection,
                    in.domain.empty()
                        ? "The organization has no active sign-in connection"
                        : "The organization has no active sign-in connection for '" + in.domain +
                              "'; ask your IT administrator to activate one"));
}

bool domain_allowed(std::string_view email, const std::vector<store::Domain>& organization_domains,
                    const std::vector<std::string>& guest_domains) {
  auto domain = email_domain(email);
  if (!domain) return false;
  for (const auto& d : organization_domains) {
    if (d.state == "verified" && d.name == *domain) return true;
  }
  for (const auto& g : guest_domains) {
    if (lower(g) == *domain) return true;
  }
  return false;
}

}  // namespace gh::federation
