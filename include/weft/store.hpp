#pragma once
// Store: Weft's durable state behind one interface. SQLite (embedded) implements it now and
// PostgreSQL (many nodes) next; callers never see which. Nothing SQLite-specific leaks out:
// sequence numbers are opaque increasing integers, times are Unix milliseconds, and every
// write method is one transaction that is durable when it returns success.
//
// Threads: every method may be called from any thread. Writes are serialised inside the
// implementation; the ingest path batches its writes (see ingest/group_committer.hpp) so that
// many requests share one transaction and one fsync.

#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "weft/result.hpp"

namespace weft {

enum class StoreErrc {
  unavailable,       // cannot reach or open the database; retry later
  full,              // disk or quota full; nothing was written
  invalid_argument,  // the caller asked for something malformed
  not_found,
  conflict,          // a uniqueness or version check failed
  internal,          // corruption, a bug, or a failed migration
};
const char* to_string(StoreErrc code);
using StoreError = Error<StoreErrc>;
template <class T>
using StoreResult = Result<T, StoreError>;

// A webhook or polled platform event as received, before any mapping.
struct NewRawEvent {
  std::string connector;       // name of the connector in the config, e.g. "stripe"
  std::string event_id;        // the platform's own event id: the de-duplication key
  std::string event_type;      // the platform's event type, e.g. "invoice.created"
  std::string business_key;    // orders events: the platform object the event is about
  std::int64_t occurred_at_ms = 0;  // the platform's timestamp (0 when it gives none)
  // When the hub received it. In the log it never decreases along seq: an event stamped
  // earlier than the one before it (a clock stepped back, threads racing) is stored with that
  // one's time, so that a time range is a range of the log.
  std::int64_t received_at_ms = 0;
  std::string correlation_id;
  std::string body;            // the raw bytes as received
};

struct RawEvent : NewRawEvent {
  std::int64_t seq = 0;        // position in the log; increases with every insert
  std::optional<std::int64_t> processed_at_ms;
};

enum class AppendOutcome { inserted, duplicate };

// Filters for reading the event log. Unset fields do not filter.
struct RawEventQuery {
  std::optional<std::string> connector;
  std::optional<std::string> event_type;
  std::optional<std::string> business_key;
  std::optional<std::int64_t> received_from_ms;  // inclusive
  std::optional<std::int64_t> received_to_ms;    // exclusive
  std::optional<bool> processed;
  std::int64_t after_seq = 0;  // keyset pagination: only events with seq > after_seq
  int limit = 100;
};

struct SchemaStatus {
  int current_version = 0;   // highest migration applied
  int expected_version = 0;  // highest migration this build knows
  bool up_to_date() const { return current_version == expected_version; }
};

// Held while the thread that asked for it reads on one snapshot (Store::read_snapshot).
class ReadScope {
 public:
  virtual ~ReadScope() = default;
};

// Held while the thread that asked for it writes in one shared transaction
// (Store::write_scope). Destroyed without a successful commit(), it undoes everything written
// in it.
class WriteScope {
 public:
  virtual ~WriteScope() = default;
  // Makes everything written in the scope durable at once (one commit, one fsync), or on
  // error none of it. Called at most once; the scope is over either way.
  virtual StoreResult<void> commit() = 0;
};

class Store {
 public:
  virtual ~Store() = default;

  // For a run of reads that belong together (the mapping stage routing a batch): while the
  // returned scope lives, reads on the calling thread — through this store and every store
  // sharing its database (workflows, identity) — see one committed state, from one
  // transaction, without taking the connection each read shares with other threads. They do
  // not see what is written meanwhile, by this thread either. One thread at a time holds it
  // (another asking waits). nullptr: the store has nothing to gain (every read sees the last
  // state anyway), or the thread holds one already.
  virtual std::unique_ptr<ReadScope> read_snapshot() { return nullptr; }

  // For writes from several writers that may share one durable commit (store/commit_writer):
  // while the returned scope lives, each write on the calling thread — through this store and
  // every store sharing its database — joins one transaction instead of committing on its own.
  // Each write keeps its own all or nothing (a write that fails undoes itself only), but none
  // is durable, nor seen by other threads, until the scope's commit(). The scope holds the
  // database's writer meanwhile: other threads' writes wait. nullptr: every write commits on
  // its own (a store with nothing to gain), or the thread holds one already.
  virtual std::unique_ptr<WriteScope> write_scope() { return nullptr; }

  // Appends raw events in one transaction and one durable commit. All or nothing: on error
  // nothing of the batch is written. An event whose (connector, event_id) is already in the
  // log, or earlier in the same batch, is a duplicate and is not written again.
  virtual StoreResult<std::vector<AppendOutcome>> append_raw_events(
      std::span<const NewRawEvent> events) = 0;

  // Reads the log in seq order.
  virtual StoreResult<std::vector<RawEvent>> query_raw_events(const RawEventQuery& query) = 0;
  virtual StoreResult<std::optional<RawEvent>> find_raw_event(std::string_view connector,
                                                              std::string_view event_id) = 0;

  // Marks events as processed by the mapping stage; a restart resumes the rest.
  virtual StoreResult<void> mark_processed(std::span<const std::int64_t> seqs,
                                        std::int64_t at_ms) = 0;
  virtual StoreResult<std::int64_t> count_unprocessed() = 0;

  // For readiness: the database answers and its schema is the one this build expects.
  virtual StoreResult<SchemaStatus> schema_status() = 0;

  // Durable cursors of the backfill pollers (a Stripe event watermark, a Zendesk export
  // cursor, …), by name. A poller saves its cursor only after the events it read are
  // appended, so a crash in between reads them again and the log's de-duplication drops the
  // repeats. nullopt: never saved.
  virtual StoreResult<std::optional<std::string>> load_cursor(std::string_view name) = 0;
  virtual StoreResult<void> save_cursor(std::string_view name, std::string_view value,
                                        std::int64_t at_ms) = 0;
};
using StorePtr = std::unique_ptr<Store>;

struct StoreOptions {
  // "full" (default: every commit survives power loss) or "normal" (survives a process
  // crash; a power loss may lose the last commits). Applies to SQLite.
  std::string synchronous = "full";
  int busy_timeout_ms = 5000;
  // Quota, and the seam tests use to simulate a full disk: the database may grow to at most
  // this many pages (SQLite pages: 8 KiB in a database this build creates); a write beyond it fails with
  // StoreErrc::full and writes nothing. 0 = unlimited. Applies to SQLite.
  std::int64_t max_page_count = 0;
};

// Opens the store a URL names, applying pending migrations:
//   sqlite:PATH, sqlite://PATH (absolute when PATH starts with '/'), or a bare file path.
//   postgres://… is reserved for the PostgreSQL store.
StoreResult<StorePtr> open_store(std::string_view url, const StoreOptions& options = {});

}  // namespace weft
