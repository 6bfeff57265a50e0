// Structured logging: one JSON object per line on stderr, through spdlog. Every line written
// while handling a request carries its request id.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

namespace gh::log {

enum class Level { trace, debug, info, warn, error, off };

void init(std::string_view level);
bool enabled(Level level);
void write(Level level, std::string_view msg, nlohmann::json fields = nlohmann::json::object());

inline void debug(std::string_view msg, nlohmann::json f = nlohmann::json::object()) {
  write(Level::debug, msg, std::move(f));
}
inline void info(std::string_view msg, nlohmann::json f = nlohmann::json::object()) {
  write(Level::info, msg, std::move(f));
}
inline void warn(std::string_view msg, nlohmann::json f = nlohmann::json::object()) {
  write(Level::warn, msg, std::move(f));
}
inline void error(std::string_view msg, nlohmann::json f = nlohmann::json::object()) {
  write(Level::error, msg, std::move(f));
}

// A pre-formatted JSON line (the access log builds its own for speed).
void write_raw(Level level, std::string_view json_line);

}  // namespace gh::log
