// Home-realm discovery and the domain guard: pure decisions over rows the caller read.
// The email's domain → the organization holding it verified (DomainRepository::find_verified)
// → its active connections listing that domain, filtered by the security policy's
// allowed_connections and by the application's `organization` / `connection` parameters.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"
#include "store/connections.h"
#include "store/domains.h"

namespace gh::federation {

// The domain of an email address, lowercased: login.email_invalid unless `local@domain` with a
// dotted domain and no spaces.
Result<std::string> email_domain(std::string_view email);

struct DiscoveryInput {
  std::string organization_id;  // the organization holding the domain
  std::string domain;           // "": no domain filter (the application named the organization)
  std::vector<store::Connection> connections;    // the organization's connections
  std::vector<std::string> allowed_connections;  // the policy's list; empty: all
  std::string requested_organization;            // the LoginRequest's, "" when none
  std::string requested_connection;              // the LoginRequest's or the chooser's
};

// The connections the user may choose from, in the organization's order. login.no_connection
// when none fits; login.connection_not_allowed when the request names an organization other
// than the domain's, or a connection the filters exclude.
Result<std::vector<store::Connection>> choose_connections(const DiscoveryInput& in);

// An email may sign in through an organization's connection only when its domain is one of the
// organization's verified domains or one of its policy's guest domains.
bool domain_allowed(std::string_view email, const std::vector<store::Domain>& organization_domains,
                    const std::vector<std::string>& guest_domains);

}  // namespace gh::federation
