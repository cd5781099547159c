#pragma once
// How the workflow store's records map to rows: the column lists its statements share, and
// the code that binds a record to a statement's parameters or reads it back from a row.
// Column order is the order of the lists below, for binding (?1, ?2, …) and reading alike.

#include <cstdint>
#include <optional>
#include <string_view>

#include "store/sqlite/sqlite_handle.hpp"
#include "weft/workflow_store.hpp"

namespace weft::store::sqlite::rows {

inline constexpr const char* kInstanceColumns =
    "id, workflow, version, business_key, trigger_event_id, order_seq, status, state_json, "
    "cursor_json, revision, correlation_id, created_at_ms, updated_at_ms, due_at_ms";
inline constexpr const char* kStepEventColumns =
    "seq, instance_id, step_id, kind, attempt, at_ms, detail_json";
inline constexpr const char* kExceptionColumns =
    "id, instance_id, workflow, step_id, failure_class, reason, context_json, status, "
    "created_at_ms, resolved_at_ms, resolved_by, resolution";
inline constexpr const char* kApprovalColumns =
    "id, instance_id, step_id, role, title, context_json, status, requested_by, decided_by, "
    "comment, created_at_ms, decided_at_ms";
inline constexpr const char* kEventWaitColumns = "instance_id, step_id, event_type, business_key";
inline constexpr const char* kSlaOutcomeColumns =
    "instance_id, sla, workflow, business_key, started_at_ms, decided_at_ms, breached, "
    "finished_at_ms";
inline constexpr const char* kCanonicalEventColumns =
    "id, type, business_key, raw_seq, occurred_at_ms, correlation_id, json, order_seq";

// Binds ?1, ?2, … in turn and keeps the first error. Text is bound without copying: the bound
// strings must outlive the statement's step.
class Binder {
 public:
  explicit Binder(StmtLease& stmt, int first = 1) : stmt_(stmt), next_(first) {}
  Binder& text(std::string_view value) {
    if (rc_ == SQLITE_OK) rc_ = stmt_.bind_text(next_, value);
    ++next_;
    return *this;
  }
  Binder& integer(std::int64_t value) {
    if (rc_ == SQLITE_OK) rc_ = stmt_.bind_int(next_, value);
    ++next_;
    return *this;
  }
  Binder& maybe_integer(const std::optional<std::int64_t>& value) {
    if (rc_ == SQLITE_OK) rc_ = value ? stmt_.bind_int(next_, *value) : stmt_.bind_null(next_);
    ++next_;
    return *this;
  }
  int rc() const { return rc_; }

 private:
  StmtLease& stmt_;
  int next_;
  int rc_ = SQLITE_OK;
};

// Each binds every column of its list except the store-assigned ones (step_events.seq), from
// ?1, and returns SQLite's code. `revision` replaces the record's own.
int bind_instance(StmtLease& stmt, const InstanceRecord& r, std::int64_t revision);
int bind_step_event(StmtLease& stmt, const StepEventRecord& e);
int bind_exception(StmtLease& stmt, const ExceptionRecord& e);
int bind_approval(StmtLease& stmt, const ApprovalRecord& a);
int bind_event_wait(StmtLease& stmt, std::string_view instance_id, const EventWaitRecord& w);
int bind_canonical_event(StmtLease& stmt, const CanonicalEventRecord& e);
int bind_sla_outcome(StmtLease& stmt, const SlaOutcomeRecord& o);

// Each reads a row whose columns are its list, in order.
InstanceRecord read_instance(const StmtLease& row);
StepEventRecord read_step_event(const StmtLease& row);
ExceptionRecord read_exception(const StmtLease& row);
ApprovalRecord read_approval(const StmtLease& row);
EventWaitRecord read_event_wait(const StmtLease& row);
CanonicalEventRecord read_canonical_event(const StmtLease& row);
SlaOutcomeRecord read_sla_outcome(const StmtLease& row);

}  // namespace weft::store::sqlite::rows
