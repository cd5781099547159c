#pragma once
// EventSchemas: the JSON Schema of each canonical event type and version — the contract
// between mappings (which produce events) and workflows (which consume them). Every mapped
// event is checked against its schema before it is stored or triggers anything.
//
// The schemas ship inside the binary (schemas/canonical/, compiled in); a deployment may add
// its own (new types, new versions) or replace a shipped file with the config's `schemas_dir`.
// An event of type T and schema_version N is checked against "events/T.vN.json"; the other
// documents (common.v1.json) hold shared definitions that the event schemas $ref.
//
// Threads: immutable once loaded; validate() from any thread.

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "canonical/json_schema.hpp"
#include "config/config.hpp"
#include "mapping/canonical_event.hpp"

namespace weft::canonical {

class EventSchemas {
 public:
  // The shipped schemas, plus every *.json under `extra_dir` (by relative path; a file with a
  // shipped file's path replaces it). Errors name the file; nothing half-loaded is returned.
  // `extra_documents` (name → schema) are added last, the same way (tests use them).
  static Result<EventSchemas, std::vector<config::ConfigError>> load(
      const std::optional<std::string>& extra_dir,
      const std::map<std::string, nlohmann::json, std::less<>>& extra_documents = {});

  // The schema document of an event type and version ("events/invoice.paid.v1.json").
  static std::string document_for(const std::string& type, int schema_version);

  // The payload's violations (empty: valid). A type/version without a schema is one violation.
  std::vector<SchemaViolation> validate(const mapping::CanonicalEvent& event) const;

  std::vector<std::string> event_types() const;  // "invoice.paid v1", sorted

 private:
  explicit EventSchemas(std::shared_ptr<const SchemaSet> set) : set_(std::move(set)) {}
  std::shared_ptr<const SchemaSet> set_;
};

}  // namespace weft::canonical
