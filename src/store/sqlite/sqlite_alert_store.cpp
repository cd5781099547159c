// SqliteAlertStore: reads through the reader connection, writes through the writer, one
// transaction each.

#include "store/sqlite/sqlite_alert_store.hpp"

#include <algorithm>
#include <string>

#include "store/sqlite/workflow_rows.hpp"

namespace weft::store::sqlite {

namespace {

using rows::Binder;

constexpr const char* kSelectStates =
    "SELECT slo, state, since_ms, alerted_at_ms FROM slo_states ORDER BY slo";
constexpr const char* kUpsertState =
    "INSERT INTO slo_states (slo, state, since_ms, alerted_at_ms) VALUES (?1, ?2, ?3, ?4) "
    "ON CONFLICT (slo) DO UPDATE SET state = excluded.state, since_ms = excluded.since_ms, "
    "alerted_at_ms = excluded.alerted_at_ms";
constexpr const char* kAlertColumns =
    "id, slo, kind, body, created_at_ms, status, attempts, next_attempt_ms, last_error, "
    "delivered_at_ms";
constexpr const char* kInsertAlert =
    "INSERT INTO alerts (id, slo, kind, body, created_at_ms, status, attempts, next_attempt_ms, "
    "last_error, delivered_at_ms) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10) "
    "ON CONFLICT (id) DO NOTHING";
constexpr const char* kUpdateAlert =
    "UPDATE alerts SET status = ?2, attempts = ?3, next_attempt_ms = ?4, last_error = ?5, "
    "delivered_at_ms = ?6 WHERE id = ?1";

std::string alert_select(const char* rest) {
  return std::string("SELECT ") + kAlertColumns + " " + rest;
}

AlertRecord read_alert(const StmtLease& row) {
  AlertRecord a;
  a.id = row.column_text(0);
  a.slo = row.column_text(1);
  a.kind = row.column_text(2);
  a.body = row.column_text(3);
  a.created_at_ms = row.column_int(4);
  a.status = row.column_text(5);
  a.attempts = static_cast<int>(row.column_int(6));
  a.next_attempt_ms = row.column_int(7);
  a.last_error = row.column_text(8);
  a.delivered_at_ms = row.column_int(9);
  return a;
}

}  // namespace

SqliteAlertStore::SqliteAlertStore(std::shared_ptr<Database> database)
    : database_(std::move(database)) {}

StoreResult<std::vector<SloStateRecord>> SqliteAlertStore::slo_states() {
  auto [lock, db] = database_->reader();
  return query_rows(
      db, kSelectStates, [](StmtLease&) { return SQLITE_OK; },
      [](const StmtLease& row) {
        return SloStateRecord{row.column_text(0), row.column_text(1), row.column_int(2),
                              row.column_int(3)};
      },
      "slo_states");
}

StoreResult<void> SqliteAlertStore::save_slo_state(const SloStateRecord& state,
                                                   const std::optional<AlertRecord>& alert) {
  auto [lock, db] = database_->writer();
  Transaction tx(db);
  if (auto begun = tx.begin_immediate(); !begun) return fail(begun.error());
  auto saved = execute(
      db, kUpsertState,
      [&](StmtLease& s) {
        return Binder(s)
            .text(state.slo)
            .text(state.state)
            .integer(state.since_ms)
            .integer(state.alerted_at_ms)
            .rc();
      },
      "save the state of SLO", state.slo);
  if (!saved) return fail(std::move(saved).error());
  if (alert) {
    const AlertRecord& a = *alert;
    auto queued = execute(
        db, kInsertAlert,
        [&](StmtLease& s) {
          return Binder(s)
              .text(a.id)
              .text(a.slo)
              .text(a.kind)
              .text(a.body)
              .integer(a.created_at_ms)
              .text(a.status)
              .integer(a.attempts)
              .integer(a.next_attempt_ms)
              .text(a.last_error)
              .integer(a.delivered_at_ms)
              .rc();
        },
        "queue alert", a.id);
    if (!queued) return fail(std::move(queued).error());
  }
  return tx.commit();
}

StoreResult<std::vector<AlertRecord>> SqliteAlertStore::due_alerts(std::int64_t now_ms, int limit) {
  static const std::string sql = alert_select(
      "FROM alerts WHERE status = 'pending' AND next_attempt_ms <= ?1 ORDER BY created_at_ms, id "
      "LIMIT ?2");
  if (limit < 1) return std::vector<AlertRecord>();
  auto [lock, db] = database_->reader();
  return query_rows(
      db, sql.c_str(), [&](StmtLease& s) { return Binder(s).integer(now_ms).integer(limit).rc(); },
      read_alert, "due_alerts");
}

StoreResult<void> SqliteAlertStore::update_alert(const AlertRecord& a) {
  auto [lock, db] = database_->writer();
  auto updated = execute(
      db, kUpdateAlert,
      [&](StmtLease& s) {
        return Binder(s)
            .text(a.id)
            .text(a.status)
            .integer(a.attempts)
            .integer(a.next_attempt_ms)
            .text(a.last_error)
            .integer(a.delivered_at_ms)
            .rc();
      },
      "update alert", a.id);
  if (!updated) return fail(std::move(updated).error());
  if (*updated == 0) return fail(StoreError{StoreErrc::not_found, "no alert " + a.id});
  return {};
}

StoreResult<std::vector<AlertRecord>> SqliteAlertStore::alerts(std::string_view slo, int limit) {
  static const std::string sql = alert_select(
      "FROM alerts WHERE (?1 = '' OR slo = ?1) ORDER BY created_at_ms DESC, id DESC LIMIT ?2");
  auto [lock, db] = database_->reader();
  return query_rows(
      db, sql.c_str(),
      [&](StmtLease& s) { return Binder(s).text(slo).integer(std::clamp(limit, 1, 1000)).rc(); },
      read_alert, "alerts");
}

}  // namespace weft::store::sqlite
