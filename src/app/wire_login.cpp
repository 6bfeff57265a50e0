// The sign-in flow across modules: which implementation fills each seam.
//   hosted login (federation/) <- LoginRequestSource: the OIDC provider's pending requests
//                                  IdentityResolver, SessionStarter: identity/ and sessions/
//   the OIDC provider (oauth/)  <- SessionLookup: sessions/;  UserDirectory: identity/
// Each module keeps its own wire_<module>.cpp; this file only connects them.
#include <memory>

#include "app/extensions.h"
#include "app/login_seams.h"
#include "app/wire_identity.h"
#include "app/wire_oauth.h"
#include "federation/error_codes.h"
#include "oauth/front_channel.h"
#include "oauth/login_request_source.h"
#include "oauth/logout_endpoint.h"
#include "oauth/token_signer.h"

namespace gh::app {
namespace {

// The OIDC provider's back channel reads users through identity/.
struct UseIdentityDirectory {
  UseIdentityDirectory() {
    user_directory_factory() = [](ServerContext& ctx) -> std::shared_ptr<identity::UserDirectory> {
      return identity_module(ctx).identity;
    };
  }
};
const UseIdentityDirectory use_identity_directory;

}  // namespace

GATEHOUSE_PROVIDE_LOGIN_SEAM(identity, [](ServerContext& ctx, LoginSeamFactories& f) {
  f.resolver = [&ctx] { return identity_module(ctx).identity; };
  f.sessions = [&ctx] { return identity_module(ctx).sessions; };
});

GATEHOUSE_PROVIDE_LOGIN_SEAM(oauth, [](ServerContext& ctx, LoginSeamFactories& f) {
  f.requests = [&ctx] {
    return std::make_shared<oauth::PendingLoginRequests>(ctx.store, errc::LoginRequestNotFound);
  };
});

// The authorization endpoint and the resume step (the front channel).
GATEHOUSE_REGISTER_ROUTES(authorize, [](ServerContext& ctx, http::Router& router) {
  auto sessions = identity_module(ctx).sessions;
  auto fc = std::make_shared<oauth::FrontChannel>(
      oauth::FrontChannelOptions{.store = ctx.store,
                                 .sessions = *sessions,
                                 .public_url = ctx.config.public_url,
                                 .signer = std::make_shared<oauth::KeyServiceSigner>(ctx.keys)});
  // The front channel keeps a reference to the session service: share its ownership.
  auto owner = std::make_shared<
      std::pair<std::shared_ptr<sessions::SessionService>, std::shared_ptr<oauth::FrontChannel>>>(
      sessions, fc);
  oauth::add_front_channel_routes(router, ctx.environments,
                                  std::shared_ptr<oauth::FrontChannel>(owner, fc.get()));
  // RP-Initiated Logout (issue 7): ends the session through the revocation fan-out.
  oauth::add_logout_routes(router, ctx.environments,
                           std::shared_ptr<oauth::FrontChannel>(owner, fc.get()),
                           std::make_shared<oauth::KeyServiceSigner>(ctx.keys),
                           ctx.config.public_url.rfind("https://", 0) == 0);
});

}  // namespace gh::app
