#include "store/memory/memory_store.hpp"

#include <algorithm>

namespace weft {

StoreResult<std::vector<AppendOutcome>> MemoryStore::append_raw_events(
    std::span<const NewRawEvent> events) {
  std::lock_guard lock(mutex_);
  std::vector<AppendOutcome> outcomes;
  outcomes.reserve(events.size());
  for (const NewRawEvent& e : events) {
    auto key = std::make_pair(e.connector, e.event_id);
    if (by_id_.count(key) != 0) {
      outcomes.push_back(AppendOutcome::duplicate);
      continue;
    }
    RawEvent stored;
    static_cast<NewRawEvent&>(stored) = e;
    stored.seq = next_seq_++;
    // As the SQLite store: receive times never decrease along the log.
    if (!events_.empty()) {
      const std::int64_t previous = events_.rbegin()->second.received_at_ms;
      stored.received_at_ms = std::max(stored.received_at_ms, previous);
    }
    by_id_.emplace(std::move(key), stored.seq);
    events_.emplace(stored.seq, std::move(stored));
    outcomes.push_back(AppendOutcome::inserted);
  }
  return outcomes;
}

StoreResult<std::vector<RawEvent>> MemoryStore::query_raw_events(const RawEventQuery& q) {
  std::lock_guard lock(mutex_);
  std::vector<RawEvent> out;
  const int limit = std::clamp(q.limit, 1, 1000);
  for (auto it = events_.upper_bound(q.after_seq); it != events_.end(); ++it) {
    const RawEvent& e = it->second;
    if (q.connector && e.connector != *q.connector) continue;
    if (q.event_type && e.event_type != *q.event_type) continue;
    if (q.business_key && e.business_key != *q.business_key) continue;
    if (q.received_from_ms && e.received_at_ms < *q.received_from_ms) continue;
    if (q.received_to_ms && e.received_at_ms >= *q.received_to_ms) continue;
    if (q.processed && e.processed_at_ms.has_value() != *q.processed) continue;
    out.push_back(e);
    if (static_cast<int>(out.size()) == limit) break;
  }
  return out;
}

StoreResult<std::optional<RawEvent>> MemoryStore::find_raw_event(std::string_view connector,
                                                                 std::string_view event_id) {
  std::lock_guard lock(mutex_);
  auto it = by_id_.find(std::make_pair(std::string(connector), std::string(event_id)));
  if (it == by_id_.end()) return std::optional<RawEvent>();
  return std::optional<RawEvent>(events_.at(it->second));
}

StoreResult<void> MemoryStore::mark_processed(std::span<const std::int64_t> seqs, std::int64_t at_ms) {
  std::lock_guard lock(mutex_);
  for (std::int64_t seq : seqs) {
    if (auto it = events_.find(seq); it != events_.end() && !it->second.processed_at_ms) {
      it->second.processed_at_ms = at_ms;
    }
  }
  return {};
}

StoreResult<std::int64_t> MemoryStore::count_unprocessed() {
  std::lock_guard lock(mutex_);
  std::int64_t n = 0;
  for (const auto& [seq, e] : events_) n += e.processed_at_ms ? 0 : 1;
  return n;
}

StoreResult<SchemaStatus> MemoryStore::schema_status() { return SchemaStatus{1, 1}; }

StoreResult<std::optional<std::string>> MemoryStore::load_cursor(std::string_view name) {
  std::lock_guard lock(mutex_);
  const auto it = cursors_.find(name);
  if (it == cursors_.end()) return std::optional<std::string>();
  return std::optional<std::string>(it->second);
}

StoreResult<void> MemoryStore::save_cursor(std::string_view name, std::string_view value,
                                           std::int64_t /*at_ms*/) {
  std::lock_guard lock(mutex_);
  cursors_.insert_or_assign(std::string(name), std::string(value));
  return {};
}

std::optional<StoreError> FaultInjectingStore::injected() {
  std::lock_guard lock(mutex_);
  return error_;
}

#define WEFT_FAULT_OR(call)               \
  if (auto e = injected()) return fail(*e); \
  return inner_.call

StoreResult<std::vector<AppendOutcome>> FaultInjectingStore::append_raw_events(
    std::span<const NewRawEvent> events) {
  WEFT_FAULT_OR(append_raw_events(events));
}
StoreResult<std::vector<RawEvent>> FaultInjectingStore::query_raw_events(const RawEventQuery& q) {
  WEFT_FAULT_OR(query_raw_events(q));
}
StoreResult<std::optional<RawEvent>> FaultInjectingStore::find_raw_event(std::string_view c,
                                                                         std::string_view id) {
  WEFT_FAULT_OR(find_raw_event(c, id));
}
StoreResult<void> FaultInjectingStore::mark_processed(std::span<const std::int64_t> seqs,
                                                      std::int64_t at_ms) {
  WEFT_FAULT_OR(mark_processed(seqs, at_ms));
}
StoreResult<std::int64_t> FaultInjectingStore::count_unprocessed() {
  WEFT_FAULT_OR(count_unprocessed());
}
StoreResult<SchemaStatus> FaultInjectingStore::schema_status() { WEFT_FAULT_OR(schema_status()); }
StoreResult<std::optional<std::string>> FaultInjectingStore::load_cursor(std::string_view name) {
  WEFT_FAULT_OR(load_cursor(name));
}
StoreResult<void> FaultInjectingStore::save_cursor(std::string_view name, std::string_view value,
                                                   std::int64_t at_ms) {
  WEFT_FAULT_OR(save_cursor(name, value, at_ms));
}

#undef WEFT_FAULT_OR

}  // namespace weft
