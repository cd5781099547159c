#pragma once
// CanonicalEvent: one business fact in Weft's shared vocabulary (DESIGN.md, "Canonical
// model"), produced from a raw platform event by a mapping and consumed by workflows.

#include <cstdint>
#include <map>
#include <nlohmann/json.hpp>
#include <string>

namespace weft::mapping {

struct CanonicalEvent {
  // Deterministic: the same raw event mapped again (a replay) gives the same id, so
  // consumers de-duplicate on it.
  std::string id;
  std::string type;                 // e.g. "invoice.paid"
  int schema_version = 1;           // of this type's payload
  std::string business_key;         // orders events: those with the same key apply in order
  std::int64_t occurred_at_ms = 0;  // when it happened on the platform (Unix ms)
  // The platform's own order of its events or record versions, where it has one: orders two
  // events of the same platform second when canonical records are updated. 0: none.
  std::int64_t platform_seq = 0;
  std::string source_connector;     // the connector's name in the config
  std::string source_event_id;      // the platform's event id
  std::string correlation_id;       // shared by everything one outside request set off
  std::string causation_id;         // the event that caused this one
  nlohmann::json payload = nlohmann::json::object();
  // The canonical id of each entity the event names, by kind ({"customer": "customer_…"}),
  // from identity resolution (docs/identity.md); workflows read .event.canonical_ids.
  std::map<std::string, std::string> canonical_ids;
  int mapping_version = 0;  // `version` of the mapping file that produced it
};

// JSON with the member names as keys. from_json requires id, type, schema_version,
// business_key and payload, defaults the rest, and throws nlohmann::json::exception on a
// missing required field or a wrong type (it reads back what to_json wrote).
void to_json(nlohmann::json& out, const CanonicalEvent& event);
void from_json(const nlohmann::json& in, CanonicalEvent& event);

}  // namespace weft::mapping
