#include "store/sqlite/database.hpp"

#include <algorithm>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

#include "store/sqlite/checkpointer.hpp"
#include "store/sqlite/migrations.hpp"
#include "store/sqlite/wal_write_buffer.hpp"
#include "weft/clock.hpp"
#include "weft/log.hpp"

namespace weft::store::sqlite {

namespace {

// The database whose read snapshot the calling thread holds, if any (Database::read_snapshot).
thread_local const Database* active_snapshot = nullptr;
// The database whose writer the calling thread holds in a write scope, if any.
thread_local const Database* active_write_scope = nullptr;

// 8 KiB pages for a new database (one already created keeps its own: README, operations). A
// commit writes every page it touched to the WAL, so the page size trades the bytes of one
// random touch (each insert lands on a random leaf of the indexes) against how well rows fill
// pages. With 16 KiB pages (and four more raw event indexes than now) the checkpoints copying a
// WAL of ~70 KB per webhook stalled acks for 100-300 ms: p99 at 2,000/s 325 ms against 14.7 ms
// with 4 KiB. Since then the log lost those indexes and a canonical record shrank to 1.2 KB,
// and a 2.4 KB raw event filled a 4 KiB page alone (two do not fit) where 8 KiB holds three:
// bench/ingest_bench, five A/B pairs on one build: 21.7-23.4k against 18.5-20.7k webhooks/s,
// p99 at 2,000/s 5.7-7.4 ms against 7.8-12.8 ms; the engine benchmark unchanged.
constexpr int kPageSize = 8192;

// The writer's page cache (SQLite's default is 2 MiB): the indexes' inner pages and the leaves
// a burst of inserts lands on stay in memory instead of being read back with a system call
// each. Memory is taken as pages are used, up to this much.
constexpr int kWriterCacheKiB = 32 * 1024;

// How much of a statement's or savepoint's undo record (the pages it changed, as they were) SQLite
// keeps in memory before spilling it to a temporary file (its default: 64 KiB). Every write of a
// group commit is a savepoint inside the round's transaction; one engine transition touches ~10
// pages, so with the default the journal spilled in each round and every page it recorded cost
// two pwrite calls to a temporary file: ~6,500 a second at 2,000 workflows/s (engine benchmark),
// 3.5 % of a core in the commit thread. Larger undo records (a replay resetting many rows) still
// spill beyond this, so memory stays bounded.
constexpr int kStatementJournalSpillBytes = 4 * 1024 * 1024;

// Process-wide SQLite settings, before the first connection. The undo records' limit is refused
// once SQLite is initialised (a process that opened a file before, as some tests do, then goes
// on with the default); the VFS can be registered at any time. Both only save work.
void prepare_library() {
  static const bool prepared = [] {
    sqlite3_config(SQLITE_CONFIG_STMTJRNL_SPILL, kStatementJournalSpillBytes);
    register_wal_write_buffer();
    return true;
  }();
  (void)prepared;
}

StoreError invalid_argument(std::string message) {
  return StoreError{StoreErrc::invalid_argument, std::move(message)};
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

StoreResult<void> check_options(const std::filesystem::path& path, const StoreOptions& options) {
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
  return {};
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
  if (auto r = set_pragma(writer, "cache_size", -kWriterCacheKiB); !r) return r;
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

StoreResult<std::shared_ptr<Database>> Database::open(const std::filesystem::path& path,
                                                      const StoreOptions& options) {
  if (auto checked = check_options(path, options); !checked) return fail(checked.error());

  prepare_library();
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
    return std::make_shared<Database>(Private{}, std::move(*writer), Connection(), Connection(),
                                      Connection(), kPageSize);
  }

  // Read-only: a read path can never write by mistake. Opened after the migrations, so it
  // finds the schema in place.
  auto reader = Connection::open(file, SQLITE_OPEN_READONLY, options.busy_timeout_ms);
  if (!reader) return fail(std::move(reader).error());
  if (auto r = set_pragma(*reader, "foreign_keys", 1); !r) return fail(r.error());
  auto snapshot = Connection::open(file, SQLITE_OPEN_READONLY, options.busy_timeout_ms);
  if (!snapshot) return fail(std::move(snapshot).error());

  auto checkpoints = Connection::open(file, SQLITE_OPEN_READWRITE, options.busy_timeout_ms);
  if (!checkpoints) return fail(std::move(checkpoints).error());
  // A checkpoint syncs the database file as the synchronous setting of its connection says.
  if (auto r = set_synchronous(*checkpoints, options); !r) return fail(r.error());
  // An existing database keeps the page size it was created with.
  auto page_bytes = page_size(*checkpoints);
  if (!page_bytes) return fail(std::move(page_bytes).error());
  return std::make_shared<Database>(Private{}, std::move(*writer), std::move(*reader),
                                    std::move(*snapshot), std::move(*checkpoints), *page_bytes);
}

Database::Database(Private, Connection writer, Connection reader, Connection snapshot,
                   Connection checkpoints, std::int64_t page_bytes)
    : writer_(std::move(writer)), reader_(std::move(reader)), snapshot_(std::move(snapshot)) {
  if (checkpoints.get() != nullptr) {
    checkpointer_ =
        std::make_unique<Checkpointer>(std::move(checkpoints), write_mutex_, page_bytes);
    sqlite3_wal_hook(writer_.get(), &Checkpointer::on_commit, checkpointer_.get());
  }
}

Database::~Database() {
  std::lock_guard lock(write_mutex_);
  if (checkpointer_) sqlite3_wal_hook(writer_.get(), nullptr, nullptr);  // it stops first
  // Refreshes the planner's statistics when they are stale, as SQLite advises before closing.
  // Best effort: a failure changes only query plans, and the writer closes right after.
  sqlite3_exec(writer_.get(), "PRAGMA analysis_limit = 400; PRAGMA optimize", nullptr, nullptr,
               nullptr);
}

Database::Access Database::writer() {
  if (active_write_scope == this) {
    // The thread holds write_mutex_ already, for its write scope.
    return {{std::unique_lock<std::mutex>(), ForegroundWhileHeld(ForegroundWhileHeld::NotNeeded{})},
            writer_};
  }
  return {{std::unique_lock(write_mutex_), {}}, writer_};
}

Database::Access Database::reader() {
  if (active_snapshot == this) {
    // The thread holds snapshot_mutex_ already, and no other thread waits for this connection.
    return {{std::unique_lock<std::mutex>(), ForegroundWhileHeld(ForegroundWhileHeld::NotNeeded{})},
            snapshot_};
  }
  if (reader_.get() == nullptr) return writer();  // in memory
  return {{std::unique_lock(read_mutex_), {}}, reader_};
}

// The read transaction of Database::read_snapshot: BEGIN when it opens (SQLite takes the
// snapshot at the first read), COMMIT when it ends.
class SnapshotScope final : public ReadScope {
 public:
  explicit SnapshotScope(Database& database)
      : database_(database), lock_(database.snapshot_mutex_) {}
  bool begin() {
    if (!database_.snapshot_.exec("BEGIN", "begin a read snapshot")) return false;
    began_ = true;
    active_snapshot = &database_;
    return true;
  }
  ~SnapshotScope() override {
    if (!began_) return;
    if (active_snapshot == &database_) active_snapshot = nullptr;
    // Only ends a read: nothing to lose. Should COMMIT fail (a statement left running),
    // ROLLBACK ends the transaction all the same: an old snapshot left open would keep the
    // checkpoints from ever starting the WAL over.
    if (!database_.snapshot_.exec("COMMIT", "end a read snapshot")) {
      (void)database_.snapshot_.exec("ROLLBACK", "end a read snapshot");
    }
  }
  SnapshotScope(const SnapshotScope&) = delete;
  SnapshotScope& operator=(const SnapshotScope&) = delete;

 private:
  Database& database_;
  std::unique_lock<std::mutex> lock_;
  bool began_ = false;
};

std::unique_ptr<ReadScope> Database::read_snapshot() {
  if (snapshot_.get() == nullptr || active_snapshot != nullptr) return nullptr;
  auto scope = std::make_unique<SnapshotScope>(*this);
  if (!scope->begin()) return nullptr;  // reads go to the shared reader, as without one
  return scope;
}

// The shared transaction of Database::write_scope. It holds the writer from its begin to its
// commit or end, whichever comes first: once over, it touches the database no more (it may
// outlive it).
class SharedWriteScope final : public WriteScope {
 public:
  explicit SharedWriteScope(Database& database)
      : database_(database), lock_(database.write_mutex_) {
    priority_.emplace();
  }
  StoreResult<void> begin() {
    Connection& writer = database_.writer_;
    writer.rollback_open_transaction();  // as Transaction does
    if (auto begun = writer.run("BEGIN IMMEDIATE", "begin a shared write"); !begun) return begun;
    writer.set_in_write_scope(true);
    active_write_scope = &database_;
    return {};
  }
  StoreResult<void> commit() override {
    if (!lock_.owns_lock()) {
      return fail(StoreError{StoreErrc::internal, "the shared write has ended already"});
    }
    auto committed = database_.writer_.run("COMMIT", "commit a shared write");
    // COMMIT can fail and leave the transaction open (SQLITE_BUSY).
    if (!committed) database_.writer_.rollback_open_transaction();
    end();
    return committed;
  }
  ~SharedWriteScope() override {
    if (!lock_.owns_lock()) return;
    database_.writer_.rollback_open_transaction();
    end();
  }
  SharedWriteScope(const SharedWriteScope&) = delete;
  SharedWriteScope& operator=(const SharedWriteScope&) = delete;

 private:
  void end() {
    database_.writer_.set_in_write_scope(false);
    if (active_write_scope == &database_) active_write_scope = nullptr;
    priority_.reset();
    lock_.unlock();
  }

  Database& database_;
  // The writer's lock while the scope is open, as Database::Lock holds it.
  std::unique_lock<std::mutex> lock_;
  std::optional<ForegroundWhileHeld> priority_;
};

std::unique_ptr<WriteScope> Database::write_scope() {
  if (active_write_scope == this) return nullptr;
  auto scope = std::make_unique<SharedWriteScope>(*this);
  if (auto begun = scope->begin(); !begun) {
    log::warn("store.shared_write_unavailable", {{"error", begun.error().message}});
    return nullptr;  // each write commits on its own, as without one
  }
  return scope;
}

}  // namespace weft::store::sqlite
