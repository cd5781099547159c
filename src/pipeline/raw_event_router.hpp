#pragma once
// RawEventRouter: what one raw event becomes. It maps the event to canonical events (the
// connector type's mappings), and for each canonical event starts an instance of every
// workflow whose trigger takes it (event type, then the trigger's jq filter and key). The
// answer is a MappingRecord, which the WorkflowStore writes in one transaction together with
// marking the raw event processed — so an event is either wholly routed or not at all.
//
// Nothing is dropped silently: an event that no mapping accepts, whose mapping fails, or
// whose trigger program fails becomes an exception for the workbench, with the reason.
// An event a mapping deliberately ignores (no output) and a canonical event no workflow
// wants are recorded as such, not as exceptions.
//
// Every id is deterministic (canonical events by raw event and position, instances by
// workflow and canonical event, exceptions by raw event and cause), so routing the same raw
// event again — a replay — writes nothing new.
//
// Threads: route() may be called from any thread; the router itself is immutable.

#include <cstdint>
#include <map>
#include <optional>
#include <memory>
#include <string>

#include "engine/jq_cache.hpp"
#include "canonical/event_schemas.hpp"
#include "pipeline/identity_stage.hpp"
#include "engine/workflow_catalog.hpp"
#include "mapping/mapping_set.hpp"
#include "weft/workflow_store.hpp"

namespace weft::pipeline {

// A canonical event's position in the log (CanonicalEventRecord::order_seq, which its
// instances take as theirs): the raw event's seq times this, plus its place among that raw
// event's outputs. Unique, in event order, and the same for every replay. Stored positions
// (canonical events' keys, instances' order) and migration 13, which computed the positions of
// the canonical events stored before it, use this value: it can never change.
inline constexpr std::int64_t kEventsPerRawEvent = 1024;

struct RouteSummary {
  enum class Outcome { routed, ignored, exception };
  Outcome outcome = Outcome::routed;
  std::size_t canonical_events = 0;
  std::size_t instances = 0;  // starts planned (a replay's are duplicates in the store)
};
const char* to_string(RouteSummary::Outcome outcome);

struct Routed {
  MappingRecord record;
  RouteSummary summary;
  std::optional<StoreError> error;  // identity resolution could not read the store: retry the batch
};

class RawEventRouter {
 public:
  // `connector_types`: connector name in the config → its type (stripe, zendesk, …); the
  // built-in connector of API requests (mapping::kApiConnector) is added.
  // `schemas`: every mapped event is checked against its type's schema first; a raw event
  // whose mapping produced an event that does not match opens a "schema" exception and
  // produces nothing.
  RawEventRouter(std::shared_ptr<const mapping::MappingSet> mappings,
                 std::shared_ptr<const engine::WorkflowCatalog> catalog,
                 std::map<std::string, std::string, std::less<>> connector_types,
                 std::shared_ptr<const canonical::EventSchemas> schemas,
                 std::shared_ptr<const IdentityStage> identity = nullptr);

  // `identity`: the batch's planned identity writes, which resolution reads and extends (see
  // IdentityStage); null, or a router without an IdentityStage, resolves nothing.
  Routed route(const RawEvent& raw, std::int64_t now_ms, IdentityWrites* identity = nullptr) const;

  // The id an instance of `workflow` started by canonical event `event_id`, mapped from raw
  // event `raw_seq`, gets: the same on every replay. It leads with the raw event's place in
  // the log, so that ids sort in the order instances start and the indexes on them (the
  // table's key, the console's lists by status, the step history by instance) grow at their
  // ends: a commit then rewrites the few pages there rather than one random page per
  // instance (an 8 KiB page into the WAL, and again at the checkpoint).
  static std::string instance_id(std::int64_t raw_seq, std::string_view workflow, std::string_view event_id);

 private:
  void start_instances(const RawEvent& raw, const CanonicalEventRecord& event,
                       const nlohmann::json& event_json, std::int64_t now_ms, Routed& out) const;

  std::shared_ptr<const mapping::MappingSet> mappings_;
  std::shared_ptr<const engine::WorkflowCatalog> catalog_;
  std::map<std::string, std::string, std::less<>> connector_types_;
  std::shared_ptr<const canonical::EventSchemas> schemas_;
  std::shared_ptr<const IdentityStage> identity_;
  mutable engine::JqCache jq_;  // thread-safe; caches compiled trigger programs
};

}  // namespace weft::pipeline
