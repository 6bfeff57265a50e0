// The OIDC provider in the server. The user directory comes from identity/ when that module
// registers a factory here; without one, ID tokens and UserInfo carry `sub` and the
// authentication claims only.
#pragma once

#include <functional>
#include <memory>

#include "app/extensions.h"
#include "identity/user_directory.h"

namespace gh::app {

using UserDirectoryFactory =
    std::function<std::shared_ptr<identity::UserDirectory>(ServerContext&)>;
UserDirectoryFactory& user_directory_factory();

}  // namespace gh::app
