#include "identity/record_update.hpp"

namespace weft::identity {

RecordUpdate record_update(const mapping::CanonicalEvent& event, std::string_view kind,
                           std::string_view canonical_id, std::int64_t platform_seq) {
  RecordUpdate update;
  update.canonical_id = canonical_id;
  update.kind = kind;
  update.connector = event.source_connector;
  update.event_id = event.id;
  update.platform_time_ms = event.occurred_at_ms;
  update.platform_seq = platform_seq;
  if (event.payload.is_object()) {
    for (const auto& [name, value] : event.payload.items()) update.fields.emplace(name, value.dump());
  }
  return update;
}

}  // namespace weft::identity
