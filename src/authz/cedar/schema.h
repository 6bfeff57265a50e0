// The parts of a Cedar schema the authorizer needs before the validator exists (a later issue):
// attribute, tag and context types, so that JSON input is read as the schema types it (a string
// into a decimal, {"type","id"} into an entity), and the action hierarchy. Both of Cedar's schema
// formats are accepted: the human-readable one (.cedarschema) and the JSON one.
#pragma once

#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "authz/cedar/result.h"
#include "authz/cedar/value.h"

namespace gh::cedar {

struct SchemaType;
using SchemaTypePtr = std::shared_ptr<const SchemaType>;

struct AttributeType {
  SchemaTypePtr type;
  bool required = true;
};

struct SchemaType {
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
  Kind kind = Kind::kBool;
  std::string entity_type;                     // kEntity
  SchemaTypePtr element;                       // kSet
  std::map<std::string, AttributeType> attrs;  // kRecord
};

struct EntityTypeDecl {
  std::string name;
  std::vector<std::string> parent_types;
  SchemaTypePtr shape;  // a record type
  SchemaTypePtr tags;   // null when the type has no tags
  std::vector<std::string> enum_ids;
};

struct ActionDecl {
  EntityUid uid;
  std::vector<EntityUid> parents;
  std::vector<std::string> principal_types;
  std::vector<std::string> resource_types;
  SchemaTypePtr context;  // a record type
};

struct Schema {
  std::map<std::string, EntityTypeDecl> entity_types;
  std::map<EntityUid, ActionDecl> actions;

  const EntityTypeDecl* entity_type(std::string_view name) const;
  const ActionDecl* action(const EntityUid& uid) const;
};

// Human-readable schema syntax.
Result<Schema> parse_schema_text(std::string_view text);
// JSON schema syntax.
Result<Schema> parse_schema_json(std::string_view text);
// Picks the format: JSON if the first non-blank character is '{'.
Result<Schema> parse_schema(std::string_view text);

}  // namespace gh::cedar
