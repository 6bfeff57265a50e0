// For schedulers only (the SAML IdP metadata refresh, issue 8): connections of one type across
// every environment and organization, ordered by id after `after_id` (keyset paging), at most
// `limit` (1-1000). Callers act on each row through the tenant-scoped ConnectionRepository.
// A free function beside the repository interface, like store::directories(), so that adding it
// recompiles nothing that includes store/connections.h. Index connections_type_id (v15).
#pragma once

#include <cstdint>
#include <string_view>
#include <vector>

#include "core/result.h"
#include "store/connections.h"

namespace gh::store {

class Repositories;

Result<std::vector<Connection>> connections_of_type(Repositories& repos, std::string_view type,
                                                    std::string_view after_id, int64_t limit);

}  // namespace gh::store
