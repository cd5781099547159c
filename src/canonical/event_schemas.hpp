#pragma once
// EventSchemas: the JSON Schema of each canonical event type and version — the contract
// between mappings (which produce events) and workflows (which consume them). Every mapped
// event is checked against its schema before it is stored or triggers anything.
//
// The schemas ship inside the binary (schemas/canonical/, compiled in); a deployment may add
// its own (new types, new versions) or replace a shipped file with the config's `schemas_dir`.
// An event of type T and schema_version N is checked against "events/T.vN.json"; the other
// documents (common.v1.json) hold shared definitions that the event schemas $ref.
// The canonical record of an entity kind K (what the `record: true` events write, field by
// field: identity/record_update.hpp) is described by "entities/K.v1.json".
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

// An entity an event names, as its schema's "x-weft-identity" declares it: identity resolution
// links the platform id (and what else identifies the entity) to a canonical id, which the
// event then carries in canonical_ids[kind]. Fields are JSON Pointers into the payload.
struct EntityRole {
  std::string kind;         // customer, subscription, invoice, case, …
  std::string platform_id;  // required, e.g. "/customer_id"; a null value names no entity
  std::string external_id;  // optional pointers: empty when the event does not carry it
  std::string email;
  std::string tax_id;
  std::string name;
  bool record = false;  // the payload's fields update this entity's canonical record
};

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

  // The schema document of an entity kind's canonical record ("entities/customer.v1.json").
  static std::string entity_document_for(const std::string& kind, int schema_version = 1);
  // The violations of a canonical record's values ({field: value}) of `kind`; a kind without
  // a schema is one violation.
  std::vector<SchemaViolation> validate_record(const std::string& kind,
                                               const nlohmann::json& values,
                                               int schema_version = 1) const;

  std::vector<std::string> event_types() const;  // "invoice.paid v1", sorted

  // The entities an event of this type and version names; empty for none or an unknown type.
  const std::vector<EntityRole>& roles(const std::string& type, int schema_version) const;

 private:
  using Roles = std::map<std::string, std::vector<EntityRole>, std::less<>>;  // by document
  EventSchemas(std::shared_ptr<const SchemaSet> set, std::shared_ptr<const Roles> roles)
      : set_(std::move(set)), roles_(std::move(roles)) {}
  std::shared_ptr<const SchemaSet> set_;
  std::shared_ptr<const Roles> roles_;
};

}  // namespace weft::canonical
