#include "store/sqlite/workflow_rows.hpp"

namespace weft::store::sqlite::rows {

namespace {

// The schema's CHECK constraints admit only the names to_string gives, so these never fall
// back in a database Weft wrote.
InstanceStatus instance_status(const std::string& text) {
  return parse_instance_status(text).value_or(InstanceStatus::running);
}

ExceptionStatus exception_status(const std::string& text) {
  for (const ExceptionStatus s :
       {ExceptionStatus::open, ExceptionStatus::retried, ExceptionStatus::discarded}) {
    if (text == to_string(s)) return s;
  }
  return ExceptionStatus::open;
}

}  // namespace

int bind_instance(StmtLease& stmt, const InstanceRecord& r, std::int64_t revision) {
  return Binder(stmt)
      .text(r.id)
      .text(r.workflow)
      .integer(r.version)
      .text(r.business_key)
      .text(r.trigger_event_id)
      .integer(r.order_seq)
      .text(to_string(r.status))
      .text(r.state_json)
      .text(r.cursor_json)
      .integer(revision)
      .text(r.correlation_id)
      .integer(r.created_at_ms)
      .integer(r.updated_at_ms)
      .maybe_integer(r.due_at_ms)
      .rc();
}

int bind_step_event(StmtLease& stmt, const StepEventRecord& e) {
  return Binder(stmt)
      .text(e.instance_id)
      .text(e.step_id)
      .text(e.kind)
      .integer(e.attempt)
      .integer(e.at_ms)
      .text(e.detail_json)
      .rc();
}

int bind_exception(StmtLease& stmt, const ExceptionRecord& e) {
  return Binder(stmt)
      .text(e.id)
      .text(e.instance_id)
      .text(e.workflow)
      .text(e.step_id)
      .text(e.failure_class)
      .text(e.reason)
      .text(e.context_json)
      .text(to_string(e.status))
      .integer(e.created_at_ms)
      .integer(e.resolved_at_ms)
      .text(e.resolved_by)
      .text(e.resolution)
      .rc();
}

int bind_approval(StmtLease& stmt, const ApprovalRecord& a) {
  return Binder(stmt)
      .text(a.id)
      .text(a.instance_id)
      .text(a.step_id)
      .text(a.role)
      .text(a.title)
      .text(a.context_json)
      .text(a.status)
      .text(a.requested_by)
      .text(a.decided_by)
      .text(a.comment)
      .integer(a.created_at_ms)
      .integer(a.decided_at_ms)
      .rc();
}

int bind_event_wait(StmtLease& stmt, std::string_view instance_id, const EventWaitRecord& w) {
  return Binder(stmt)
      .text(instance_id)
      .text(w.step_id)
      .text(w.event_type)
      .text(w.business_key)
      .rc();
}

int bind_canonical_event(StmtLease& stmt, const CanonicalEventRecord& e) {
  return Binder(stmt)
      .text(e.id)
      .text(e.type)
      .text(e.business_key)
      .integer(e.raw_seq)
      .integer(e.occurred_at_ms)
      .text(e.correlation_id)
      .text(e.json)
      .integer(e.order_seq)
      .rc();
}

int bind_sla_outcome(StmtLease& stmt, const SlaOutcomeRecord& o) {
  return Binder(stmt)
      .text(o.instance_id)
      .text(o.sla)
      .text(o.workflow)
      .text(o.business_key)
      .integer(o.started_at_ms)
      .integer(o.decided_at_ms)
      .integer(o.breached ? 1 : 0)
      .maybe_integer(o.finished_at_ms)
      .rc();
}

InstanceRecord read_instance(const StmtLease& row) {
  InstanceRecord r;
  r.id = row.column_text(0);
  r.workflow = row.column_text(1);
  r.version = static_cast<int>(row.column_int(2));
  r.business_key = row.column_text(3);
  r.trigger_event_id = row.column_text(4);
  r.order_seq = row.column_int(5);
  r.status = instance_status(row.column_text(6));
  r.state_json = row.column_text(7);
  r.cursor_json = row.column_text(8);
  r.revision = row.column_int(9);
  r.correlation_id = row.column_text(10);
  r.created_at_ms = row.column_int(11);
  r.updated_at_ms = row.column_int(12);
  if (!row.column_is_null(13)) r.due_at_ms = row.column_int(13);
  return r;
}

StepEventRecord read_step_event(const StmtLease& row) {
  StepEventRecord e;
  e.seq = row.column_int(0);
  e.instance_id = row.column_text(1);
  e.step_id = row.column_text(2);
  e.kind = row.column_text(3);
  e.attempt = static_cast<int>(row.column_int(4));
  e.at_ms = row.column_int(5);
  e.detail_json = row.column_text(6);
  return e;
}

ExceptionRecord read_exception(const StmtLease& row) {
  ExceptionRecord e;
  e.id = row.column_text(0);
  e.instance_id = row.column_text(1);
  e.workflow = row.column_text(2);
  e.step_id = row.column_text(3);
  e.failure_class = row.column_text(4);
  e.reason = row.column_text(5);
  e.context_json = row.column_text(6);
  e.status = exception_status(row.column_text(7));
  e.created_at_ms = row.column_int(8);
  e.resolved_at_ms = row.column_int(9);
  e.resolved_by = row.column_text(10);
  e.resolution = row.column_text(11);
  return e;
}

ApprovalRecord read_approval(const StmtLease& row) {
  ApprovalRecord a;
  a.id = row.column_text(0);
  a.instance_id = row.column_text(1);
  a.step_id = row.column_text(2);
  a.role = row.column_text(3);
  a.title = row.column_text(4);
  a.context_json = row.column_text(5);
  a.status = row.column_text(6);
  a.requested_by = row.column_text(7);
  a.decided_by = row.column_text(8);
  a.comment = row.column_text(9);
  a.created_at_ms = row.column_int(10);
  a.decided_at_ms = row.column_int(11);
  return a;
}

EventWaitRecord read_event_wait(const StmtLease& row) {
  EventWaitRecord w;
  w.instance_id = row.column_text(0);
  w.step_id = row.column_text(1);
  w.event_type = row.column_text(2);
  w.business_key = row.column_text(3);
  return w;
}

CanonicalEventRecord read_canonical_event(const StmtLease& row) {
  CanonicalEventRecord e;
  e.id = row.column_text(0);
  e.type = row.column_text(1);
  e.business_key = row.column_text(2);
  e.raw_seq = row.column_int(3);
  e.occurred_at_ms = row.column_int(4);
  e.correlation_id = row.column_text(5);
  e.json = row.column_text(6);
  e.order_seq = row.column_int(7);
  return e;
}

SlaOutcomeRecord read_sla_outcome(const StmtLease& row) {
  SlaOutcomeRecord o;
  o.instance_id = row.column_text(0);
  o.sla = row.column_text(1);
  o.workflow = row.column_text(2);
  o.business_key = row.column_text(3);
  o.started_at_ms = row.column_int(4);
  o.decided_at_ms = row.column_int(5);
  o.breached = row.column_int(6) != 0;
  if (!row.column_is_null(7)) o.finished_at_ms = row.column_int(7);
  return o;
}

}  // namespace weft::store::sqlite::rows
