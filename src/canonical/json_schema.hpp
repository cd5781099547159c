#pragma once
// SchemaSet: JSON Schema (draft-07) documents compiled once and validated against many times —
// every canonical event is checked against its type's schema before it triggers anything.
//
// Written here because Debian ships no C++ JSON Schema validator. It covers the keywords the
// canonical schemas use and refuses, at load time, a schema with any keyword it does not know,
// so a schema never silently checks less than it says. Supported: type, enum, const,
// properties, required, additionalProperties, patternProperties, propertyNames,
// minProperties, maxProperties, items (one schema or a tuple), additionalItems, contains,
// minItems, maxItems, uniqueItems, minLength, maxLength (in code points), pattern (ECMAScript),
// minimum, maximum, exclusiveMinimum, exclusiveMaximum, multipleOf, allOf, anyOf, oneOf, not,
// if/then/else, definitions/$defs, $ref (within a document, or to another document of the set
// by its name relative to the referring one's: "../common.v1.json#/definitions/id"), boolean
// schemas; annotations ($schema, $id,
// $comment, title, description, default, examples, readOnly, writeOnly, and extensions named
// "x-…") are accepted and ignored. `format` is asserted, not only annotated, for "date-time" (RFC 3339), "date" and
// "email" (one '@', non-empty sides); any other format is a load error.
// Tested against the official JSON-Schema-Test-Suite (Debian's json-schema-test-suite).
//
// Threads: a compiled set is immutable; validate() may be called from any thread.

#include <cstddef>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "weft/result.hpp"

namespace weft::canonical {

// Where an instance broke a schema: the JSON Pointer of the value in the instance, the
// keyword's location in the schema ("<document>#/properties/amount/minimum") and why.
struct SchemaViolation {
  std::string instance_path;
  std::string schema_path;
  std::string message;
  std::string to_string() const;  // "/amount: must be >= 0 (invoice.paid.v1.json#/…/minimum)"
};

// Why a document could not be compiled.
struct SchemaLoadError {
  std::string document;
  std::string schema_path;  // JSON Pointer within the document
  std::string message;
  std::string to_string() const;
};

struct SchemaNode;  // compiled form, internal

class SchemaSet {
 public:
  // `documents`: name → schema. Every document is compiled, and every $ref resolved, now; on
  // failure every error found is returned and nothing is half-usable.
  static Result<SchemaSet, std::vector<SchemaLoadError>> compile(
      const std::map<std::string, nlohmann::json, std::less<>>& documents);

  SchemaSet(SchemaSet&&) noexcept;
  SchemaSet& operator=(SchemaSet&&) noexcept;
  ~SchemaSet();

  bool contains(std::string_view document) const;
  std::vector<std::string> documents() const;  // sorted

  // The violations of `instance` against `document` (empty when it is valid), at most
  // `max_violations` of them. An unknown document is one violation saying so.
  std::vector<SchemaViolation> validate(std::string_view document, const nlohmann::json& instance,
                                        std::size_t max_violations = 8) const;

  struct Compiled;  // internal to json_schema.cpp

 private:
  explicit SchemaSet(std::unique_ptr<Compiled> compiled);
  std::unique_ptr<Compiled> compiled_;
};

}  // namespace weft::canonical
