// Which implementations hosted login uses for its seams (federation/login_request.h,
// identity/login_identity.h). The module that implements one registers a factory here from its
// own wire_<module>.cpp, e.g.
//   GATEHOUSE_PROVIDE_LOGIN_SEAM(oauth, [](ServerContext& ctx, LoginSeamFactories& f) {
//     f.requests = [&ctx] { return std::make_shared<oauth::PendingLoginRequests>(...); };
//   });
// wire_federation.cpp builds hosted login with whatever is registered (missing ones answer
// login.unavailable).
#pragma once

#include <functional>
#include <memory>
#include <vector>

#include "app/extensions.h"
#include "federation/login_request.h"
#include "identity/login_identity.h"

namespace gh::app {

struct LoginSeamFactories {
  std::function<std::shared_ptr<federation::LoginRequestSource>()> requests;
  std::function<std::shared_ptr<identity::IdentityResolver>()> resolver;
  std::function<std::shared_ptr<sessions::SessionStarter>()> sessions;
};

using LoginSeamProvider = std::function<void(ServerContext&, LoginSeamFactories&)>;
std::vector<LoginSeamProvider>& login_seam_providers();
struct ProvideLoginSeam {
  explicit ProvideLoginSeam(LoginSeamProvider p) { login_seam_providers().push_back(std::move(p)); }
};

}  // namespace gh::app

#define GATEHOUSE_PROVIDE_LOGIN_SEAM(name, ...) \
  static const ::gh::app::ProvideLoginSeam gatehouse_provide_login_seam_##name { __VA_ARGS__ }
