// Routes of the keys: each issuer's public JWKS, and the admin API for signing keys, key
// settings and an organization's customer-managed key.
#pragma once

#include <memory>

#include "http/router.h"
#include "tenancy/admin_routes.h"
#include "tenancy/environment_cache.h"
#include "tenancy/signing_keys.h"

namespace gh::tenancy {

void add_key_routes(AdminApi& api, http::Router& router, EnvironmentCache& environments,
                    std::shared_ptr<KeyService> keys);

}  // namespace gh::tenancy
