#pragma once
// One SQLite database file and the connections Weft keeps on it, shared by the stores that
// live in it (the raw event log, the workflow state): whichever of them is destroyed last
// closes it, so their destruction order does not matter.
//
// Connections, each with a mutex: one writer, through which every write goes, and one
// reader (read-only), so that reads see the last commit (WAL snapshot) without waiting for a
// write in progress: the ingest's group commit does not stall the console, the engine's reads
// or the mapping stage. Another connection (read-only) serves read snapshots: one thread's run
// of reads in one transaction (read_snapshot), for the mapping stage's batches. Each
// connection caches its prepared statements. An in-memory database (":memory:", for tests)
// exists only in its one connection, so there the writer serves reads too.
//
// Durability: synchronous=FULL by default, so a write that returns success has been fsynced.
// Checkpoints run on a background thread with a connection of their own (checkpointer.hpp).
//
// Threads: writer() and reader() may be called from any thread; the connection an Access
// lends is usable by that thread only, for as long as the Access lives. Do not ask for the
// writer while holding the reader, nor the other way round: in memory both are one.

#include <cstdint>
#include <filesystem>
#include <memory>
#include <mutex>

#include "core/thread_role.hpp"
#include "store/sqlite/sqlite_handle.hpp"
#include "weft/store.hpp"

namespace weft::store::sqlite {

class Checkpointer;
class SnapshotScope;

class Database {
  // Passkey: the constructor is public for std::make_shared, yet only open() can call it.
  struct Private {
    explicit Private() = default;
  };

 public:
  // Opens (creating if needed) the database at `path`, whose directory must exist, or a new
  // in-memory database for ":memory:", and applies pending migrations.
  static StoreResult<std::shared_ptr<Database>> open(const std::filesystem::path& path,
                                                     const StoreOptions& options);
  // No `checkpoints` connection, nor reader, for an in-memory database.
  Database(Private, Connection writer, Connection reader, Connection snapshot,
           Connection checkpoints, std::int64_t page_bytes);
  ~Database();
  Database(const Database&) = delete;
  Database& operator=(const Database&) = delete;

  // A connection's lock; a background thread holding it runs at foreground priority meanwhile
  // (core/thread_role.hpp), since foreground work may be waiting for it.
  struct Lock {
    std::unique_lock<std::mutex> mutex;
    ForegroundWhileHeld priority;
  };
  // A connection, locked for as long as this lives.
  struct Access {
    Lock lock;
    Connection& connection;
  };
  Access writer();
  // The connection reads go through: the reader, or the writer for an in-memory database; on
  // a thread holding a read snapshot of this database, the snapshot's connection.
  Access reader();

  // Store::read_snapshot for every store in this database: a third connection (read-only),
  // one transaction from the first read to the scope's end. Its pages stay cached for the
  // whole scope, where the shared reader starts cold after every commit (SQLite drops a
  // connection's cache when it begins a read after another connection wrote). nullptr for an
  // in-memory database (one connection) and when this thread holds one already.
  std::unique_ptr<ReadScope> read_snapshot();

  // Store::write_scope for every store in this database: BEGIN IMMEDIATE on the writer, held
  // (with its lock) until the scope commits or ends; meanwhile writer() on this thread lends
  // the writer without locking it again, and each Transaction on it is a savepoint. nullptr
  // when this thread holds one already.
  std::unique_ptr<WriteScope> write_scope();

 private:
  friend class SnapshotScope;
  friend class SharedWriteScope;
  std::mutex write_mutex_;
  Connection writer_;  // guarded by write_mutex_
  std::mutex read_mutex_;
  // Declared after writer_ so that it closes before it: the writer, closing last, checkpoints
  // what is left of the WAL into the database file and removes it.
  Connection reader_;          // guarded by read_mutex_; none for an in-memory database
  std::mutex snapshot_mutex_;  // held by the thread whose read snapshot is open
  Connection snapshot_;        // guarded by snapshot_mutex_; none for an in-memory database
  // Last, so that it stops before the other connections close. None for an in-memory database.
  std::unique_ptr<Checkpointer> checkpointer_;
};

}  // namespace weft::store::sqlite
