// A login's trace: each step with its time, the redacted protocol message, each check with its
// outcome, and the final error code. Built in memory while a request runs, stored sealed under
// the organization's data key (LoginTraceService), read back through the admin API by request
// id. Check codes are the stable error codes of the failure they guard against
// (`login.state_invalid` passed = the state was valid).
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

#include "core/clock.h"
#include "core/error.h"

namespace gh::federation {

// Protocol message fields that never reach a trace in clear: they are bearer values.
bool is_secret_field(std::string_view name);
// A copy of `message` with every secret field (at any depth) replaced by "[redacted]".
nlohmann::json redact(const nlohmann::json& message);

class Trace {
 public:
  explicit Trace(const Clock& clock = SystemClock::instance()) : clock_(clock) {}
  // Continues a trace read back from the store.
  Trace(const Clock& clock, nlohmann::json body);

  // Starts a step; the message is redacted before it is kept.
  void step(std::string_view name, const nlohmann::json& message = nlohmann::json::object());
  // Records one check on the current step.
  void check(std::string_view code, bool passed, std::string_view detail = {});
  // The login's outcome: its final error code (or "ok").
  void finish(const Error& error);
  void finish_ok();

  bool test_mode() const { return body_.value("test_mode", false); }
  void set_test_mode(bool on) { body_["test_mode"] = on; }
  // Every check recorded, in order: [{"step", "code", "passed", "detail"}].
  nlohmann::json checks() const;
  bool any_failed() const;
  const nlohmann::json& json() const { return body_; }

 private:
  const Clock& clock_;
  nlohmann::json body_ = {{"steps", nlohmann::json::array()}};
};

}  // namespace gh::federation
