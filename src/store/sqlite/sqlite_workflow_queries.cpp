// The read half of SqliteWorkflowStore: every method reads through the database's reader
// connection, so it sees the last commit and never waits for a commit in progress.

#include <algorithm>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

#include "store/sqlite/sqlite_workflow_store.hpp"
#include "store/sqlite/workflow_rows.hpp"

namespace weft::store::sqlite {

namespace {

constexpr int kMaxQueryLimit = 1000;

// The instances still in play. Spelled as in the partial index workflow_instances_due, which
// SQLite uses only for a query that repeats its condition.
constexpr const char* kActive = "status IN ('running', 'waiting')";

std::string select(std::string_view columns, std::string_view rest) {
  std::string sql = "SELECT ";
  sql.append(columns).append(" ").append(rest);
  return sql;
}

// The one row a lookup by primary key yields, if any.
template <class Read>
auto read_one(Connection& db, const std::string& sql, std::string_view key, Read read,
              const char* what)
    -> StoreResult<std::optional<decltype(read(std::declval<StmtLease&>()))>> {
  using Record = decltype(read(std::declval<StmtLease&>()));
  auto stmt = db.prepare(sql);
  if (!stmt) return fail(std::move(stmt).error());
  int rc = stmt->bind_text(1, key);
  if (rc == SQLITE_OK) rc = stmt->step();
  if (rc == SQLITE_ROW) return std::optional<Record>(read(*stmt));
  if (rc == SQLITE_DONE) return std::optional<Record>();
  return fail(sqlite_error(db.get(), rc, what));
}

}  // namespace

StoreResult<std::optional<InstanceRecord>> SqliteWorkflowStore::load_instance(std::string_view id) {
  static const std::string sql =
      select(rows::kInstanceColumns, "FROM workflow_instances WHERE id = ?1");
  auto [lock, db] = database_->reader();
  return read_one(db, sql, id, rows::read_instance, "load_instance");
}

StoreResult<std::vector<InstanceRecord>> SqliteWorkflowStore::query_instances(
    const InstanceQuery& q) {
  // Conditions are spelled into the SQL only when their filter is set, so that each shape gets
  // a plan that uses its index; at most 64 shapes, each prepared once.
  std::string sql = select(rows::kInstanceColumns, "FROM workflow_instances WHERE id > :after");
  if (q.workflow) sql += " AND workflow = :workflow";
  if (q.status) sql += " AND status = :status";
  if (q.business_key) sql += " AND business_key = :business_key";
  if (q.correlation_id) sql += " AND correlation_id = :correlation_id";
  if (q.created_from_ms) sql += " AND created_at_ms >= :from";
  if (q.created_to_ms) sql += " AND created_at_ms < :to";
  sql += " ORDER BY id LIMIT :limit";

  auto [lock, db] = database_->reader();
  auto stmt = db.prepare(sql);
  if (!stmt) return fail(std::move(stmt).error());
  int rc = stmt->bind_text(":after", q.after_id);
  if (rc == SQLITE_OK && q.workflow) rc = stmt->bind_text(":workflow", *q.workflow);
  if (rc == SQLITE_OK && q.status) rc = stmt->bind_text(":status", to_string(*q.status));
  if (rc == SQLITE_OK && q.business_key) rc = stmt->bind_text(":business_key", *q.business_key);
  if (rc == SQLITE_OK && q.correlation_id) rc = stmt->bind_text(":correlation_id", *q.correlation_id);
  if (rc == SQLITE_OK && q.created_from_ms) rc = stmt->bind_int(":from", *q.created_from_ms);
  if (rc == SQLITE_OK && q.created_to_ms) rc = stmt->bind_int(":to", *q.created_to_ms);
  if (rc == SQLITE_OK) rc = stmt->bind_int(":limit", std::clamp(q.limit, 1, kMaxQueryLimit));
  if (rc != SQLITE_OK) return fail(sqlite_error(db.get(), rc, "query_instances: bind"));
  return read_all(db, *stmt, rows::read_instance, "query_instances");
}

StoreResult<std::vector<InstanceRecord>> SqliteWorkflowStore::due_instances(std::int64_t now_ms,
                                                                            int limit) {
  static const std::string sql =
      select(rows::kInstanceColumns, "FROM workflow_instances WHERE " + std::string(kActive) +
                                         " AND due_at_ms <= ?1 ORDER BY due_at_ms LIMIT ?2");
  if (limit < 1) return std::vector<InstanceRecord>();  // SQLite reads a negative LIMIT as none
  auto [lock, db] = database_->reader();
  auto stmt = db.prepare(sql);
  if (!stmt) return fail(std::move(stmt).error());
  if (const int rc = rows::Binder(*stmt).integer(now_ms).integer(limit).rc(); rc != SQLITE_OK) {
    return fail(sqlite_error(db.get(), rc, "due_instances: bind"));
  }
  return read_all(db, *stmt, rows::read_instance, "due_instances");
}

StoreResult<std::vector<InstanceRecord>> SqliteWorkflowStore::active_instances() {
  // In the partial index's order, so that the scan is of the active instances only (ORDER BY
  // id would walk every instance there ever was, in primary key order).
  static const std::string sql =
      select(rows::kInstanceColumns,
             "FROM workflow_instances WHERE " + std::string(kActive) + " ORDER BY due_at_ms");
  auto [lock, db] = database_->reader();
  auto stmt = db.prepare(sql);
  if (!stmt) return fail(std::move(stmt).error());
  return read_all(db, *stmt, rows::read_instance, "active_instances");
}

StoreResult<std::vector<StepEventRecord>> SqliteWorkflowStore::history(
    std::string_view instance_id) {
  static const std::string sql =
      select(rows::kStepEventColumns, "FROM step_events WHERE instance_id = ?1 ORDER BY seq");
  auto [lock, db] = database_->reader();
  auto stmt = db.prepare(sql);
  if (!stmt) return fail(std::move(stmt).error());
  if (const int rc = stmt->bind_text(1, instance_id); rc != SQLITE_OK) {
    return fail(sqlite_error(db.get(), rc, "history: bind"));
  }
  return read_all(db, *stmt, rows::read_step_event, "history");
}

StoreResult<std::vector<EventWaitRecord>> SqliteWorkflowStore::event_waits(
    std::string_view event_type, std::string_view business_key) {
  static const std::string sql =
      select(rows::kEventWaitColumns,
             "FROM event_waits WHERE event_type = ?1 AND business_key = ?2 "
             "ORDER BY instance_id, step_id");
  auto [lock, db] = database_->reader();
  auto stmt = db.prepare(sql);
  if (!stmt) return fail(std::move(stmt).error());
  if (const int rc = rows::Binder(*stmt).text(event_type).text(business_key).rc();
      rc != SQLITE_OK) {
    return fail(sqlite_error(db.get(), rc, "event_waits: bind"));
  }
  return read_all(db, *stmt, rows::read_event_wait, "event_waits");
}

StoreResult<std::vector<ExceptionRecord>> SqliteWorkflowStore::query_exceptions(
    const ExceptionQuery& q) {
  std::string sql = select(rows::kExceptionColumns, "FROM exceptions WHERE id > :after");
  // The status as a literal (one of three fixed names), because only a query that says
  // status = 'open' in so many words can use the partial index exceptions_open.
  if (q.status) sql += std::string(" AND status = '") + to_string(*q.status) + "'";
  if (q.workflow) sql += " AND workflow = :workflow";
  if (q.instance_id) sql += " AND instance_id = :instance_id";
  sql += " ORDER BY id LIMIT :limit";

  auto [lock, db] = database_->reader();
  auto stmt = db.prepare(sql);
  if (!stmt) return fail(std::move(stmt).error());
  int rc = stmt->bind_text(":after", q.after_id);
  if (rc == SQLITE_OK && q.workflow) rc = stmt->bind_text(":workflow", *q.workflow);
  if (rc == SQLITE_OK && q.instance_id) rc = stmt->bind_text(":instance_id", *q.instance_id);
  if (rc == SQLITE_OK) rc = stmt->bind_int(":limit", std::clamp(q.limit, 1, kMaxQueryLimit));
  if (rc != SQLITE_OK) return fail(sqlite_error(db.get(), rc, "query_exceptions: bind"));
  return read_all(db, *stmt, rows::read_exception, "query_exceptions");
}

StoreResult<std::optional<ExceptionRecord>> SqliteWorkflowStore::load_exception(
    std::string_view id) {
  static const std::string sql = select(rows::kExceptionColumns, "FROM exceptions WHERE id = ?1");
  auto [lock, db] = database_->reader();
  return read_one(db, sql, id, rows::read_exception, "load_exception");
}

StoreResult<std::optional<ApprovalRecord>> SqliteWorkflowStore::load_approval(std::string_view id) {
  static const std::string sql = select(rows::kApprovalColumns, "FROM approvals WHERE id = ?1");
  auto [lock, db] = database_->reader();
  return read_one(db, sql, id, rows::read_approval, "load_approval");
}

StoreResult<std::vector<ApprovalRecord>> SqliteWorkflowStore::pending_approvals() {
  static const std::string sql =
      select(rows::kApprovalColumns, "FROM approvals WHERE status = 'pending' ORDER BY id");
  auto [lock, db] = database_->reader();
  auto stmt = db.prepare(sql);
  if (!stmt) return fail(std::move(stmt).error());
  return read_all(db, *stmt, rows::read_approval, "pending_approvals");
}

StoreResult<std::vector<CanonicalEventRecord>> SqliteWorkflowStore::canonical_events(
    std::string_view business_key, int limit) {
  static const std::string sql =
      select(rows::kCanonicalEventColumns,
             "FROM canonical_events WHERE business_key = ?1 ORDER BY order_seq LIMIT ?2");
  if (limit < 1) return std::vector<CanonicalEventRecord>();
  auto [lock, db] = database_->reader();
  auto stmt = db.prepare(sql);
  if (!stmt) return fail(std::move(stmt).error());
  if (const int rc = rows::Binder(*stmt).text(business_key).integer(limit).rc(); rc != SQLITE_OK) {
    return fail(sqlite_error(db.get(), rc, "canonical_events: bind"));
  }
  return read_all(db, *stmt, rows::read_canonical_event, "canonical_events");
}

StoreResult<SlaOutcomeCounts> SqliteWorkflowStore::count_sla_outcomes(const SlaOutcomeQuery& q) {
  static const std::string sql =
      "SELECT breached, count(*) FROM sla_outcomes WHERE workflow = ?1 AND sla = ?2 "
      "AND decided_at_ms > ?3 AND decided_at_ms <= ?4 GROUP BY breached";
  auto [lock, db] = database_->reader();
  auto rows = query_rows(
      db, sql.c_str(),
      [&](StmtLease& s) { return rows::Binder(s).text(q.workflow).text(q.sla).integer(q.from_ms).integer(q.to_ms).rc(); },
      [](const StmtLease& row) { return std::make_pair(row.column_int(0) != 0, row.column_int(1)); },
      "count_sla_outcomes");
  if (!rows) return fail(std::move(rows).error());
  SlaOutcomeCounts counts;
  for (const auto& [breached, n] : *rows) {
    if (q.breached && *q.breached != breached) continue;
    (breached ? counts.breached : counts.met) = n;
  }
  return counts;
}

StoreResult<std::vector<SlaOutcomeRecord>> SqliteWorkflowStore::query_sla_outcomes(
    const SlaOutcomeQuery& q) {
  static const std::string sql =
      select(rows::kSlaOutcomeColumns,
             "FROM sla_outcomes WHERE workflow = ?1 AND sla = ?2 AND decided_at_ms > ?3 "
             "AND decided_at_ms <= ?4 AND (?5 IS NULL OR breached = ?5) "
             "ORDER BY decided_at_ms DESC, instance_id LIMIT ?6");
  auto [lock, db] = database_->reader();
  return query_rows(
      db, sql.c_str(),
      [&](StmtLease& s) {
        rows::Binder b(s);
        b.text(q.workflow).text(q.sla).integer(q.from_ms).integer(q.to_ms);
        b.maybe_integer(q.breached ? std::optional<std::int64_t>(*q.breached ? 1 : 0) : std::nullopt);
        return b.integer(std::clamp(q.limit, 1, kMaxQueryLimit)).rc();
      },
      rows::read_sla_outcome, "query_sla_outcomes");
}

}  // namespace weft::store::sqlite
