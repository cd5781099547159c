#pragma once
// The embedded Store: one SQLite file in WAL mode.
//
// Two connections serve the methods: the writer (every write method, serialised by
// write_mutex_) and the reader (every read method, serialised by read_mutex_). In WAL mode a
// read sees the last committed state and is never blocked by a write being committed, so
// ingest's group commit does not stall the console or the mapping stage. Each connection
// caches its prepared statements. An in-memory database (":memory:", for tests) exists only
// in its one connection, so there the writer serves reads too.
//
// Durability: synchronous=FULL by default, so a write method that returns success has been
// fsynced.
//
// Checkpoints (copying the WAL back into the database file) run on a background thread with a
// third connection, never inside a commit: a commit that also checkpointed would hold up every
// webhook waiting on it for tens of milliseconds. The WAL therefore runs ahead of the database
// file by some MiB (kCheckpointStartBytes). SQLite starts a WAL over only when a write begins
// with all of it copied, so the checkpointer ends with a short pass (about 1 MiB) during which
// it holds commits off; a WAL that still outgrows its limit gets a blocking checkpoint, which
// bounds its size whatever the load.
//
// Contracts beyond store.hpp:
//   - append_raw_events refuses a batch holding an event with an empty connector or event_id
//     (invalid_argument): an empty de-duplication key would silently merge unrelated events.
//   - mark_processed keeps the first processed_at_ms of an event already marked; a seq that is
//     not in the log is not_found, and then nothing of the call is written.

#include <filesystem>
#include <memory>
#include <mutex>

#include "store/sqlite/sqlite_handle.hpp"
#include "weft/store.hpp"

namespace weft::store::sqlite {

class Checkpointer;

class SqliteStore final : public Store {
  // Passkey: the constructor is public for std::make_unique, yet only open() can call it.
  struct Private {
    explicit Private() = default;
  };

 public:
  // Opens (creating if needed) the database at `path`, whose directory must exist, or a new
  // in-memory database for ":memory:", and applies pending migrations.
  static StoreResult<std::unique_ptr<SqliteStore>> open(const std::filesystem::path& path,
                                                        const StoreOptions& options);
  // No `checkpoints` connection for an in-memory database.
  SqliteStore(Private, Connection writer, Connection reader, Connection checkpoints,
              std::int64_t page_bytes);
  ~SqliteStore() override;
  SqliteStore(const SqliteStore&) = delete;
  SqliteStore& operator=(const SqliteStore&) = delete;

  StoreResult<std::vector<AppendOutcome>> append_raw_events(
      std::span<const NewRawEvent> events) override;
  StoreResult<std::vector<RawEvent>> query_raw_events(const RawEventQuery& query) override;
  StoreResult<std::optional<RawEvent>> find_raw_event(std::string_view connector,
                                                      std::string_view event_id) override;
  StoreResult<void> mark_processed(std::span<const std::int64_t> seqs, std::int64_t at_ms) override;
  StoreResult<std::int64_t> count_unprocessed() override;
  StoreResult<SchemaStatus> schema_status() override;

 private:
  struct ReadAccess {
    std::unique_lock<std::mutex> lock;
    Connection& connection;
  };
  // The connection reads go through, locked.
  ReadAccess read_access();

  std::mutex write_mutex_;
  Connection writer_;  // guarded by write_mutex_
  std::mutex read_mutex_;
  // Declared after writer_ so that it closes before it: the writer, closing last, checkpoints
  // what is left of the WAL into the database file and removes it.
  Connection reader_;  // guarded by read_mutex_; none for an in-memory database
  // Last, so that it stops before the other connections close. None for an in-memory database.
  std::unique_ptr<Checkpointer> checkpointer_;
};

}  // namespace weft::store::sqlite
