#pragma once
// An in-memory WorkflowStore with the durable stores' semantics (revisions, duplicates,
// all-or-nothing transitions). For engine tests and simulations. It keeps the contracts
// sqlite_workflow_store.hpp lists beyond workflow_store.hpp (tests/unit/workflow_store_test.cpp
// runs one suite against both), except that it cannot replay: reset_processed fails with
// invalid_argument, as the Store interface has no way to mark an event unprocessed.

#include <map>
#include <mutex>
#include <set>

#include "weft/workflow_store.hpp"

namespace weft {

class MemoryWorkflowStore : public WorkflowStore {
 public:
  // Raw events live in `events`, which must outlive this store: record_mappings checks that
  // each raw_seq is in it and marks it processed. Without one, record_mappings marks nothing.
  // `identity`, when given (it must outlive this store too), takes record_mappings' identity
  // writes; without one they are dropped.
  explicit MemoryWorkflowStore(Store* events = nullptr, IdentityStore* identity = nullptr)
      : events_(events), identity_(identity) {}

  StoreResult<std::vector<TransitionOutcome>> apply(std::span<const Transition> batch) override;
  StoreResult<std::vector<std::vector<TransitionOutcome>>> record_mappings(
      std::span<const MappingRecord> records, const IdentityWrites& identity, std::int64_t at_ms) override;
  StoreResult<std::optional<InstanceRecord>> load_instance(std::string_view id) override;
  StoreResult<std::vector<InstanceRecord>> query_instances(const InstanceQuery& q) override;
  StoreResult<std::vector<InstanceRecord>> due_instances(std::int64_t now_ms, int limit) override;
  StoreResult<std::vector<InstanceRecord>> active_instances() override;
  StoreResult<std::vector<StepEventRecord>> history(std::string_view instance_id) override;
  StoreResult<std::vector<EventWaitRecord>> event_waits(std::string_view event_type,
                                                        std::string_view business_key) override;
  StoreResult<std::vector<ExceptionRecord>> query_exceptions(const ExceptionQuery& q) override;
  StoreResult<std::optional<ExceptionRecord>> load_exception(std::string_view id) override;
  StoreResult<bool> resolve_exception(std::string_view id, ExceptionStatus status, std::string_view by,
                                      std::string_view resolution, std::int64_t at_ms) override;
  StoreResult<std::optional<ApprovalRecord>> load_approval(std::string_view id) override;
  StoreResult<std::vector<ApprovalRecord>> pending_approvals() override;
  StoreResult<std::vector<CanonicalEventRecord>> canonical_events(std::string_view business_key,
                                                                  int limit) override;
  StoreResult<std::int64_t> reset_processed(const RawEventQuery& q) override;
  StoreResult<SlaOutcomeCounts> count_sla_outcomes(const SlaOutcomeQuery& q) override;
  StoreResult<std::vector<SlaOutcomeRecord>> query_sla_outcomes(const SlaOutcomeQuery& q) override;

 private:
  TransitionOutcome apply_one(const Transition& t);
  StoreResult<void> check_in_log(std::span<const MappingRecord> records);
  Store* events_;
  IdentityStore* identity_;
  std::mutex mutex_;
  std::map<std::string, InstanceRecord, std::less<>> instances_;
  std::set<std::pair<std::string, std::int64_t>> triggers_;  // (workflow, order_seq) started
  std::vector<StepEventRecord> history_;
  std::map<std::string, ExceptionRecord, std::less<>> exceptions_;
  std::map<std::string, ApprovalRecord, std::less<>> approvals_;
  // By instance, then step.
  std::map<std::string, std::map<std::string, EventWaitRecord>, std::less<>> waits_;
  std::map<std::int64_t, CanonicalEventRecord> canonical_;  // by order_seq: in log order
  std::map<std::pair<std::string, std::string>, SlaOutcomeRecord> sla_outcomes_;  // by (instance, sla)
  std::int64_t next_history_seq_ = 1;
};

}  // namespace weft
