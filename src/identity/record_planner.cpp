#include "identity/record_planner.hpp"

namespace weft::identity {

StoreResult<RecordChange> plan_record_update(IdentityStore& store, RecordUpdate update, IdentityWrites& pending,
                                             std::int64_t at_ms) {
  // The entity may be planned in this batch (not yet stored) or merged into another.
  auto entity = store.resolve_id(update.canonical_id);
  if (!entity) return fail(std::move(entity).error());
  if (*entity) update.canonical_id = (*entity)->id;
  auto stored = store.load_record(update.canonical_id);
  if (!stored) return fail(std::move(stored).error());
  CanonicalRecord record = stored->value_or(CanonicalRecord{update.canonical_id, update.kind, {}, at_ms});
  for (const RecordUpdate& earlier : pending.updates) {
    if (earlier.canonical_id == update.canonical_id) apply_newer_fields(record, earlier, at_ms);
  }
  RecordChange change{update.canonical_id, update.event_id, apply_newer_fields(record, update, at_ms)};
  pending.updates.push_back(std::move(update));
  return change;
}

}  // namespace weft::identity
