#pragma once
// WorkflowStore: the durable state of the workflow engine, behind one interface that SQLite
// implements now and PostgreSQL next.
//
// The engine computes each change of an instance in memory and hands it over as one
// Transition; apply() writes a batch of transitions in one transaction and one durable
// commit (group commit, as on the ingest path). A transition either applies whole or not at
// all: each carries the revision it expects, and a transition whose instance moved on
// meanwhile is refused as a conflict without disturbing the others of the batch.
//
// Effects on platforms happen between two transitions: the engine persists "this step is
// due", calls the platform with an idempotency key derived from (instance, step), and only
// then persists the result. A crash in between repeats the call with the same key, which the
// platform de-duplicates.
//
// Threads: every method may be called from any thread.

#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "weft/alert_store.hpp"
#include "weft/api_store.hpp"
#include "weft/identity_store.hpp"
#include "weft/reconciliation_store.hpp"
#include "weft/store.hpp"

namespace weft {

enum class InstanceStatus {
  running,       // has work due (a step, a retry, a timer)
  waiting,       // waits for an approval or an event, maybe with a timeout
  completed,
  failed,        // failed for good, compensation done (or none): see its exception
  discarded,     // an operator discarded its exception
};
const char* to_string(InstanceStatus status);
std::optional<InstanceStatus> parse_instance_status(std::string_view text);
inline bool is_terminal(InstanceStatus s) {
  return s == InstanceStatus::completed || s == InstanceStatus::failed || s == InstanceStatus::discarded;
}

struct InstanceRecord {
  std::string id;
  std::string workflow;
  int version = 0;
  std::string business_key;
  std::string trigger_event_id;  // canonical event that started it
  // The trigger's position in the event log (CanonicalEventRecord::order_seq): orders the
  // instances of one key, and names the trigger, so it is unique per workflow.
  std::int64_t order_seq = 0;
  InstanceStatus status = InstanceStatus::running;
  std::string state_json = "{}";   // the workflow state document
  std::string cursor_json = "{}";  // where execution stands (engine-defined)
  std::int64_t revision = 0;       // +1 with every applied transition
  std::string correlation_id;
  std::int64_t created_at_ms = 0;
  std::int64_t updated_at_ms = 0;
  std::optional<std::int64_t> due_at_ms;  // the task: when the engine should look at it next
};

// One line of an instance's history: what happened to a step.
struct StepEventRecord {
  std::string instance_id;
  std::string step_id;
  std::string kind;  // started, completed, failed, retry_scheduled, waiting, resumed, compensated, …
  int attempt = 0;
  std::int64_t at_ms = 0;
  std::string detail_json = "{}";
  std::int64_t seq = 0;  // assigned by the store
};

enum class ExceptionStatus { open, retried, discarded };
const char* to_string(ExceptionStatus status);

// An item of the exception workbench: something that needs a person.
struct ExceptionRecord {
  std::string id;
  std::string instance_id;   // empty for events no mapping or workflow took
  std::string workflow;
  std::string step_id;
  std::string failure_class;  // transient, rate_limited, auth, validation, conflict, unknown_outcome, mapping, …
  std::string reason;
  std::string context_json = "{}";  // input, response, raw event …
  ExceptionStatus status = ExceptionStatus::open;
  std::int64_t created_at_ms = 0;
  std::int64_t resolved_at_ms = 0;
  std::string resolved_by;
  std::string resolution;  // the discard reason, or the retry note
};

// A person's decision the engine waits for.
struct ApprovalRecord {
  std::string id;
  std::string instance_id;
  std::string step_id;
  std::string role;
  std::string title;
  std::string context_json = "{}";
  std::string status = "pending";  // pending, approved, rejected, expired
  std::string requested_by;        // who started the request (four-eyes)
  std::string decided_by;
  std::string comment;
  std::int64_t created_at_ms = 0;
  std::int64_t decided_at_ms = 0;
};

// An instance waiting for a canonical event: the engine's index to find it when one comes.
struct EventWaitRecord {
  std::string instance_id;
  std::string step_id;
  std::string event_type;
  std::string business_key;
};

// What became of one SLA of one instance (the workflow's `slas:`): met, or breached. Written
// with the transition that learnt it, so the SLO monitor reads durable outcomes rather than
// scraping metrics. One per (instance, sla): the first outcome decides met/breached and when
// it was known; a breach noticed while `to` was pending gets its finish time later.
struct SlaOutcomeRecord {
  std::string instance_id;
  std::string workflow;
  std::string sla;
  std::string business_key;
  std::int64_t started_at_ms = 0;  // the `from` milestone
  // When the outcome became known: the `to` milestone, or (breached) the moment the limit passed.
  std::int64_t decided_at_ms = 0;
  bool breached = false;
  std::optional<std::int64_t> finished_at_ms;  // the `to` milestone, once reached
};

// The outcomes of one SLA decided within (from_ms, to_ms].
struct SlaOutcomeQuery {
  std::string workflow;
  std::string sla;
  std::int64_t from_ms = 0;
  std::int64_t to_ms = 0;
  std::optional<bool> breached;  // only breached (true) or only met (false) ones
  int limit = 100;               // query_sla_outcomes: clamped to 1..1000, newest first
};

struct SlaOutcomeCounts {
  std::int64_t met = 0;
  std::int64_t breached = 0;
};

struct Transition {
  // At most one of create (a new instance; a second one for the same (workflow, order_seq),
  // that is the same trigger, is skipped as a duplicate, not an error) or update (an existing one at
  // expected_revision). With neither, the transition only records exceptions (for example
  // an event that no mapping accepts). An update sets status, state, cursors, due and update
  // times; the rest (workflow, version, key, trigger, order, correlation id, creation time) is
  // what the instance was created with.
  std::optional<InstanceRecord> create;
  std::optional<InstanceRecord> update;
  std::int64_t expected_revision = 0;

  std::vector<StepEventRecord> history;
  std::vector<ExceptionRecord> open_exceptions;
  std::vector<ApprovalRecord> upsert_approvals;
  // Replaces the instance's event waits (empty: it waits for none).
  std::optional<std::vector<EventWaitRecord>> event_waits;
  std::vector<SlaOutcomeRecord> sla_outcomes;
};

// duplicate: a create whose (workflow, order_seq) or id exists, or a transition with
// only exceptions, all of which exist (a replayed event that again fails to map).
enum class TransitionOutcome { applied, duplicate, conflict };

// What mapping one raw event produced, applied as one transaction with the transitions that
// start instances for it: the raw event is marked processed only together with them.
struct CanonicalEventRecord {
  std::string id;            // deterministic, so a replay maps to the same id
  std::string type;
  std::string business_key;
  std::int64_t raw_seq = 0;
  // Its position in the log: its raw event's seq and its place among that event's outputs
  // (the pipeline's raw_seq × kEventsPerRawEvent + index), so the same for every replay. The
  // stores key canonical events by it (positive; a second record at a position is a replay
  // and adds nothing): positions grow with the log, so new keys land at the index's end.
  std::int64_t order_seq = 0;
  std::int64_t occurred_at_ms = 0;
  std::string correlation_id;
  std::string json;          // the whole canonical event
};

struct MappingRecord {
  std::int64_t raw_seq = 0;
  std::vector<CanonicalEventRecord> events;
  std::vector<Transition> starts;  // creates, or exception-only transitions
};

// What every store checks before apply or record_mappings writes anything: each instance
// created and each canonical event has a log position (order_seq of at least 1). One without
// would be taken for a replay of another and dropped; it fails the whole call with
// StoreErrc::invalid_argument instead.
StoreResult<void> check_transitions(std::span<const Transition> batch);
StoreResult<void> check_mapping_records(std::span<const MappingRecord> records);

struct InstanceQuery {
  std::optional<std::string> workflow;
  std::optional<InstanceStatus> status;
  std::optional<std::string> business_key;
  std::optional<std::string> correlation_id;
  std::optional<std::int64_t> created_from_ms, created_to_ms;
  std::string after_id;  // keyset pagination by id
  int limit = 100;       // clamped to 1..1000
};

struct ExceptionQuery {
  std::optional<ExceptionStatus> status;
  std::optional<std::string> workflow;
  std::optional<std::string> instance_id;
  std::string after_id;  // keyset pagination by id
  int limit = 100;       // clamped to 1..1000
};

class WorkflowStore {
 public:
  virtual ~WorkflowStore() = default;

  // One transaction, one durable commit; outcome per transition. A create without a log
  // position fails the call with StoreErrc::invalid_argument, and nothing of it is written.
  virtual StoreResult<std::vector<TransitionOutcome>> apply(std::span<const Transition> batch) = 0;

  // Records what raw events became: per raw event its canonical events, the instances they
  // start and any exception (an event no mapping accepts), and marks it processed. One
  // transaction for the whole batch; repeating a record (a replay) changes nothing already
  // there: canonical events are keyed by their log position, instances by deterministic ids
  // and (workflow, trigger position). Outcomes: per record, one per start. A raw_seq that is
  // not in the event log fails the call with StoreErrc::not_found, a canonical event or start
  // without a position (order_seq below 1) with StoreErrc::invalid_argument, and then nothing
  // of it is written. `identity` (what resolving the
  // batch planned: entities, links, keys, record updates) is applied in the same transaction.
  virtual StoreResult<std::vector<std::vector<TransitionOutcome>>> record_mappings(
      std::span<const MappingRecord> records, const IdentityWrites& identity, std::int64_t at_ms) = 0;

  virtual StoreResult<std::optional<InstanceRecord>> load_instance(std::string_view id) = 0;
  virtual StoreResult<std::vector<InstanceRecord>> query_instances(const InstanceQuery& q) = 0;
  // Instances whose task is due at or before `now_ms`, oldest first; at most `limit` (none
  // when it is below 1).
  virtual StoreResult<std::vector<InstanceRecord>> due_instances(std::int64_t now_ms, int limit) = 0;
  // Every non-terminal instance (recovery at start-up).
  virtual StoreResult<std::vector<InstanceRecord>> active_instances() = 0;
  virtual StoreResult<std::vector<StepEventRecord>> history(std::string_view instance_id) = 0;
  virtual StoreResult<std::vector<EventWaitRecord>> event_waits(std::string_view event_type,
                                                                std::string_view business_key) = 0;

  virtual StoreResult<std::vector<ExceptionRecord>> query_exceptions(const ExceptionQuery& q) = 0;
  virtual StoreResult<std::optional<ExceptionRecord>> load_exception(std::string_view id) = 0;
  // Closes an open exception (retried or discarded); false when it was not open.
  virtual StoreResult<bool> resolve_exception(std::string_view id, ExceptionStatus status,
                                              std::string_view by, std::string_view resolution,
                                              std::int64_t at_ms) = 0;

  virtual StoreResult<std::optional<ApprovalRecord>> load_approval(std::string_view id) = 0;
  virtual StoreResult<std::vector<ApprovalRecord>> pending_approvals() = 0;

  // SLA outcomes (the SLO monitor): how many were met and breached, and the outcomes themselves.
  // `limit` applies to query_sla_outcomes only.
  virtual StoreResult<SlaOutcomeCounts> count_sla_outcomes(const SlaOutcomeQuery& q) = 0;
  virtual StoreResult<std::vector<SlaOutcomeRecord>> query_sla_outcomes(const SlaOutcomeQuery& q) = 0;

  // A business key's canonical events in log order (order_seq); at most `limit` (none when
  // it is below 1).
  virtual StoreResult<std::vector<CanonicalEventRecord>> canonical_events(
      std::string_view business_key, int limit) = 0;

  // Replay: marks the matching raw events unprocessed again, so mapping and triggering
  // run once more (idempotently). Returns how many.
  virtual StoreResult<std::int64_t> reset_processed(const RawEventQuery& q) = 0;
};
using WorkflowStorePtr = std::unique_ptr<WorkflowStore>;

// The stores a storage URL names. They share one database: record_mappings marks raw events
// of `events` processed in the same transaction as what it records for them. Any may be
// destroyed first.
struct Storage {
  StorePtr events;
  WorkflowStorePtr workflows;
  IdentityStorePtr identity;
  ApiStorePtr api;
  AlertStorePtr alerts;
  ReconciliationStorePtr reconciliations;
};

// Opens the storage a URL names (the forms open_store accepts), applying pending migrations.
// postgres://… is reserved for the PostgreSQL store (StoreErrc::unavailable for now).
StoreResult<Storage> open_storage(std::string_view url, const StoreOptions& options = {});

}  // namespace weft
