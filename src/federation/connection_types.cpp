// The table of connection types. Adding an IdP type: its folder, its factory, one line here.
#include "federation/connection.h"
#include "federation/oidc/oidc_connection.h"
#include "federation/saml/saml_connection.h"
#include "federation/testidp/test_idp.h"

namespace gh::federation {

const std::vector<const ConnectionFactory*>& connection_factories() {
  static const testidp::TestIdpFactory test_idp;
  static const saml::SamlFactory saml;
  static const oidc::OidcFactory oidc;
  static const std::vector<const ConnectionFactory*> all = {&test_idp, &saml, &oidc};
  return all;
}

const ConnectionFactory* find_connection_factory(std::string_view type) {
  for (const auto* f : connection_factories()) {
    if (f->type() == type) return f;
  }
  return nullptr;
}

bool is_allowed_transition(std::string_view from, std::string_view to) {
  if (to == "active") return from == "draft" || from == "disabled";
  if (to == "disabled") return from == "draft" || from == "active";
  return false;
}

std::string CallbackParams::first(std::string_view name) const {
  auto it = values.find(std::string(name));
  return it == values.end() ? std::string() : it->second;
}

std::vector<std::string> CallbackParams::all(std::string_view name) const {
  std::vector<std::string> out;
  auto [b, e] = values.equal_range(std::string(name));
  for (auto it = b; it != e; ++it) out.push_back(it->second);
  return out;
}

bool CallbackParams::has(std::string_view name) const {
  return values.find(std::string(name)) != values.end();
}

}  // namespace gh::federation
