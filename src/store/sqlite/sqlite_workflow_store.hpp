#pragma once
// The embedded WorkflowStore: the engine's durable state in the same SQLite database as the
// raw event log (see database.hpp), so that record_mappings can mark a raw event processed in
// the same transaction as what it produced.
//
// Writes go through the database's writer connection, one transaction per call, durable
// (synchronous as configured) when they return; reads go through its reader and see the last
// commit. A full disk (or StoreOptions::max_page_count) fails the call with StoreErrc::full
// and writes nothing of it.
//
// Contracts beyond workflow_store.hpp, shared with MemoryWorkflowStore:
//   - An update writes what a transition changes: status, state, cursor, correlation id,
//     updated_at_ms and due_at_ms. What identifies the instance (workflow, version,
//     business_key, trigger_event_id, order_seq, created_at_ms) stays as created.
//   - An exception whose id is already recorded is kept as it is (a replay opens nothing new).
//   - Two event waits of one transition for the same step: the last one counts.
//   - record_mappings keeps the first processed_at_ms of an event already marked; a raw_seq
//     that is not in the log fails the call with not_found, and nothing of it is written.
//   - reset_processed honours connector, event_type, business_key, the received range and
//     after_seq; it ignores limit (its default of 100 would cut a replay short without a word)
//     and processed (only processed events can become unprocessed). It counts the events
//     that were processed and now are not.
//   - resolve_exception refuses ExceptionStatus::open (invalid_argument): it closes.

#include <memory>

#include "store/sqlite/database.hpp"
#include "weft/workflow_store.hpp"

namespace weft::store::sqlite {

class SqliteWorkflowStore final : public WorkflowStore {
 public:
  explicit SqliteWorkflowStore(std::shared_ptr<Database> database);
  SqliteWorkflowStore(const SqliteWorkflowStore&) = delete;
  SqliteWorkflowStore& operator=(const SqliteWorkflowStore&) = delete;

  // Writes (sqlite_workflow_store.cpp).
  StoreResult<std::vector<TransitionOutcome>> apply(std::span<const Transition> batch) override;
  StoreResult<std::vector<std::vector<TransitionOutcome>>> record_mappings(
      std::span<const MappingRecord> records, const IdentityWrites& identity, std::int64_t at_ms) override;
  StoreResult<bool> resolve_exception(std::string_view id, ExceptionStatus status,
                                      std::string_view by, std::string_view resolution,
                                      std::int64_t at_ms) override;
  StoreResult<std::int64_t> reset_processed(const RawEventQuery& q) override;

  // Reads (sqlite_workflow_queries.cpp).
  StoreResult<std::optional<InstanceRecord>> load_instance(std::string_view id) override;
  StoreResult<std::vector<InstanceRecord>> query_instances(const InstanceQuery& q) override;
  StoreResult<std::vector<InstanceRecord>> due_instances(std::int64_t now_ms, int limit) override;
  StoreResult<std::vector<InstanceRecord>> active_instances() override;
  StoreResult<std::vector<StepEventRecord>> history(std::string_view instance_id) override;
  StoreResult<std::vector<EventWaitRecord>> event_waits(std::string_view event_type,
                                                        std::string_view business_key) override;
  StoreResult<std::vector<ExceptionRecord>> query_exceptions(const ExceptionQuery& q) override;
  StoreResult<std::optional<ExceptionRecord>> load_exception(std::string_view id) override;
  StoreResult<std::optional<ApprovalRecord>> load_approval(std::string_view id) override;
  StoreResult<std::vector<ApprovalRecord>> pending_approvals() override;
  StoreResult<std::vector<CanonicalEventRecord>> canonical_events(std::string_view business_key,
                                                                  int limit) override;
  StoreResult<SlaOutcomeCounts> count_sla_outcomes(const SlaOutcomeQuery& q) override;
  StoreResult<std::vector<SlaOutcomeRecord>> query_sla_outcomes(const SlaOutcomeQuery& q) override;

 private:
  std::shared_ptr<Database> database_;
};

}  // namespace weft::store::sqlite
