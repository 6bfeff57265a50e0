#include "core/clock.h"

#include <ctime>
#include <string>

namespace gh {

std::string format_rfc3339(int64_t epoch_ms) {
  const time_t secs = static_cast<time_t>(epoch_ms / 1000);
  const int millis = static_cast<int>(epoch_ms % 1000);
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char buf[96];
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900,
                tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, millis);
  return buf;
}

}  // namespace gh
