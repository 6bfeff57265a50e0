#include "core/log.h"

#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>

#include <chrono>

#include "core/clock.h"

namespace gh::log {

namespace {
std::shared_ptr<spdlog::logger>& logger() {
  static std::shared_ptr<spdlog::logger> l = [] {
    auto sink = std::make_shared<spdlog::sinks::stderr_sink_mt>();
    auto lg = std::make_shared<spdlog::logger>("gatehouse", sink);
    lg->set_pattern("%v");
    lg->set_level(spdlog::level::info);
    lg->flush_on(spdlog::level::info);
    return lg;
  }();
  return l;
}

spdlog::level::level_enum to_spd(Level l) {
  switch (l) {
    case Level::trace:
      return spdlog::level::trace;
    case Level::debug:
      return spdlog::level::debug;
    case Level::info:
      return spdlog::level::info;
    case Level::warn:
      return spdlog::level::warn;
    case Level::error:
      return spdlog::level::err;
    case Level::off:
      return spdlog::level::off;
  }
  return spdlog::level::info;
}

const char* level_name(Level l) {
  switch (l) {
    case Level::trace:
      return "trace";
    case Level::debug:
      return "debug";
    case Level::info:
      return "info";
    case Level::warn:
      return "warn";
    case Level::error:
      return "error";
    case Level::off:
      return "off";
  }
  return "info";
}
}  // namespace

void init(std::string_view level) {
  logger()->set_level(spdlog::level::from_str(std::string(level)));
}

bool enabled(Level level) { return logger()->should_log(to_spd(level)); }

void write(Level level, std::string_view msg, nlohmann::json fields) {
  if (!enabled(level)) return;
  nlohmann::json line = {{"ts", format_rfc3339(SystemClock::instance().now_ms())},
                         {"level", level_name(level)},
                         {"msg", std::string(msg)}};
  for (auto& [k, v] : fields.items()) line[k] = std::move(v);
  logger()->log(to_spd(level), line.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
}

void write_raw(Level level, std::string_view json_line) {
  if (!enabled(level)) return;
  logger()->log(to_spd(level), json_line);
}

}  // namespace gh::log
