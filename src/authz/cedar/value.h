// Cedar runtime values (the `Value` of cedar-spec's Spec/Value.lean): primitives, entity
// references, sets, records and the extension types ipaddr, decimal, datetime and duration.
// Heap parts are shared and immutable, so copying a value is cheap.
#pragma once

#include <array>
#include <compare>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

namespace gh::cedar {

struct EntityUid {
  std::string type;  // fully qualified, e.g. "App::User"
  std::string id;

  bool operator==(const EntityUid&) const = default;
  std::strong_ordering operator<=>(const EntityUid&) const = default;
  // Cedar's own display form: Type::"id" with the id escaped.
  std::string to_string() const;
};

struct EntityUidHash {
  size_t operator()(const EntityUid& uid) const noexcept {
    size_t h = std::hash<std::string_view>{}(uid.type);
    return h ^
           (std::hash<std::string_view>{}(uid.id) + 0x9e3779b97f4a7c15ULL + (h << 6) + (h >> 2));
  }
};

// An IPv4 or IPv6 CIDR. `prefix` equals the address width when none was written, which is
// exactly how cedar-spec compares them (ip("1.2.3.4") == ip("1.2.3.4/32")).
struct IpAddr {
  std::array<uint8_t, 16> bytes{};  // IPv4 uses the first 4
  uint8_t prefix = 0;
  bool v6 = false;

  bool operator==(const IpAddr&) const = default;
  std::strong_ordering operator<=>(const IpAddr&) const = default;
  int width() const { return v6 ? 128 : 32; }
  bool in_range(const IpAddr& net) const;
  bool is_loopback() const;
  bool is_multicast() const;
  std::string to_string() const;
};

struct Decimal {
  int64_t scaled = 0;  // value × 10⁴
  bool operator==(const Decimal&) const = default;
  std::strong_ordering operator<=>(const Decimal&) const = default;
  std::string to_string() const;
};
struct Datetime {
  int64_t ms = 0;  // milliseconds since the Unix epoch, UTC
  bool operator==(const Datetime&) const = default;
  std::strong_ordering operator<=>(const Datetime&) const = default;
};
struct Duration {
  int64_t ms = 0;
  bool operator==(const Duration&) const = default;
  std::strong_ordering operator<=>(const Duration&) const = default;
};

// Extension constructors; nullopt is Cedar's extension error.
std::optional<IpAddr> parse_ip(std::string_view text);
std::optional<Decimal> parse_decimal(std::string_view text);
std::optional<Datetime> parse_datetime(std::string_view text);
std::optional<Duration> parse_duration(std::string_view text);

class Value;
using ValueSet = std::vector<Value>;                        // sorted, no duplicates
using Record = std::vector<std::pair<std::string, Value>>;  // sorted by key, unique keys

enum class Kind : uint8_t {
  kBool,
  kLong,
  kString,
  kEntity,
  kSet,
  kRecord,
  kIp,
  kDecimal,
  kDatetime,
  kDuration
};
const char* kind_name(Kind kind);

class Value {
 public:
  Value() : v_(false) {}
  static Value boolean(bool b) { return Value(Storage(std::in_place_index<0>, b)); }
  static Value integer(int64_t i) { return Value(Storage(std::in_place_index<1>, i)); }
  static Value string(std::string s) {
    return Value(
        Storage(std::in_place_index<2>, std::make_shared<const std::string>(std::move(s))));
  }
  static Value entity(EntityUid uid) {
    return Value(
        Storage(std::in_place_index<3>, std::make_shared<const EntityUid>(std::move(uid))));
  }
  static Value entity(std::shared_ptr<const EntityUid> uid) {
    return Value(Storage(std::in_place_index<3>, std::move(uid)));
  }
  // Sorts and removes duplicates.
  static Value set(ValueSet elements);
  // Sorts by key; a duplicate key keeps the last value.
  static Value record(Record fields);
  static Value record(std::shared_ptr<const Record> fields) {
    return Value(Storage(std::in_place_index<5>, std::move(fields)));
  }
  static Value ip(IpAddr a) { return Value(Storage(std::in_place_index<6>, a)); }
  static Value decimal(Decimal d) { return Value(Storage(std::in_place_index<7>, d)); }
  static Value datetime(Datetime d) { return Value(Storage(std::in_place_index<8>, d)); }
  static Value duration(Duration d) { return Value(Storage(std::in_place_index<9>, d)); }

  Kind kind() const { return static_cast<Kind>(v_.index()); }
  bool as_bool() const { return std::get<0>(v_); }
  int64_t as_long() const { return std::get<1>(v_); }
  const std::string& as_string() const { return *std::get<2>(v_); }
  const EntityUid& as_entity() const { return *std::get<3>(v_); }
  const ValueSet& as_set() const { return *std::get<4>(v_); }
  const Record& as_record() const { return *std::get<5>(v_); }
  const IpAddr& as_ip() const { return std::get<6>(v_); }
  Decimal as_decimal() const { return std::get<7>(v_); }
  Datetime as_datetime() const { return std::get<8>(v_); }
  Duration as_duration() const { return std::get<9>(v_); }

  // Structural equality (Cedar ==) and a total order used to keep sets canonical.
  friend bool operator==(const Value& a, const Value& b) { return compare(a, b) == 0; }
  friend int compare(const Value& a, const Value& b);

 private:
  using Storage = std::variant<bool, int64_t, std::shared_ptr<const std::string>,
                               std::shared_ptr<const EntityUid>, std::shared_ptr<const ValueSet>,
                               std::shared_ptr<const Record>, IpAddr, Decimal, Datetime, Duration>;
  explicit Value(Storage v) : v_(std::move(v)) {}
  Storage v_;
};

// Binary search in a sorted record; nullptr when absent.
const Value* find_field(const Record& record, std::string_view key);

// Escapes a string the way Cedar prints string literals.
std::string quote_cedar_string(std::string_view s);

}  // namespace gh::cedar
