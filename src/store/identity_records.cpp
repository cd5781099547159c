// The one rule by which every IdentityStore updates canonical records and relations
// (identity_store.hpp): per field, the newer platform change wins; ties keep what is stored.

#include <algorithm>

#include "weft/identity_store.hpp"

namespace weft {

namespace {

// Floor division, so a time before 1970 still falls in its own second.
std::int64_t second_of(std::int64_t ms) { return ms >= 0 ? ms / 1000 : -((-ms + 999) / 1000); }

// Sets the field when `incoming` is newer; true when its value changed.
bool offer(CanonicalRecord& record, const std::string& name, const FieldState& incoming) {
  auto it = record.fields.find(name);
  if (it == record.fields.end()) {
    record.fields.emplace(name, incoming);
    return true;
  }
  FieldState& stored = it->second;
  if (!is_newer(incoming.platform_time_ms, incoming.platform_seq, stored.platform_time_ms, stored.platform_seq)) {
    return false;
  }
  const bool changed = stored.value_json != incoming.value_json;
  stored = incoming;
  return changed;
}

}  // namespace

bool is_newer(std::int64_t time_ms, std::int64_t seq, std::int64_t stored_time_ms, std::int64_t stored_seq) {
  const std::int64_t second = second_of(time_ms);
  const std::int64_t stored_second = second_of(stored_time_ms);
  if (second != stored_second) return second > stored_second;
  // The same second: platforms that stamp whole seconds (Stripe) order such events only by
  // their own sequence, so it outranks the milliseconds when both sides have one.
  if (seq > 0 && stored_seq > 0 && seq != stored_seq) return seq > stored_seq;
  return time_ms > stored_time_ms;
}

std::vector<std::string> apply_newer_fields(CanonicalRecord& record, const RecordUpdate& update,
                                            std::int64_t at_ms) {
  std::vector<std::string> changed;
  for (const auto& [name, value] : update.fields) {
    const FieldState incoming{value, update.connector, update.event_id, update.platform_time_ms, update.platform_seq};
    if (offer(record, name, incoming)) changed.push_back(name);
  }
  if (!changed.empty()) record.updated_at_ms = at_ms;
  return changed;  // already sorted: update.fields is a std::map
}

void merge_records(CanonicalRecord& into, const CanonicalRecord& from, std::int64_t at_ms) {
  bool changed = false;
  for (const auto& [name, state] : from.fields) changed = offer(into, name, state) || changed;
  if (changed) into.updated_at_ms = at_ms;
}

bool relation_is_newer(const IdentityRelation& incoming, const IdentityRelation& stored) {
  return is_newer(incoming.platform_time_ms, incoming.platform_seq, stored.platform_time_ms, stored.platform_seq);
}

}  // namespace weft
