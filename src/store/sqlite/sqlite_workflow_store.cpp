// The write half of SqliteWorkflowStore; its reads are in sqlite_workflow_queries.cpp.
//
// A transition needs no savepoint of its own to apply whole or not at all: its first statement
// decides (the insert of a new instance does nothing on a duplicate, the update of an existing
// one changes nothing at the wrong revision), so a refused transition has written nothing, and
// once it is accepted the rest of it is plain inserts. Any error fails the whole call, whose
// transaction then rolls back. This keeps a batch of a thousand transitions free of a thousand
// statement journals.

#include "store/sqlite/sqlite_workflow_store.hpp"

#include <string>
#include <utility>

#include "store/sqlite/raw_event_filter.hpp"
#include "store/sqlite/sqlite_identity_store.hpp"
#include "store/sqlite/workflow_rows.hpp"

namespace weft::store::sqlite {

namespace {

constexpr const char* kInsertInstance =
    "INSERT INTO workflow_instances (id, workflow, version, business_key, trigger_event_id, "
    "order_seq, status, state_json, cursor_json, revision, correlation_id, created_at_ms, "
    "updated_at_ms, due_at_ms) "
    "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14) ON CONFLICT DO NOTHING";
// Sets only what a transition changes: an index whose columns an UPDATE does not name is not
// touched by it, whereas one it names is rewritten (a page written to the WAL) even when the
// value is the same. What the instance was created with (its workflow, key, trigger,
// correlation id) never changes.
constexpr const char* kUpdateInstance =
    "UPDATE workflow_instances SET status = ?2, state_json = ?3, cursor_json = ?4, "
    "revision = ?5 + 1, updated_at_ms = ?6, due_at_ms = ?7 "
    "WHERE id = ?1 AND revision = ?5";
constexpr const char* kInsertStepEvent =
    "INSERT INTO step_events (instance_id, step_id, kind, attempt, at_ms, detail_json) "
    "VALUES (?1, ?2, ?3, ?4, ?5, ?6)";
constexpr const char* kInsertException =
    "INSERT INTO exceptions (id, instance_id, workflow, step_id, failure_class, reason, "
    "context_json, status, created_at_ms, resolved_at_ms, resolved_by, resolution) "
    "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12) ON CONFLICT (id) DO NOTHING";
// A request is written once; later upserts only record its decision (or expiry), and only
// while it is pending.
constexpr const char* kUpsertApproval =
    "INSERT INTO approvals (id, instance_id, step_id, role, title, context_json, status, "
    "requested_by, decided_by, comment, created_at_ms, decided_at_ms) "
    "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12) "
    "ON CONFLICT (id) DO UPDATE SET status = excluded.status, decided_by = excluded.decided_by, "
    "comment = excluded.comment, decided_at_ms = excluded.decided_at_ms "
    "WHERE approvals.status = 'pending'";
constexpr const char* kDeleteEventWaits = "DELETE FROM event_waits WHERE instance_id = ?1";
constexpr const char* kInsertEventWait =
    "INSERT INTO event_waits (instance_id, step_id, event_type, business_key) "
    "VALUES (?1, ?2, ?3, ?4) ON CONFLICT (instance_id, step_id) DO UPDATE SET "
    "event_type = excluded.event_type, business_key = excluded.business_key";
// The first outcome decides met/breached and when it was known; a later one (the finish of an
// SLA breached while `to` was pending) only adds the finish time.
constexpr const char* kUpsertSlaOutcome =
    "INSERT INTO sla_outcomes (instance_id, sla, workflow, business_key, started_at_ms, "
    "decided_at_ms, breached, finished_at_ms) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8) "
    "ON CONFLICT (instance_id, sla) DO UPDATE SET finished_at_ms = "
    "coalesce(sla_outcomes.finished_at_ms, excluded.finished_at_ms)";
constexpr const char* kInsertCanonicalEvent =
    "INSERT INTO canonical_events (id, type, business_key, raw_seq, occurred_at_ms, "
    "correlation_id, json, order_seq) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8) "
    "ON CONFLICT (order_seq) DO NOTHING";
// coalesce keeps the first mark and still counts the row in changes(), so that 0 changes
// means exactly "no such event".
constexpr const char* kMarkProcessed =
    "UPDATE raw_events SET processed_at_ms = coalesce(processed_at_ms, ?1) WHERE seq = ?2";
constexpr const char* kResolveException =
    "UPDATE exceptions SET status = ?2, resolved_by = ?3, resolution = ?4, resolved_at_ms = ?5 "
    "WHERE id = ?1 AND status = 'open'";

// One transition inside the caller's transaction.
StoreResult<TransitionOutcome> apply_one(Connection& db, const Transition& t) {
  std::string_view instance_id;
  if (t.create) {
    const InstanceRecord& r = *t.create;
    auto inserted = execute(
        db, kInsertInstance, [&](StmtLease& s) { return rows::bind_instance(s, r, 1); },
        "create instance", r.id);
    if (!inserted) return fail(std::move(inserted).error());
    if (*inserted == 0) return TransitionOutcome::duplicate;
    instance_id = r.id;
  } else if (t.update) {
    const InstanceRecord& r = *t.update;
    auto updated = execute(
        db, kUpdateInstance,
        [&](StmtLease& s) {
          return rows::Binder(s)
              .text(r.id)
              .text(to_string(r.status))
              .text(r.state_json)
              .text(r.cursor_json)
              .integer(t.expected_revision)
              .integer(r.updated_at_ms)
              .maybe_integer(r.due_at_ms)
              .rc();
        },
        "update instance", r.id);
    if (!updated) return fail(std::move(updated).error());
    if (*updated == 0) return TransitionOutcome::conflict;
    instance_id = r.id;
  }

  for (const StepEventRecord& e : t.history) {
    auto done = execute(
        db, kInsertStepEvent, [&](StmtLease& s) { return rows::bind_step_event(s, e); },
        "record history of", e.instance_id);
    if (!done) return fail(std::move(done).error());
  }
  int exceptions_opened = 0;
  for (const ExceptionRecord& e : t.open_exceptions) {
    auto done = execute(
        db, kInsertException, [&](StmtLease& s) { return rows::bind_exception(s, e); },
        "open exception", e.id);
    if (!done) return fail(std::move(done).error());
    exceptions_opened += *done;
  }
  // An exception-only transition whose exceptions all exist (a replayed event that failed
  // to map) changed nothing: a duplicate, so nobody counts them open twice.
  if (!t.create && !t.update && !t.open_exceptions.empty() && exceptions_opened == 0) {
    return TransitionOutcome::duplicate;
  }
  for (const ApprovalRecord& a : t.upsert_approvals) {
    auto done = execute(
        db, kUpsertApproval, [&](StmtLease& s) { return rows::bind_approval(s, a); },
        "record approval", a.id);
    if (!done) return fail(std::move(done).error());
  }
  if (t.event_waits) {
    auto cleared = execute(
        db, kDeleteEventWaits, [&](StmtLease& s) { return s.bind_text(1, instance_id); },
        "replace event waits of", instance_id);
    if (!cleared) return fail(std::move(cleared).error());
    for (const EventWaitRecord& w : *t.event_waits) {
      auto done = execute(
          db, kInsertEventWait,
          [&](StmtLease& s) { return rows::bind_event_wait(s, instance_id, w); },
          "record event wait of", instance_id);
      if (!done) return fail(std::move(done).error());
    }
  }
  for (const SlaOutcomeRecord& o : t.sla_outcomes) {
    auto done = execute(
        db, kUpsertSlaOutcome, [&](StmtLease& s) { return rows::bind_sla_outcome(s, o); },
        "record SLA outcome of", o.instance_id);
    if (!done) return fail(std::move(done).error());
  }
  return TransitionOutcome::applied;
}

// What mapping one raw event produced, inside the caller's transaction.
StoreResult<std::vector<TransitionOutcome>> record_one(Connection& db, const MappingRecord& m,
                                                       std::int64_t at_ms) {
  const std::string seq = std::to_string(m.raw_seq);
  auto marked = execute(
      db, kMarkProcessed,
      [&](StmtLease& s) { return rows::Binder(s).integer(at_ms).integer(m.raw_seq).rc(); },
      "mark processed: raw event", seq);
  if (!marked) return fail(std::move(marked).error());
  if (*marked == 0) {
    return fail(StoreError{StoreErrc::not_found, "record_mappings: no raw event with seq " + seq});
  }
  for (const CanonicalEventRecord& e : m.events) {
    auto done = execute(
        db, kInsertCanonicalEvent, [&](StmtLease& s) { return rows::bind_canonical_event(s, e); },
        "record canonical event", e.id);
    if (!done) return fail(std::move(done).error());
  }
  std::vector<TransitionOutcome> outcomes;
  outcomes.reserve(m.starts.size());
  for (const Transition& t : m.starts) {
    auto outcome = apply_one(db, t);
    if (!outcome) return fail(std::move(outcome).error());
    outcomes.push_back(*outcome);
  }
  return outcomes;
}

}  // namespace

SqliteWorkflowStore::SqliteWorkflowStore(std::shared_ptr<Database> database)
    : database_(std::move(database)) {}

StoreResult<std::vector<TransitionOutcome>> SqliteWorkflowStore::apply(
    std::span<const Transition> batch) {
  std::vector<TransitionOutcome> outcomes;
  if (batch.empty()) return outcomes;
  if (auto checked = check_transitions(batch); !checked) return fail(checked.error());
  outcomes.reserve(batch.size());
  auto [lock, db] = database_->writer();
  Transaction tx(db);
  if (auto begun = tx.begin_immediate(); !begun) return fail(begun.error());
  for (const Transition& t : batch) {
    auto outcome = apply_one(db, t);
    if (!outcome) return fail(std::move(outcome).error());
    outcomes.push_back(*outcome);
  }
  if (auto committed = tx.commit(); !committed) return fail(committed.error());
  return outcomes;
}

StoreResult<std::vector<std::vector<TransitionOutcome>>> SqliteWorkflowStore::record_mappings(
    std::span<const MappingRecord> records, const IdentityWrites& identity, std::int64_t at_ms) {
  std::vector<std::vector<TransitionOutcome>> outcomes;
  if (records.empty()) return outcomes;
  outcomes.reserve(records.size());
  if (auto checked = check_mapping_records(records); !checked) return fail(checked.error());
  auto [lock, db] = database_->writer();
  Transaction tx(db);
  if (auto begun = tx.begin_immediate(); !begun) return fail(begun.error());
  if (auto written = write_identity(db, identity, at_ms); !written)
    return fail(std::move(written).error());
  for (const MappingRecord& m : records) {
    auto recorded = record_one(db, m, at_ms);
    if (!recorded) return fail(std::move(recorded).error());
    outcomes.push_back(std::move(*recorded));
  }
  if (auto committed = tx.commit(); !committed) return fail(committed.error());
  return outcomes;
}

StoreResult<bool> SqliteWorkflowStore::resolve_exception(std::string_view id,
                                                         ExceptionStatus status,
                                                         std::string_view by,
                                                         std::string_view resolution,
                                                         std::int64_t at_ms) {
  if (status == ExceptionStatus::open) {
    return fail(StoreError{StoreErrc::invalid_argument,
                           "resolve_exception: an exception is resolved as retried or discarded"});
  }
  auto [lock, db] = database_->writer();
  Transaction tx(db);
  if (auto begun = tx.begin_immediate(); !begun) return fail(begun.error());
  auto changed = execute(
      db, kResolveException,
      [&](StmtLease& s) {
        return rows::Binder(s)
            .text(id)
            .text(to_string(status))
            .text(by)
            .text(resolution)
            .integer(at_ms)
            .rc();
      },
      "resolve exception", id);
  if (!changed) return fail(std::move(changed).error());
  if (*changed == 0) return false;  // the rollback leaves nothing to undo
  if (auto committed = tx.commit(); !committed) return fail(committed.error());
  return true;
}

StoreResult<std::int64_t> SqliteWorkflowStore::reset_processed(const RawEventQuery& q) {
  const std::string sql =
      "UPDATE raw_events SET processed_at_ms = NULL "
      "WHERE processed_at_ms IS NOT NULL AND seq > :after" + raw_event_conditions(q);

  auto [lock, db] = database_->writer();
  Transaction tx(db);
  if (auto begun = tx.begin_immediate(); !begun) return fail(begun.error());
  auto stmt = db.prepare(sql);
  if (!stmt) return fail(std::move(stmt).error());
  if (auto bound = bind_raw_event_conditions(db, *stmt, q); !bound) return fail(bound.error());
  if (const int rc = stmt->step(); rc != SQLITE_DONE) {
    return fail(sqlite_error(db.get(), rc, "reset_processed"));
  }
  const std::int64_t changed = sqlite3_changes(db.get());
  if (auto committed = tx.commit(); !committed) return fail(committed.error());
  return changed;
}

}  // namespace weft::store::sqlite
