// Identifiers: UUIDv7 (time-ordered, so primary-key indexes stay append-mostly) for rows,
// short random ids for requests.
#pragma once

#include <string>
#include <string_view>

#include "core/clock.h"
#include "core/random.h"

namespace gh {

std::string new_uuid_v7(const Clock& clock = SystemClock::instance(),
                        Random& random = SecureRandom::instance());
bool is_uuid(std::string_view s);
std::string new_request_id(Random& random = SecureRandom::instance());

}  // namespace gh
