// The SAML SP's public face: GET /{env}/saml/{org}/{connection}/metadata serves the SP
// metadata of a SAML connection (its entityID is the same URL without /metadata). Public: IdP
// administrators paste or fetch it. The ACS is hosted login's callback URL (POST).
#pragma once

#include <memory>

#include "catalog/service.h"
#include "federation/connection_service.h"
#include "http/router.h"
#include "tenancy/environment_cache.h"

namespace gh::federation::saml {

void add_saml_routes(http::Router& router, tenancy::EnvironmentCache& environments,
                     std::shared_ptr<ConnectionService> connections,
                     catalog::CatalogService* catalogs = nullptr);

}  // namespace gh::federation::saml
