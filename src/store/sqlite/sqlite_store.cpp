#include "store/sqlite/sqlite_store.hpp"

#include <algorithm>
#include <condition_variable>
#include <string>
#include <string_view>
#include <thread>
#include <utility>

#include "store/sqlite/migrations.hpp"
#include "weft/clock.hpp"
#include "weft/log.hpp"

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

// 16 KiB pages for a new database: a webhook body of a few KiB then shares its page with
// others instead of leaving half of a 4 KiB page empty, and a commit writes fewer, larger WAL
// frames. Measured on 2 KiB events: about half the CPU per insert of 4 KiB pages.
constexpr int kPageSize = 16384;
// The background checkpointer starts when the WAL holds this much, and blocks writers to
// start the WAL over when it holds more than the limit (also the size it is truncated to).
constexpr std::int64_t kCheckpointStartBytes = 16 << 20;
constexpr std::int64_t kWalLimitBytes = 64 << 20;
// A pass that leaves less than this to copy is followed by one with commits held off.
constexpr std::int64_t kCheckpointCatchUpBytes = 1 << 20;

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

// A pragma's one-value answer, for the pragmas whose answer says whether they took effect.
StoreResult<std::string> pragma_value(Connection& connection, const std::string& sql) {
  sqlite3_stmt* raw = nullptr;
  int rc = sqlite3_prepare_v2(connection.get(), sql.c_str(), -1, &raw, nullptr);
  StmtHandle stmt(raw);
  if (rc != SQLITE_OK) return fail(sqlite_error(connection.get(), rc, sql));
  rc = sqlite3_step(stmt.get());
  if (rc != SQLITE_ROW) return fail(sqlite_error(connection.get(), rc, sql));
  const auto* text = sqlite3_column_text(stmt.get(), 0);
  return std::string(text != nullptr ? reinterpret_cast<const char*>(text) : "");
}

StoreResult<std::int64_t> page_size(Connection& connection) {
  auto stmt = connection.prepare("PRAGMA page_size");
  if (!stmt) return fail(std::move(stmt).error());
  if (const int rc = stmt->step(); rc != SQLITE_ROW) {
    return fail(sqlite_error(connection.get(), rc, "read page_size"));
  }
  return std::max<std::int64_t>(stmt->column_int(0), 512);  // 512: SQLite's smallest
}

StoreResult<void> set_synchronous(Connection& connection, const StoreOptions& options) {
  return connection.exec(
      options.synchronous == "full" ? "PRAGMA synchronous = FULL" : "PRAGMA synchronous = NORMAL",
      "set synchronous");
}

StoreResult<void> set_pragma(Connection& connection, std::string_view name, std::int64_t value) {
  const std::string sql = "PRAGMA " + std::string(name) + " = " + std::to_string(value);
  return connection.exec(sql.c_str(), sql);
}

StoreResult<void> configure_writer(Connection& writer, const StoreOptions& options,
                                   bool in_memory) {
  // Takes effect only while the database is empty, i.e. when this creates it.
  if (auto r = set_pragma(writer, "page_size", kPageSize); !r) return r;
  // WAL: readers keep reading while the writer commits, and a commit is one append + fsync.
  auto mode = pragma_value(writer, "PRAGMA journal_mode = WAL");
  if (!mode) return fail(std::move(mode).error());
  if (*mode != (in_memory ? "memory" : "wal")) {
    return fail(StoreError{StoreErrc::unavailable,
                           "cannot switch the database to WAL mode (journal_mode is '" + *mode +
                               "'); is it on a network file system?"});
  }
  if (auto r = set_synchronous(writer, options); !r) return r;
  if (auto r = set_pragma(writer, "foreign_keys", 1); !r) return r;
  // The WAL file keeps its largest size when it starts over; a burst should not keep its disk
  // space.
  if (auto r = set_pragma(writer, "journal_size_limit", kWalLimitBytes); !r) return r;
  if (options.max_page_count > 0) {
    // Answers with the limit now in force; an error only if the pragma itself failed.
    auto applied =
        pragma_value(writer, "PRAGMA max_page_count = " + std::to_string(options.max_page_count));
    if (!applied) return fail(std::move(applied).error());
  }
  return {};
}

}  // namespace

// Copies the WAL into the database file on its own thread and connection (see
// sqlite_store.hpp). The writer's WAL hook wakes it once the WAL holds start_frames.
class Checkpointer {
 public:
  Checkpointer(Connection connection, std::mutex& writer_mutex, std::int64_t page_bytes)
      : connection_(std::move(connection)),
        writer_mutex_(writer_mutex),
        start_frames_(static_cast<int>(kCheckpointStartBytes / page_bytes)),
        catch_up_frames_(static_cast<int>(kCheckpointCatchUpBytes / page_bytes)),
        limit_frames_(static_cast<int>(kWalLimitBytes / page_bytes)),
        thread_([this] { run(); }) {}
  ~Checkpointer() {
    {
      std::lock_guard lock(mutex_);
      stopping_ = true;
    }
    cv_.notify_one();
    thread_.join();
  }
  Checkpointer(const Checkpointer&) = delete;
  Checkpointer& operator=(const Checkpointer&) = delete;

  // sqlite3_wal_hook's callback: runs on the writer's thread after each commit, so it only
  // wakes the checkpointer. Registering it also turns SQLite's inline auto-checkpoint off.
  static int on_commit(void* self, sqlite3* /*db*/, const char* /*schema*/, int wal_frames) {
    static_cast<Checkpointer*>(self)->wal_grew(wal_frames);
    return SQLITE_OK;
  }

 private:
  static constexpr int kMaxPasses = 4;

  void wal_grew(int wal_frames) {
    if (wal_frames < start_frames_) return;
    {
      std::lock_guard lock(mutex_);
      if (pending_) return;
      pending_ = true;
    }
    cv_.notify_one();
  }

  void run() {
    std::unique_lock lock(mutex_);
    for (;;) {
      cv_.wait(lock, [this] { return pending_ || stopping_; });
      if (stopping_) return;
      pending_ = false;
      lock.unlock();
      checkpoint();
      lock.lock();
    }
  }

  // PASSIVE copies what no reader still needs and waits for no one: commits carry on.
  int passive(int& wal_frames, int& copied) {
    return sqlite3_wal_checkpoint_v2(connection_.get(), nullptr, SQLITE_CHECKPOINT_PASSIVE,
                                     &wal_frames, &copied);
  }

  void checkpoint() {
    int wal_frames = 0;
    int copied = 0;
    int rc = passive(wal_frames, copied);
    // The WAL starts over (instead of growing) only when a transaction begins with all of it
    // copied, which the commits landing during a pass prevent. Each further pass copies what
    // they added; once that is little, commits are held off for one short last pass.
    for (int pass = 1; rc == SQLITE_OK && copied < wal_frames && pass < kMaxPasses; ++pass) {
      if (wal_frames - copied <= catch_up_frames_) {
        std::lock_guard lock(writer_mutex_);
        rc = passive(wal_frames, copied);
        break;
      }
      rc = passive(wal_frames, copied);
    }
    if (rc == SQLITE_OK && wal_frames > limit_frames_) {
      // Commits outran the passes. RESTART waits for the current writer (busy timeout), holds
      // new ones off while it copies the rest, and starts the WAL over: its size stays bounded.
      rc = sqlite3_wal_checkpoint_v2(connection_.get(), nullptr, SQLITE_CHECKPOINT_RESTART,
                                     &wal_frames, &copied);
    }
    // BUSY: another checkpoint is running or the writer did not yield in time; the next commit
    // wakes us again. Anything else means the WAL keeps growing: say so.
    if (rc != SQLITE_OK && (rc & 0xff) != SQLITE_BUSY && (rc & 0xff) != SQLITE_LOCKED) {
      const StoreError error = sqlite_error(connection_.get(), rc, "checkpoint");
      log::warn("store.checkpoint_failed", {{"error", error.message}, {"wal_frames", wal_frames}});
    }
  }

  Connection connection_;  // used by thread_ only
  std::mutex& writer_mutex_;
  const int start_frames_;
  const int catch_up_frames_;
  const int limit_frames_;
  std::mutex mutex_;
  std::condition_variable cv_;
  bool pending_ = false;   // guarded by mutex_
  bool stopping_ = false;  // guarded by mutex_
  std::thread thread_;     // last: starts once everything above is ready
};

SqliteStore::SqliteStore(Private, Connection writer, Connection reader, Connection checkpoints,
                         std::int64_t page_bytes)
    : writer_(std::move(writer)), reader_(std::move(reader)) {
  if (checkpoints.get() != nullptr) {
    checkpointer_ =
        std::make_unique<Checkpointer>(std::move(checkpoints), write_mutex_, page_bytes);
    sqlite3_wal_hook(writer_.get(), &Checkpointer::on_commit, checkpointer_.get());
  }
}

SqliteStore::~SqliteStore() {
  std::lock_guard lock(write_mutex_);
  if (checkpointer_) sqlite3_wal_hook(writer_.get(), nullptr, nullptr);  // it stops first
  // Refreshes the planner's statistics when they are stale, as SQLite advises before closing.
  // Best effort: a failure changes only query plans, and the writer closes right after.
  sqlite3_exec(writer_.get(), "PRAGMA analysis_limit = 400; PRAGMA optimize", nullptr, nullptr,
               nullptr);
}

StoreResult<std::unique_ptr<SqliteStore>> SqliteStore::open(const std::filesystem::path& path,
                                                            const StoreOptions& options) {
  if (path.empty()) return fail(invalid_argument("the SQLite database path is empty"));
  if (options.synchronous != "full" && options.synchronous != "normal") {
    return fail(invalid_argument("storage synchronous must be \"full\" or \"normal\", not \"" +
                                 options.synchronous + "\""));
  }
  if (options.busy_timeout_ms < 0) {
    return fail(invalid_argument("storage busy_timeout_ms must not be negative"));
  }
  if (options.max_page_count < 0) {
    return fail(invalid_argument("storage max_page_count must not be negative"));
  }

  const std::string file = path.string();
  auto writer =
      Connection::open(file, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, options.busy_timeout_ms);
  if (!writer) return fail(std::move(writer).error());
  const bool in_memory = file == ":memory:";
  if (auto configured = configure_writer(*writer, options, in_memory); !configured) {
    return fail(configured.error());
  }
  if (auto migrated = migrate(*writer, system_clock()->unix_millis()); !migrated) {
    return fail(migrated.error());
  }

  if (in_memory) {
    return std::make_unique<SqliteStore>(Private{}, std::move(*writer), Connection(), Connection(),
                                         kPageSize);
  }

  // Read-only: a read path can never write by mistake. Opened after the migrations, so it
  // finds the schema in place.
  auto reader = Connection::open(file, SQLITE_OPEN_READONLY, options.busy_timeout_ms);
  if (!reader) return fail(std::move(reader).error());
  if (auto r = set_pragma(*reader, "foreign_keys", 1); !r) return fail(r.error());

  auto checkpoints = Connection::open(file, SQLITE_OPEN_READWRITE, options.busy_timeout_ms);
  if (!checkpoints) return fail(std::move(checkpoints).error());
  // A checkpoint syncs the database file as the synchronous setting of its connection says.
  if (auto r = set_synchronous(*checkpoints, options); !r) return fail(r.error());
  // An existing database keeps the page size it was created with.
  auto page_bytes = page_size(*checkpoints);
  if (!page_bytes) return fail(std::move(page_bytes).error());
  return std::make_unique<SqliteStore>(Private{}, std::move(*writer), std::move(*reader),
                                       std::move(*checkpoints), *page_bytes);
}

SqliteStore::ReadAccess SqliteStore::read_access() {
  if (reader_.get() == nullptr) return {std::unique_lock(write_mutex_), writer_};  // in memory
  return {std::unique_lock(read_mutex_), reader_};
}

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

  std::lock_guard lock(write_mutex_);
  // One transaction for the whole batch: one commit, one fsync, and all or nothing.
  Transaction tx(writer_);
  if (auto begun = tx.begin_immediate(); !begun) return fail(begun.error());
  auto insert = writer_.prepare(kInsertEvent);
  if (!insert) return fail(std::move(insert).error());
  for (const NewRawEvent& event : events) {
    int rc = insert->bind_text(1, event.connector);
    if (rc == SQLITE_OK) rc = insert->bind_text(2, event.event_id);
    if (rc == SQLITE_OK) rc = insert->bind_text(3, event.event_type);
    if (rc == SQLITE_OK) rc = insert->bind_text(4, event.business_key);
    if (rc == SQLITE_OK) rc = insert->bind_int(5, event.occurred_at_ms);
    if (rc == SQLITE_OK) rc = insert->bind_int(6, event.received_at_ms);
    if (rc == SQLITE_OK) rc = insert->bind_text(7, event.correlation_id);
    if (rc == SQLITE_OK) rc = insert->bind_blob(8, event.body);
    if (rc == SQLITE_OK) rc = insert->step();
    if (rc != SQLITE_DONE) {
      return fail(sqlite_error(
          writer_.get(), rc, "append_raw_events: event " + event.connector + "/" + event.event_id));
    }
    // DO NOTHING leaves changes() at 0, also for a duplicate earlier in this same batch.
    outcomes.push_back(sqlite3_changes(writer_.get()) > 0 ? AppendOutcome::inserted
                                                          : AppendOutcome::duplicate);
    insert->reset();
  }
  if (auto committed = tx.commit(); !committed) return fail(committed.error());
  return outcomes;
}

StoreResult<std::vector<RawEvent>> SqliteStore::query_raw_events(const RawEventQuery& query) {
  // Conditions are spelled into the SQL only when their filter is set, so that each shape gets
  // a plan that uses its index (the partial index needs the literal IS NULL); at most 64
  // shapes, each prepared once.
  std::string sql = std::string("SELECT ") + kColumns + " FROM raw_events WHERE seq > :after";
  if (query.connector) sql += " AND connector = :connector";
  if (query.event_type) sql += " AND event_type = :event_type";
  if (query.business_key) sql += " AND business_key = :business_key";
  if (query.received_from_ms) sql += " AND received_at_ms >= :from";
  if (query.received_to_ms) sql += " AND received_at_ms < :to";
  if (query.processed) {
    sql += *query.processed ? " AND processed_at_ms IS NOT NULL" : " AND processed_at_ms IS NULL";
  }
  sql += " ORDER BY seq LIMIT :limit";
  const int limit = std::clamp(query.limit, 1, kMaxQueryLimit);

  auto [lock, reader] = read_access();
  auto stmt = reader.prepare(sql);
  if (!stmt) return fail(std::move(stmt).error());
  int rc = stmt->bind_int(":after", query.after_seq);
  if (rc == SQLITE_OK && query.connector) rc = stmt->bind_text(":connector", *query.connector);
  if (rc == SQLITE_OK && query.event_type) rc = stmt->bind_text(":event_type", *query.event_type);
  if (rc == SQLITE_OK && query.business_key) {
    rc = stmt->bind_text(":business_key", *query.business_key);
  }
  if (rc == SQLITE_OK && query.received_from_ms) {
    rc = stmt->bind_int(":from", *query.received_from_ms);
  }
  if (rc == SQLITE_OK && query.received_to_ms) rc = stmt->bind_int(":to", *query.received_to_ms);
  if (rc == SQLITE_OK) rc = stmt->bind_int(":limit", limit);
  if (rc != SQLITE_OK) return fail(sqlite_error(reader.get(), rc, "query_raw_events: bind"));

  std::vector<RawEvent> events;
  while ((rc = stmt->step()) == SQLITE_ROW) events.push_back(read_event(*stmt));
  if (rc != SQLITE_DONE) return fail(sqlite_error(reader.get(), rc, "query_raw_events"));
  return events;
}

StoreResult<std::optional<RawEvent>> SqliteStore::find_raw_event(std::string_view connector,
                                                                 std::string_view event_id) {
  auto [lock, reader] = read_access();
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
  std::lock_guard lock(write_mutex_);
  Transaction tx(writer_);
  if (auto begun = tx.begin_immediate(); !begun) return begun;
  // coalesce keeps the first mark, and still counts the row in changes(), so that 0 changes
  // means exactly "no such event".
  auto update = writer_.prepare(
      "UPDATE raw_events SET processed_at_ms = coalesce(processed_at_ms, ?1) WHERE seq = ?2");
  if (!update) return fail(std::move(update).error());
  for (const std::int64_t seq : seqs) {
    int rc = update->bind_int(1, at_ms);
    if (rc == SQLITE_OK) rc = update->bind_int(2, seq);
    if (rc == SQLITE_OK) rc = update->step();
    if (rc != SQLITE_DONE) {
      return fail(sqlite_error(writer_.get(), rc, "mark_processed: seq " + std::to_string(seq)));
    }
    if (sqlite3_changes(writer_.get()) == 0) {
      return fail(StoreError{StoreErrc::not_found,
                             "mark_processed: no event with seq " + std::to_string(seq)});
    }
    update->reset();
  }
  return tx.commit();
}

StoreResult<std::int64_t> SqliteStore::count_unprocessed() {
  auto [lock, reader] = read_access();
  auto stmt = reader.prepare("SELECT count(*) FROM raw_events WHERE processed_at_ms IS NULL");
  if (!stmt) return fail(std::move(stmt).error());
  const int rc = stmt->step();
  if (rc != SQLITE_ROW) return fail(sqlite_error(reader.get(), rc, "count_unprocessed"));
  return stmt->column_int(0);
}

StoreResult<SchemaStatus> SqliteStore::schema_status() {
  auto [lock, reader] = read_access();
  auto current = applied_version(reader);
  if (!current) return fail(std::move(current).error());
  return SchemaStatus{*current, latest_version()};
}

}  // namespace weft::store::sqlite
