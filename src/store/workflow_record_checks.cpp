#include <string>

#include "weft/workflow_store.hpp"

namespace weft {

namespace {

StoreError unplaced(std::string_view what, std::string_view id, std::int64_t order_seq) {
  return StoreError{StoreErrc::invalid_argument, std::string(what) + " " + std::string(id) +
                                                     " has no log position (order_seq " +
                                                     std::to_string(order_seq) + ")"};
}

}  // namespace

StoreResult<void> check_transitions(std::span<const Transition> batch) {
  for (const Transition& t : batch) {
    if (t.create && t.create->order_seq < 1) {
      return fail(unplaced("instance", t.create->id, t.create->order_seq));
    }
  }
  return {};
}

StoreResult<void> check_mapping_records(std::span<const MappingRecord> records) {
  for (const MappingRecord& m : records) {
    for (const CanonicalEventRecord& e : m.events) {
      if (e.order_seq < 1) return fail(unplaced("canonical event", e.id, e.order_seq));
    }
    if (auto checked = check_transitions(m.starts); !checked) return checked;
  }
  return {};
}

}  // namespace weft
