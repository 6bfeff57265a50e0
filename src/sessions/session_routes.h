// Admin API for sessions: GET /api/v1/environments/{env}/organizations/{org}/users/{user}/sessions
// (?status=active for live ones only) and DELETE .../organizations/{org}/sessions/{sid} (revoke;
// audited, outbox session.revoked).
#pragma once

#include <memory>

#include "http/router.h"
#include "sessions/session_service.h"
#include "tenancy/admin_routes.h"

namespace gh::sessions {

void add_session_routes(tenancy::AdminApi& api, http::Router& router,
                        std::shared_ptr<SessionService> sessions);

}  // namespace gh::sessions
