// The directories' admin API (under /api/v1/environments/{env}/organizations/{org}/directories)
// and the SCIM 2.0 endpoints (/scim/v2/{directory_id}/...).
#pragma once

#include <memory>

#include "directory/directory_service.h"
#include "directory/scim_service.h"
#include "http/router.h"
#include "tenancy/admin_routes.h"

namespace gh::directory {

void add_directory_routes(tenancy::AdminApi& api, http::Router& router,
                          std::shared_ptr<DirectoryService> directories, std::string public_url);

void add_scim_routes(http::Router& router, std::shared_ptr<DirectoryService> directories,
                     std::shared_ptr<ScimService> scim, std::string public_url);

}  // namespace gh::directory
