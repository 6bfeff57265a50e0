#include "sessions/session_routes.h"

#include "http/api.h"

namespace gh::sessions {

using http::Response;
using tenancy::Access;
using tenancy::AdminRequest;
using tenancy::Scope;

void add_session_routes(tenancy::AdminApi& api, http::Router& router,
                        std::shared_ptr<SessionService> sessions) {
  const std::string org = "/api/v1/environments/{env}/organizations/{org}";

  api.add(router, "GET", org + "/users/{user}/sessions", Access::read, Scope::organization,
          [sessions](AdminRequest& r) {
            const auto status = r.http.query_param("status").value_or("");
            if (!status.empty() && status != "active") {
              return Response::problem(Error(errc::RequestInvalidParameter,
                                             "status must be 'active' (or absent for all)"),
                                       r.http);
            }
            auto list = sessions->list_for_user(r.env, r.http.param("org"), r.http.param("user"),
                                                status == "active");
            if (!list) return Response::problem(list.error(), r.http);
            const int64_t now = sessions->clock().now_ms();
            nlohmann::json items = nlohmann::json::array();
            // Newest first: what an admin looks for.
            for (auto it = list->rbegin(); it != list->rend(); ++it) {
              items.push_back(session_json(*it, now));
            }
            return http::json_response(200, {{"data", items}});
          });

  api.add(router, "DELETE", org + "/sessions/{sid}", Access::write, Scope::organization,
          [sessions](AdminRequest& r) {
            auto revoked =
                sessions->revoke(r.env, r.http.param("org"), r.http.param("sid"), r.actor);
            if (!revoked) return Response::problem(revoked.error(), r.http);
            return http::json_response(200, session_json(*revoked, sessions->clock().now_ms()));
          });
}

}  // namespace gh::sessions
