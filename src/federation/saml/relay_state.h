// The SAML ACS is reached by a cross-site POST from the IdP, which today's browsers send
// without our SameSite=Lax login cookie. The login transaction therefore travels in RelayState,
// MACed under the server key and bound to the connection: "{org}.{transaction}.{mac}", 80
// characters at most (SAML bindings §3.4.3). Hosted login accepts it in place of the cookie
// (the cookie, when the browser does send it, must still agree); the AuthnRequest's ID, derived
// from the transaction's secret nonce, must come back as InResponseTo; the transaction is
// single-use. docs/saml.md explains the choice.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "federation/connection.h"

namespace gh::federation::saml {

std::string make_relay_state(const ConnectionDeps& deps, std::string_view connection_id,
                             std::string_view organization_id, std::string_view transaction_id);

// The transaction a RelayState names, when its MAC verifies for this connection.
std::optional<TransactionRef> read_relay_state(const ConnectionDeps& deps,
                                               std::string_view connection_id,
                                               std::string_view relay_state);

// The AuthnRequest ID for a transaction: "_" + 40 hex characters of HMAC(server key, tx id and
// nonce); unguessable without the server key and the transaction's nonce.
std::string request_id_for(const ConnectionDeps& deps, const store::LoginTransaction& t);

}  // namespace gh::federation::saml
