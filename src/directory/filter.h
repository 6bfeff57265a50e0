// SCIM filters and PATCH paths (RFC 7644 §3.4.2.2, §3.5.2): a pure parser, a canonical printer
// (parse(print(f)) == f) and an evaluator over a resource's JSON. No I/O and no store: the fuzz
// target links this file alone.
//
//   FILTER    = attrExp / logExp / valuePath / *1"not" "(" FILTER ")" / "(" FILTER ")"
//   valuePath = attrPath "[" valFilter "]"
//   attrExp   = (attrPath SP "pr") / (attrPath SP compareOp SP compValue)
//   attrPath  = [URI ":"] ATTRNAME *1("." subAttr)
//   PATH      = attrPath / valuePath [subAttr]        (PATCH)
//
// Operators and keywords are case-insensitive; precedence is not > and > or, and/or
// left-associative. Entra's unquoted values (`externalId eq jyoung`) are tolerated as strings.
#pragma once

#include <functional>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace gh::directory {

// "urn:...:enterprise:2.0:User:manager.value" → urn, attr "manager", sub "value". Names keep the
// client's spelling; comparisons are case-insensitive.
struct AttrPath {
  std::string urn;
  std::string attr;
  std::string sub;
  bool operator==(const AttrPath&) const = default;
  std::string str() const;  // canonical spelling
};

struct Filter {
  enum class Kind { compare, present, and_, or_, not_, value_path };
  Kind kind = Kind::compare;
  AttrPath path;             // compare, present, value_path
  std::string op;            // compare: eq ne co sw ew gt ge lt le (lowercase)
  nlohmann::json value;      // compare: string, number, boolean or null
  std::vector<Filter> kids;  // and/or: 2; not: 1; value_path: the inner filter
  bool operator==(const Filter&) const = default;
};

struct ParseError {
  std::string scim_type;  // invalidFilter | invalidPath
  std::string detail;
};

inline constexpr size_t kMaxFilterLength = 4096;
inline constexpr int kMaxFilterDepth = 32;

// A filter or a ParseError (scimType invalidFilter).
struct FilterParse {
  std::optional<Filter> filter;
  ParseError error;
};
FilterParse parse_filter(std::string_view text);
std::string print_filter(const Filter& f);

// A PATCH path: attrPath, or valuePath with an optional ".sub" after the bracket.
struct PatchPath {
  AttrPath path;                 // the attribute (sub: the sub-attribute when no filter)
  std::optional<Filter> filter;  // members[value eq "x"]
  std::string sub_after;         // emails[type eq "work"].value → "value"
  bool operator==(const PatchPath&) const = default;
};
struct PathParse {
  std::optional<PatchPath> path;
  ParseError error;  // scimType invalidPath
};
PathParse parse_patch_path(std::string_view text);
std::string print_patch_path(const PatchPath& p);

// Whether a string attribute compares case-exactly (from the schema). Called with the lowercase
// canonical path ("username", "emails.value", "urn:...:user:employeenumber").
using CaseExact = std::function<bool(const std::string& lowercase_path)>;

// The RFC 7643 defaults for the attributes Gatehouse serves: id, externalId, $ref and members'
// and groups' values are case-exact; everything else is not.
bool default_case_exact(const std::string& lowercase_path);

// Case-insensitive member lookup (RFC 7643 §2.1: attribute names are case-insensitive).
const nlohmann::json* find_member(const nlohmann::json& object, std::string_view name);
// The object an attribute path starts from: the resource, or its extension object for a URN.
const nlohmann::json* path_root(const nlohmann::json& resource, const AttrPath& path);

// Does `resource` match? gt/ge/lt/le compare strings (ISO dateTimes order as strings) and
// numbers; booleans and null only compare with eq/ne.
bool matches(const Filter& f, const nlohmann::json& resource, const CaseExact& case_exact);
// The same, for a value-path filter applied to one element of a multi-valued attribute.
bool matches_element(const Filter& f, const nlohmann::json& element, const std::string& attr,
                     const CaseExact& case_exact);

std::string lower(std::string_view s);

}  // namespace gh::directory
