#pragma once
// RAII for SQLite's handles, and the few helpers every file of the SQLite store shares:
// error mapping, a per-connection cache of prepared statements, a transaction guard.
// Included only by the SQLite store's own .cpp files, so <sqlite3.h> stays out of the rest.
//
// Threads: a Connection is not thread-safe; its owner serialises access (Database keeps one
// mutex per connection). Connections are opened with SQLITE_OPEN_NOMUTEX for that reason.

#include <sqlite3.h>

#include <cerrno>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include "weft/store.hpp"

namespace weft::store::sqlite {

struct CloseDb {
  // close_v2: a statement that outlives its connection by mistake delays the close instead of
  // leaking the handle.
  void operator()(sqlite3* db) const noexcept { sqlite3_close_v2(db); }
};
using DbHandle = std::unique_ptr<sqlite3, CloseDb>;

struct FinalizeStmt {
  void operator()(sqlite3_stmt* stmt) const noexcept { sqlite3_finalize(stmt); }
};
using StmtHandle = std::unique_ptr<sqlite3_stmt, FinalizeStmt>;

// SQLite result code (extended or primary) → the Store's error kinds. A full disk shows as
// SQLITE_FULL, or as an I/O error whose errno says so (fsync/ftruncate on ENOSPC).
inline StoreErrc classify(int rc, int system_errno) {
  // A uniqueness check failed: the caller asked for something that exists already.
  if (rc == SQLITE_CONSTRAINT_UNIQUE || rc == SQLITE_CONSTRAINT_PRIMARYKEY)
    return StoreErrc::conflict;
  switch (rc & 0xff) {
    case SQLITE_FULL:
      return StoreErrc::full;
    case SQLITE_IOERR:
      return (system_errno == ENOSPC || system_errno == EDQUOT) ? StoreErrc::full
                                                                : StoreErrc::unavailable;
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
    case SQLITE_CANTOPEN:
      return StoreErrc::unavailable;
    case SQLITE_TOOBIG:  // a value beyond SQLite's limits: the caller's input is malformed
      return StoreErrc::invalid_argument;
    default:
      return StoreErrc::internal;
  }
}

// The error for a failed call on `db`: `what` says which operation, SQLite says why.
// Must be called right after the failing call, before anything else touches `db`.
inline StoreError sqlite_error(sqlite3* db, int rc, std::string_view what) {
  const int system_errno = db != nullptr ? sqlite3_system_errno(db) : 0;
  std::string message(what);
  message += ": ";
  message += db != nullptr ? sqlite3_errmsg(db) : sqlite3_errstr(rc);
  message += " (sqlite code ";
  message += std::to_string(rc);
  message += ")";
  return StoreError{classify(rc, system_errno), std::move(message)};
}

// A cached statement lent out for one use. Resetting it on scope exit matters beyond
// tidiness: a statement left mid-step keeps its read snapshot, which pins the WAL and stops
// checkpoints, and keeps a write transaction from committing cleanly.
class StmtLease {
 public:
  explicit StmtLease(sqlite3_stmt* stmt) : stmt_(stmt) {}
  ~StmtLease() { release(); }
  StmtLease(StmtLease&& other) noexcept : stmt_(std::exchange(other.stmt_, nullptr)) {}
  StmtLease& operator=(StmtLease&& other) noexcept {
    if (this != &other) {
      release();
      stmt_ = std::exchange(other.stmt_, nullptr);
    }
    return *this;
  }
  StmtLease(const StmtLease&) = delete;
  StmtLease& operator=(const StmtLease&) = delete;

  sqlite3_stmt* get() const { return stmt_; }

  // Binders return SQLite's code; text and blobs are bound without copying, so the bound
  // bytes must stay alive until the statement is stepped and reset.
  int bind_text(int index, std::string_view text) {
    // A null data pointer would bind SQL NULL; an empty view means the empty string.
    const char* data = text.data() != nullptr ? text.data() : "";
    return sqlite3_bind_text64(stmt_, index, data, text.size(), SQLITE_STATIC, SQLITE_UTF8);
  }
  int bind_blob(int index, std::string_view bytes) {
    const char* data = bytes.data() != nullptr ? bytes.data() : "";
    return sqlite3_bind_blob64(stmt_, index, data, bytes.size(), SQLITE_STATIC);
  }
  int bind_int(int index, std::int64_t value) { return sqlite3_bind_int64(stmt_, index, value); }
  int bind_null(int index) { return sqlite3_bind_null(stmt_, index); }
  int bind_text(const char* name, std::string_view text) {
    return bind_text(sqlite3_bind_parameter_index(stmt_, name), text);
  }
  int bind_int(const char* name, std::int64_t value) {
    return bind_int(sqlite3_bind_parameter_index(stmt_, name), value);
  }

  int step() { return sqlite3_step(stmt_); }
  // Ready for the next row of a batch: same statement, new bindings.
  void reset() {
    sqlite3_reset(stmt_);
    sqlite3_clear_bindings(stmt_);
  }

  std::int64_t column_int(int column) const { return sqlite3_column_int64(stmt_, column); }
  bool column_is_null(int column) const {
    return sqlite3_column_type(stmt_, column) == SQLITE_NULL;
  }
  std::string column_text(int column) const {
    const auto* text = sqlite3_column_text(stmt_, column);
    const int size = sqlite3_column_bytes(stmt_, column);  // after _text, as SQLite requires
    if (text == nullptr) return {};
    return std::string(reinterpret_cast<const char*>(text), static_cast<std::size_t>(size));
  }
  std::string column_blob(int column) const {
    const void* blob = sqlite3_column_blob(stmt_, column);
    const int size = sqlite3_column_bytes(stmt_, column);
    if (blob == nullptr) return {};
    return std::string(static_cast<const char*>(blob), static_cast<std::size_t>(size));
  }

 private:
  void release() {
    if (stmt_ != nullptr) reset();
    stmt_ = nullptr;
  }
  sqlite3_stmt* stmt_;
};

// One sqlite3 connection and the statements prepared on it, which live as long as it does.
class Connection {
 public:
  Connection() = default;

  // Opens `path` with SQLITE_OPEN_* `flags` (NOMUTEX is added) and sets the busy timeout.
  static StoreResult<Connection> open(const std::string& path, int flags, int busy_timeout_ms) {
    sqlite3* raw = nullptr;
    const int rc = sqlite3_open_v2(path.c_str(), &raw, flags | SQLITE_OPEN_NOMUTEX, nullptr);
    DbHandle db(raw);  // sqlite3_open_v2 allocates a handle even on failure: close it
    if (rc != SQLITE_OK) {
      return fail(sqlite_error(db.get(), rc, "cannot open SQLite database '" + path + "'"));
    }
    sqlite3_extended_result_codes(db.get(), 1);
    sqlite3_busy_timeout(db.get(), busy_timeout_ms);
    Connection connection;
    connection.db_ = std::move(db);
    return connection;
  }

  sqlite3* get() const { return db_.get(); }

  // The cached statement for `sql`, prepared on first use.
  StoreResult<StmtLease> prepare(std::string_view sql) {
    if (auto it = cache_.find(sql); it != cache_.end()) return StmtLease(it->second.get());
    sqlite3_stmt* raw = nullptr;
    const int rc = sqlite3_prepare_v3(db_.get(), sql.data(), static_cast<int>(sql.size()),
                                      SQLITE_PREPARE_PERSISTENT, &raw, nullptr);
    StmtHandle stmt(raw);
    if (rc != SQLITE_OK) return fail(sqlite_error(db_.get(), rc, "prepare"));
    sqlite3_stmt* lent = stmt.get();
    cache_.emplace(std::string(sql), std::move(stmt));
    return StmtLease(lent);
  }

  // Whether a shared transaction (Store::write_scope) is open on this connection: the
  // writes begun meanwhile (Transaction) join it as savepoints.
  bool in_write_scope() const { return in_write_scope_; }
  void set_in_write_scope(bool open) { in_write_scope_ = open; }

  // Runs one statement that returns no rows, prepared once and cached: the transaction
  // statements every write runs (BEGIN, COMMIT, SAVEPOINT, RELEASE).
  StoreResult<void> run(std::string_view sql, const char* what) {
    auto stmt = prepare(sql);
    if (!stmt) return fail(std::move(stmt).error());
    const int rc = stmt->step();
    if (rc != SQLITE_DONE) return fail(sqlite_error(db_.get(), rc, what));
    return {};
  }

  // Ends the transaction open on this connection, if any, undoing it. Some errors (SQLITE_FULL,
  // IOERR, NOMEM) roll a transaction back themselves; a rollback that failed (I/O error) leaves
  // one open, which the next write must undo rather than fail from there on.
  void rollback_open_transaction() noexcept {
    if (sqlite3_get_autocommit(db_.get()) == 0) {
      sqlite3_exec(db_.get(), "ROLLBACK", nullptr, nullptr, nullptr);
    }
  }

  // Runs SQL that returns no rows needed by the caller (pragmas, DDL, several statements).
  StoreResult<void> exec(const char* sql, std::string_view what) {
    const int rc = sqlite3_exec(db_.get(), sql, nullptr, nullptr, nullptr);
    if (rc != SQLITE_OK) return fail(sqlite_error(db_.get(), rc, what));
    return {};
  }

 private:
  struct StringHash {
    using is_transparent = void;
    std::size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
  };

  DbHandle db_;
  bool in_write_scope_ = false;
  // Declared after db_ so that statements are finalized before the connection closes.
  std::unordered_map<std::string, StmtHandle, StringHash, std::equal_to<>> cache_;
};

// A write transaction that rolls back unless committed: every early return on error undoes
// whatever the transaction did so far.
class Transaction {
 public:
  explicit Transaction(Connection& connection) : connection_(connection) {}
  ~Transaction() {
    if (open_) rollback();
  }
  Transaction(const Transaction&) = delete;
  Transaction& operator=(const Transaction&) = delete;

  // IMMEDIATE takes the write lock up front, so a busy database fails here (after the busy
  // timeout) rather than half-way through the batch. Inside a shared transaction (the
  // connection's write scope, Store::write_scope) it is a savepoint instead: its commit joins
  // the shared transaction, its rollback undoes only what it wrote.
  StoreResult<void> begin_immediate() {
    savepoint_ = connection_.in_write_scope();
    if (!savepoint_) connection_.rollback_open_transaction();
    auto begun = savepoint_ ? connection_.run("SAVEPOINT write", "begin a write")
                            : connection_.run("BEGIN IMMEDIATE", "begin transaction");
    open_ = begun.ok();
    return begun;
  }

  StoreResult<void> commit() {
    auto committed = savepoint_ ? connection_.run("RELEASE write", "commit a write")
                                : connection_.run("COMMIT", "commit");
    if (committed) open_ = false;
    return committed;
  }

 private:
  void rollback() noexcept {
    open_ = false;
    if (!savepoint_) {
      connection_.rollback_open_transaction();
    } else if (sqlite3_get_autocommit(connection_.get()) == 0) {
      // Unless an error rolled back the shared transaction itself (the scope's commit then
      // fails), undo this write's part only.
      sqlite3_exec(connection_.get(), "ROLLBACK TO write; RELEASE write", nullptr, nullptr,
                   nullptr);
    }
  }

  Connection& connection_;
  bool open_ = false;
  bool savepoint_ = false;  // inside the connection's shared transaction
};

// Runs one write statement on `db` with the parameters `bind` sets (it returns SQLite's code);
// the number of rows it changed. `what` and `subject` name it in an error; the message is
// built only then, since this runs for every row of a batch.
template <class Bind>
StoreResult<int> execute(Connection& db, const char* sql, Bind&& bind, const char* what,
                         std::string_view subject) {
  auto stmt = db.prepare(sql);
  if (!stmt) return fail(std::move(stmt).error());
  int rc = bind(*stmt);
  if (rc == SQLITE_OK) rc = stmt->step();
  if (rc != SQLITE_DONE) {
    std::string message(what);
    if (!subject.empty()) message.append(" ").append(subject);
    return fail(sqlite_error(db.get(), rc, message));
  }
  return sqlite3_changes(db.get());
}

// Every row `stmt` yields, read by `read`.
template <class Read>
auto read_all(Connection& db, StmtLease& stmt, Read read, const char* what)
    -> StoreResult<std::vector<decltype(read(stmt))>> {
  std::vector<decltype(read(stmt))> out;
  int rc = SQLITE_OK;
  while ((rc = stmt.step()) == SQLITE_ROW) out.push_back(read(stmt));
  if (rc != SQLITE_DONE) return fail(sqlite_error(db.get(), rc, what));
  return out;
}

// Every row a query yields: prepares `sql`, binds its parameters with `bind` (which returns
// SQLite's code) and reads each row with `read`.
template <class Bind, class Read>
auto query_rows(Connection& db, const char* sql, Bind&& bind, Read read, const char* what)
    -> StoreResult<std::vector<decltype(read(std::declval<StmtLease&>()))>> {
  auto stmt = db.prepare(sql);
  if (!stmt) return fail(std::move(stmt).error());
  if (const int rc = bind(*stmt); rc != SQLITE_OK) return fail(sqlite_error(db.get(), rc, what));
  return read_all(db, *stmt, read, what);
}

// The first row of a query's result, if any (lookups by key).
template <class T>
StoreResult<std::optional<T>> first(StoreResult<std::vector<T>> rows) {
  if (!rows) return fail(std::move(rows).error());
  if (rows->empty()) return std::optional<T>();
  return std::optional<T>(std::move(rows->front()));
}

}  // namespace weft::store::sqlite
