// SqliteReconciliationStore: reads through the reader connection, writes through the writer,
// one transaction each.

#include "store/sqlite/sqlite_reconciliation_store.hpp"

#include <algorithm>
#include <string>

#include "store/sqlite/workflow_rows.hpp"

namespace weft::store::sqlite {

namespace {

using rows::Binder;

constexpr const char* kRunColumns =
    "id, requested_by, from_ms, to_ms, started_at_ms, finished_at_ms, status, error, summary";
constexpr const char* kInsertRun =
    "INSERT INTO reconciliation_runs (id, requested_by, from_ms, to_ms, started_at_ms, "
    "finished_at_ms, status, error, summary) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)";
constexpr const char* kFinishRun =
    "UPDATE reconciliation_runs SET status = ?2, finished_at_ms = ?3, error = ?4, summary = ?5 "
    "WHERE id = ?1 AND status = 'running'";
constexpr const char* kRunExists = "SELECT status FROM reconciliation_runs WHERE id = ?1";
constexpr const char* kInsertLine =
    "INSERT INTO reconciliation_lines (run_id, seq, verdict, line) VALUES (?1, ?2, ?3, ?4)";
constexpr const char* kSelectLines =
    "SELECT seq, verdict, line FROM reconciliation_lines WHERE run_id = ?1 AND seq > ?2 "
    "AND (?3 = '' OR verdict = ?3) ORDER BY seq LIMIT ?4";

std::string run_select(const char* rest) {
  return std::string("SELECT ") + kRunColumns + " FROM reconciliation_runs " + rest;
}

ReconciliationRun read_run(const StmtLease& row) {
  ReconciliationRun r;
  r.id = row.column_text(0);
  r.requested_by = row.column_text(1);
  r.from_ms = row.column_int(2);
  r.to_ms = row.column_int(3);
  r.started_at_ms = row.column_int(4);
  r.finished_at_ms = row.column_int(5);
  r.status = row.column_text(6);
  r.error = row.column_text(7);
  r.summary_json = row.column_text(8);
  return r;
}

}  // namespace

SqliteReconciliationStore::SqliteReconciliationStore(std::shared_ptr<Database> database)
    : database_(std::move(database)) {}

StoreResult<void> SqliteReconciliationStore::create_run(const ReconciliationRun& r) {
  auto [lock, db] = database_->writer();
  auto inserted = execute(
      db, kInsertRun,
      [&](StmtLease& s) {
        return Binder(s)
            .text(r.id)
            .text(r.requested_by)
            .integer(r.from_ms)
            .integer(r.to_ms)
            .integer(r.started_at_ms)
            .integer(r.finished_at_ms)
            .text(r.status)
            .text(r.error)
            .text(r.summary_json)
            .rc();
      },
      "create reconciliation run", r.id);
  if (!inserted) return fail(std::move(inserted).error());
  return {};
}

StoreResult<void> SqliteReconciliationStore::finish_run(
    const ReconciliationRun& r, const std::vector<ReconciliationLine>& lines) {
  auto [lock, db] = database_->writer();
  Transaction tx(db);
  if (auto begun = tx.begin_immediate(); !begun) return fail(begun.error());
  auto updated = execute(
      db, kFinishRun,
      [&](StmtLease& s) {
        return Binder(s)
            .text(r.id)
            .text(r.status)
            .integer(r.finished_at_ms)
            .text(r.error)
            .text(r.summary_json)
            .rc();
      },
      "finish reconciliation run", r.id);
  if (!updated) return fail(std::move(updated).error());
  if (*updated == 0) {
    auto status = query_rows(
        db, kRunExists, [&](StmtLease& s) { return Binder(s).text(r.id).rc(); },
        [](const StmtLease& row) { return row.column_text(0); }, "reconciliation run status");
    if (!status) return fail(std::move(status).error());
    if (status->empty()) {
      return fail(StoreError{StoreErrc::not_found, "no reconciliation run " + r.id});
    }
    return fail(StoreError{StoreErrc::conflict,
                           "reconciliation run " + r.id + " is " + status->front() + " already"});
  }
  for (const ReconciliationLine& line : lines) {
    auto inserted = execute(
        db, kInsertLine,
        [&](StmtLease& s) {
          return Binder(s).text(r.id).integer(line.seq).text(line.verdict).text(line.json).rc();
        },
        "store reconciliation line of", r.id);
    if (!inserted) return fail(std::move(inserted).error());
  }
  return tx.commit();
}

StoreResult<std::optional<ReconciliationRun>> SqliteReconciliationStore::load_run(
    std::string_view id) {
  static const std::string sql = run_select("WHERE id = ?1");
  auto [lock, db] = database_->reader();
  return first(query_rows(
      db, sql.c_str(), [&](StmtLease& s) { return Binder(s).text(id).rc(); }, read_run,
      "load_run"));
}

StoreResult<std::vector<ReconciliationRun>> SqliteReconciliationStore::list_runs(
    std::string_view before_id, int limit) {
  static const std::string sql = run_select("WHERE (?1 = '' OR id < ?1) ORDER BY id DESC LIMIT ?2");
  auto [lock, db] = database_->reader();
  return query_rows(
      db, sql.c_str(),
      [&](StmtLease& s) {
        return Binder(s).text(before_id).integer(std::clamp(limit, 1, 1000)).rc();
      },
      read_run, "list_runs");
}

StoreResult<std::vector<ReconciliationLine>> SqliteReconciliationStore::lines(
    const ReconciliationLineQuery& q) {
  // Bound without a copy: it must outlive the statement's run.
  const std::string verdict = q.verdict.value_or("");
  auto [lock, db] = database_->reader();
  return query_rows(
      db, kSelectLines,
      [&](StmtLease& s) {
        return Binder(s)
            .text(q.run_id)
            .integer(q.after_seq)
            .text(verdict)
            .integer(std::clamp(q.limit, 1, 1000))
            .rc();
      },
      [](const StmtLease& row) {
        return ReconciliationLine{row.column_int(0), row.column_text(1), row.column_text(2)};
      },
      "reconciliation lines");
}

}  // namespace weft::store::sqlite
