// A value or an error, without std::expected (not in libstdc++ 12) and without tl::expected so
// the fuzz preset compiles this library with nothing but the standard library and nlohmann.
#pragma once

#include <string>
#include <utility>
#include <variant>

namespace gh::cedar {

// Every failure the engine reports: a stable code, a message for the policy author, and for
// parse errors a 1-based line and column (0 otherwise). Evaluation codes follow cedar-spec's
// `Error` (Spec/Result.lean): entity_does_not_exist, attr_does_not_exist, tag_does_not_exist,
// type_error, arith_bounds_error, extension_error.
struct Error {
  std::string message;
  int line = 0;
  int column = 0;
  const char* code = "cedar.invalid_input";

  std::string describe() const {
    if (line == 0) return message;
    return std::to_string(line) + ":" + std::to_string(column) + ": " + message;
  }
};

template <class T>
class [[nodiscard]] Result {
 public:
  Result(T value) : v_(std::in_place_index<0>, std::move(value)) {}  // NOLINT: implicit by design
  Result(Error error) : v_(std::in_place_index<1>, std::move(error)) {}  // NOLINT

  bool ok() const { return v_.index() == 0; }
  explicit operator bool() const { return ok(); }
  T& operator*() & { return std::get<0>(v_); }
  const T& operator*() const& { return std::get<0>(v_); }
  T&& operator*() && { return std::get<0>(std::move(v_)); }
  T* operator->() { return &std::get<0>(v_); }
  const T* operator->() const { return &std::get<0>(v_); }
  const Error& error() const { return std::get<1>(v_); }
  Error&& take_error() { return std::get<1>(std::move(v_)); }

 private:
  std::variant<T, Error> v_;
};

inline Error make_error(std::string message) { return Error{std::move(message), 0, 0}; }
inline Error make_error(const char* code, std::string message) {
  return Error{std::move(message), 0, 0, code};
}

}  // namespace gh::cedar
