#include "store/sqlite/sqlite_store.hpp"

#include <algorithm>
#include <string>
#include <string_view>
#include <utility>

#include "store/sqlite/migrations.hpp"
#include "store/sqlite/raw_event_filter.hpp"

namespace weft::store::sqlite {

namespace {

constexpr const char* kColumns =
    "seq, connector, event_id, event_type, business_key, occurred_at_ms, received_at_ms, "
    "correlation_id, body, processed_at_ms";

constexpr const char* kInsertEvent =
    "INSERT INTO raw_events (connector, event_id, event_type, business_key, occurred_at_ms, "
    "received_at_ms, correlation_id, body) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8) "
    "ON CONFLICT (connector, event_id) DO NOTHING";

constexpr int kMaxQueryLimit = 1000;

StoreError invalid_argument(std::string message) {
  return StoreError{StoreErrc::invalid_argument, std::move(message)};
}

// Columns in kColumns order.
RawEvent read_event(const StmtLease& row) {
  RawEvent event;
  event.seq = row.column_int(0);
  event.connector = row.column_text(1);
  event.event_id = row.column_text(2);
  event.event_type = row.column_text(3);
  event.business_key = row.column_text(4);
  event.occurred_at_ms = row.column_int(5);
  event.received_at_ms = row.column_int(6);
  event.correlation_id = row.column_text(7);
  event.body = row.column_blob(8);
  if (!row.column_is_null(9)) event.processed_at_ms = row.column_int(9);
  return event;
}

}  // namespace

SqliteStore::SqliteStore(std::shared_ptr<Database> database) : database_(std::move(database)) {}

StoreResult<std::vector<AppendOutcome>> SqliteStore::append_raw_events(
    std::span<const NewRawEvent> events) {
  std::vector<AppendOutcome> outcomes;
  if (events.empty()) return outcomes;
  for (std::size_t i = 0; i < events.size(); ++i) {
    if (events[i].connector.empty() || events[i].event_id.empty()) {
      return fail(invalid_argument("append_raw_events: event " + std::to_string(i) +
                                   " of the batch has an empty connector or event_id"));
    }
  }
  outcomes.reserve(events.size());

  auto [lock, writer] = database_->writer();
  // One transaction for the whole batch: one commit, one fsync, and all or nothing.
  Transaction tx(writer);
  if (auto begun = tx.begin_immediate(); !begun) return fail(begun.error());
  // Receive times never decrease along the log (store.hpp), so that a time range is a range of
  // seq: a clock stepped back, or a batch's events stamped by several threads out of order,
  // take the time of the event before them.
  auto received_floor = last_received_at_ms(writer);
  if (!received_floor) return fail(std::move(received_floor).error());
  std::int64_t received_at = *received_floor;
  auto insert = writer.prepare(kInsertEvent);
  if (!insert) return fail(std::move(insert).error());
  for (const NewRawEvent& event : events) {
    int rc = insert->bind_text(1, event.connector);
    if (rc == SQLITE_OK) rc = insert->bind_text(2, event.event_id);
    if (rc == SQLITE_OK) rc = insert->bind_text(3, event.event_type);
    if (rc == SQLITE_OK) rc = insert->bind_text(4, event.business_key);
    if (rc == SQLITE_OK) rc = insert->bind_int(5, event.occurred_at_ms);
    received_at = std::max(received_at, event.received_at_ms);
    if (rc == SQLITE_OK) rc = insert->bind_int(6, received_at);
    if (rc == SQLITE_OK) rc = insert->bind_text(7, event.correlation_id);
    if (rc == SQLITE_OK) rc = insert->bind_blob(8, event.body);
    if (rc == SQLITE_OK) rc = insert->step();
    if (rc != SQLITE_DONE) {
      return fail(sqlite_error(
          writer.get(), rc, "append_raw_events: event " + event.connector + "/" + event.event_id));
    }
    // DO NOTHING leaves changes() at 0, also for a duplicate earlier in this same batch.
    outcomes.push_back(sqlite3_changes(writer.get()) > 0 ? AppendOutcome::inserted
                                                         : AppendOutcome::duplicate);
    insert->reset();
  }
  if (auto committed = tx.commit(); !committed) return fail(committed.error());
  return outcomes;
}

StoreResult<std::vector<RawEvent>> SqliteStore::query_raw_events(const RawEventQuery& query) {
  std::string sql = std::string("SELECT ") + kColumns + " FROM raw_events WHERE seq > :after" +
                    raw_event_conditions(query);
  if (query.processed) {
    sql += *query.processed ? " AND processed_at_ms IS NOT NULL" : " AND processed_at_ms IS NULL";
  }
  sql += " ORDER BY seq LIMIT :limit";
  const int limit = std::clamp(query.limit, 1, kMaxQueryLimit);

  auto [lock, reader] = database_->reader();
  auto stmt = reader.prepare(sql);
  if (!stmt) return fail(std::move(stmt).error());
  if (auto bound = bind_raw_event_conditions(reader, *stmt, query); !bound) {
    return fail(bound.error());
  }
  if (const int rc = stmt->bind_int(":limit", limit); rc != SQLITE_OK) {
    return fail(sqlite_error(reader.get(), rc, "query_raw_events: bind"));
  }
  return read_all(reader, *stmt, read_event, "query_raw_events");
}

StoreResult<std::optional<RawEvent>> SqliteStore::find_raw_event(std::string_view connector,
                                                                 std::string_view event_id) {
  auto [lock, reader] = database_->reader();
  auto stmt = reader.prepare(std::string("SELECT ") + kColumns +
                             " FROM raw_events WHERE connector = ?1 AND event_id = ?2");
  if (!stmt) return fail(std::move(stmt).error());
  int rc = stmt->bind_text(1, connector);
  if (rc == SQLITE_OK) rc = stmt->bind_text(2, event_id);
  if (rc != SQLITE_OK) return fail(sqlite_error(reader.get(), rc, "find_raw_event: bind"));
  rc = stmt->step();
  if (rc == SQLITE_ROW) return std::optional<RawEvent>(read_event(*stmt));
  if (rc == SQLITE_DONE) return std::optional<RawEvent>();
  return fail(sqlite_error(reader.get(), rc, "find_raw_event"));
}

StoreResult<void> SqliteStore::mark_processed(std::span<const std::int64_t> seqs,
                                              std::int64_t at_ms) {
  if (seqs.empty()) return {};
  auto [lock, writer] = database_->writer();
  Transaction tx(writer);
  if (auto begun = tx.begin_immediate(); !begun) return begun;
  // coalesce keeps the first mark, and still counts the row in changes(), so that 0 changes
  // means exactly "no such event".
  auto update = writer.prepare(
      "UPDATE raw_events SET processed_at_ms = coalesce(processed_at_ms, ?1) WHERE seq = ?2");
  if (!update) return fail(std::move(update).error());
  for (const std::int64_t seq : seqs) {
    int rc = update->bind_int(1, at_ms);
    if (rc == SQLITE_OK) rc = update->bind_int(2, seq);
    if (rc == SQLITE_OK) rc = update->step();
    if (rc != SQLITE_DONE) {
      return fail(sqlite_error(writer.get(), rc, "mark_processed: seq " + std::to_string(seq)));
    }
    if (sqlite3_changes(writer.get()) == 0) {
      return fail(StoreError{StoreErrc::not_found,
                             "mark_processed: no event with seq " + std::to_string(seq)});
    }
    update->reset();
  }
  return tx.commit();
}

StoreResult<std::int64_t> SqliteStore::count_unprocessed() {
  auto [lock, reader] = database_->reader();
  auto stmt = reader.prepare("SELECT count(*) FROM raw_events WHERE processed_at_ms IS NULL");
  if (!stmt) return fail(std::move(stmt).error());
  const int rc = stmt->step();
  if (rc != SQLITE_ROW) return fail(sqlite_error(reader.get(), rc, "count_unprocessed"));
  return stmt->column_int(0);
}

StoreResult<SchemaStatus> SqliteStore::schema_status() {
  auto [lock, reader] = database_->reader();
  auto current = applied_version(reader);
  if (!current) return fail(std::move(current).error());
  return SchemaStatus{*current, latest_version()};
}

StoreResult<std::optional<std::string>> SqliteStore::load_cursor(std::string_view name) {
  auto [lock, reader] = database_->reader();
  auto stmt = reader.prepare("SELECT value FROM poll_cursors WHERE name = ?1");
  if (!stmt) return fail(std::move(stmt).error());
  int rc = stmt->bind_text(1, name);
  if (rc == SQLITE_OK) rc = stmt->step();
  if (rc == SQLITE_DONE) return std::optional<std::string>();
  if (rc != SQLITE_ROW) return fail(sqlite_error(reader.get(), rc, "load_cursor"));
  return std::optional<std::string>(std::string(stmt->column_text(0)));
}

StoreResult<void> SqliteStore::save_cursor(std::string_view name, std::string_view value,
                                           std::int64_t at_ms) {
  auto [lock, writer] = database_->writer();
  auto stmt = writer.prepare(
      "INSERT INTO poll_cursors (name, value, saved_at_ms) VALUES (?1, ?2, ?3) "
      "ON CONFLICT (name) DO UPDATE SET value = excluded.value, saved_at_ms = "
      "excluded.saved_at_ms");
  if (!stmt) return fail(std::move(stmt).error());
  int rc = stmt->bind_text(1, name);
  if (rc == SQLITE_OK) rc = stmt->bind_text(2, value);
  if (rc == SQLITE_OK) rc = stmt->bind_int(3, at_ms);
  if (rc == SQLITE_OK) rc = stmt->step();
  if (rc != SQLITE_DONE) return fail(sqlite_error(writer.get(), rc, "save_cursor"));
  return {};
}

}  // namespace weft::store::sqlite
