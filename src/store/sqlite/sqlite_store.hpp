#pragma once
// The embedded Store: the raw event log in a SQLite database (see database.hpp for the
// connections, durability and checkpoints it shares with the workflow store).
//
// Writes go through the database's writer connection, reads through its reader: in WAL mode a
// read sees the last committed state and is never blocked by a write being committed.
//
// Contracts beyond store.hpp:
//   - append_raw_events refuses a batch holding an event with an empty connector or event_id
//     (invalid_argument): an empty de-duplication key would silently merge unrelated events.
//   - mark_processed keeps the first processed_at_ms of an event already marked; a seq that is
//     not in the log is not_found, and then nothing of the call is written.

#include <memory>

#include "store/sqlite/database.hpp"
#include "weft/store.hpp"

namespace weft::store::sqlite {

class SqliteStore final : public Store {
 public:
  explicit SqliteStore(std::shared_ptr<Database> database);
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
  StoreResult<std::optional<std::string>> load_cursor(std::string_view name) override;
  StoreResult<void> save_cursor(std::string_view name, std::string_view value,
                                std::int64_t at_ms) override;
  std::unique_ptr<ReadScope> read_snapshot() override { return database_->read_snapshot(); }
  std::unique_ptr<WriteScope> write_scope() override { return database_->write_scope(); }

 private:
  std::shared_ptr<Database> database_;
};

}  // namespace weft::store::sqlite
