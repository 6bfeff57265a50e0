#include "federation/saml/relay_state.h"

#include <openssl/crypto.h>

#include "tenancy/secrets.h"

namespace gh::federation::saml {

namespace {

constexpr std::string_view kRelayLabel = "gatehouse.saml.relay_state.v1:";
constexpr std::string_view kRequestLabel = "gatehouse.saml.request_id.v1:";
constexpr size_t kMacChars = 20;  // 80 bits: the whole RelayState fits SAML's 80 bytes

std::string mac(const ConnectionDeps& deps, std::string_view connection_id, std::string_view org,
                std::string_view tx) {
  std::string input(kRelayLabel);
  input.append(connection_id).append("|").append(org).append("|").append(tx);
  return deps.server_key.hash(input).substr(0, kMacChars);
}

}  // namespace

std::string make_relay_state(const ConnectionDeps& deps, std::string_view connection_id,
                             std::string_view organization_id, std::string_view transaction_id) {
  return std::string(organization_id) + "." + std::string(transaction_id) + "." +
         mac(deps, connection_id, organization_id, transaction_id);
}

std::optional<TransactionRef> read_relay_state(const ConnectionDeps& deps,
                                               std::string_view connection_id,
                                               std::string_view relay_state) {
  if (relay_state.empty() || relay_state.size() > 128) return std::nullopt;
  const size_t a = relay_state.find('.');
  const size_t b = relay_state.rfind('.');
  if (a == std::string_view::npos || a == b || a == 0 || b == a + 1) return std::nullopt;
  const std::string_view org = relay_state.substr(0, a);
  const std::string_view tx = relay_state.substr(a + 1, b - a - 1);
  const std::string_view got = relay_state.substr(b + 1);
  const std::string want = mac(deps, connection_id, org, tx);
  if (got.size() != want.size() || CRYPTO_memcmp(got.data(), want.data(), want.size()) != 0) {
    return std::nullopt;
  }
  return TransactionRef{std::string(org), std::string(tx)};
}

std::string request_id_for(const ConnectionDeps& deps, const store::LoginTransaction& t) {
  return "_" +
         deps.server_key.hash(std::string(kRequestLabel) + t.id + "|" + t.nonce).substr(0, 40);
}

}  // namespace gh::federation::saml
