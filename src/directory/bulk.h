// SCIM Bulk (RFC 7644 §3.7) as a pure piece: parsing the BulkRequest message, bulkId
// references ("bulkId:qwerty" in an operation's path or anywhere in its data, §3.7.2) and the
// order operations can run in. The service runs each operation as its own unit of work (its
// own transaction: §3.7 leaves atomicity per operation), so a failed operation changes nothing
// and the others stand.
#pragma once

#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "directory/patch.h"

namespace gh::directory {

inline constexpr std::string_view kBulkRequestUrn =
    "urn:ietf:params:scim:api:messages:2.0:BulkRequest";
inline constexpr std::string_view kBulkResponseUrn =
    "urn:ietf:params:scim:api:messages:2.0:BulkResponse";
// Advertised in /ServiceProviderConfig and enforced (413 beyond either).
inline constexpr size_t kBulkMaxOperations = 1000;
inline constexpr size_t kBulkMaxPayloadBytes = 1024 * 1024;

struct BulkOperation {
  std::string method;   // POST | PUT | PATCH | DELETE (uppercased)
  std::string bulk_id;  // required for POST
  std::string path;     // "/Users", "/Groups/{id}", "/Users/bulkId:x"
  std::string version;  // ETag for If-Match, "" for none
  nlohmann::json data;  // the resource (POST, PUT) or the PatchOp message (PATCH)
};

struct BulkRequest {
  std::vector<BulkOperation> operations;
  int fail_on_errors = 0;  // 0: process every operation
};

// invalidSyntax (400) for a malformed message or operation; 413 tooMany beyond
// kBulkMaxOperations.
ScimResult<BulkRequest> parse_bulk_request(const nlohmann::json& body);

// "/Users" → {"User", ""}; "/Groups/abc" → {"Group", "abc"}; invalidPath otherwise, and for
// POST with an id or the other methods without one.
struct BulkTarget {
  std::string type;  // User | Group
  std::string id;
};
ScimResult<BulkTarget> bulk_target(const BulkOperation& op);

// The bulkIds an operation refers to (in its path or its data), in order of appearance.
std::vector<std::string> bulk_references(const BulkOperation& op);

// Replaces every "bulkId:x" string (the path, any string value in data) with the id created for
// x. Returns the first reference it cannot resolve, or nullopt when all were.
std::optional<std::string> resolve_bulk_references(BulkOperation& op,
                                                   const std::map<std::string, std::string>& ids);

}  // namespace gh::directory
