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

  // Issue 7: the revocation fan-out from the admin API. Each ends sessions and tokens through
  // revoke_sessions (refresh families, access tokens by sid, back-channel logout, webhooks).
  auto sessions_page = [sessions](const std::vector<store::Session>& list) {
    const int64_t now = sessions->clock().now_ms();
    nlohmann::json items = nlohmann::json::array();
    for (const auto& s : list) items.push_back(session_json(s, now));
    return items;
  };
  api.add(router, "GET", org + "/sessions", Access::read, Scope::organization,
          [sessions, sessions_page](AdminRequest& r) {
            auto limit = http::limit_param(r.http, 100, 1000);
            if (!limit) return Response::problem(limit.error(), r.http);
            auto list = sessions->list_for_organization(r.env, r.http.param("org"), *limit);
            if (!list) return Response::problem(list.error(), r.http);
            return http::json_response(200, {{"data", sessions_page(*list)}});
          });
  api.add(router, "DELETE", org + "/users/{user}/sessions", Access::write, Scope::organization,
          [sessions, sessions_page](AdminRequest& r) {
            auto revoked =
                sessions->revoke_user(r.env, r.http.param("org"), r.http.param("user"), r.actor);
            if (!revoked) return Response::problem(revoked.error(), r.http);
            return http::json_response(200, {{"revoked", sessions_page(*revoked)}});
          });
  api.add(router, "DELETE", org + "/sessions", Access::write, Scope::organization,
          [sessions](AdminRequest& r) {
            auto revoked = sessions->revoke_organization(r.env, r.http.param("org"), r.actor);
            if (!revoked) return Response::problem(revoked.error(), r.http);
            return http::json_response(200, {{"revoked_count", revoked->size()}});
          });
  api.add(router, "DELETE", org + "/refresh-token-families/{family}", Access::write,
          Scope::organization, [sessions](AdminRequest& r) {
            auto n = sessions->revoke_refresh_family(r.env, r.http.param("org"),
                                                     r.http.param("family"), r.actor);
            if (!n) return Response::problem(n.error(), r.http);
            return http::json_response(
                200, {{"family_id", r.http.param("family")}, {"revoked_tokens", *n}});
          });
  api.add(
      router, "DELETE", org + "/access-tokens/{jti}", Access::write, Scope::organization,
      [sessions](AdminRequest& r) {
        auto added =
            sessions->revoke_access_token(r.env, r.http.param("org"), r.http.param("jti"), r.actor);
        if (!added) return Response::problem(added.error(), r.http);
        return http::json_response(
            200,
            {{"jti", r.http.param("jti")},
             {"deny_listed_until", format_rfc3339(sessions->clock().now_ms() + kAccessTokenDenyMs)},
             {"already_revoked", !*added}});
      });
}

}  // namespace gh::sessions
