#pragma once
// An in-memory Store with the same semantics as the durable ones (de-duplication, all-or-
// nothing batches, seq order). For fast tests and for wrapping with fault injection; it
// keeps nothing across processes.

#include <map>
#include <mutex>
#include <utility>

#include "weft/store.hpp"

namespace weft {

class MemoryStore : public Store {
 public:
  StoreResult<std::vector<AppendOutcome>> append_raw_events(std::span<const NewRawEvent> events) override;
  StoreResult<std::vector<RawEvent>> query_raw_events(const RawEventQuery& query) override;
  StoreResult<std::optional<RawEvent>> find_raw_event(std::string_view connector,
                                                      std::string_view event_id) override;
  StoreResult<void> mark_processed(std::span<const std::int64_t> seqs, std::int64_t at_ms) override;
  StoreResult<std::int64_t> count_unprocessed() override;
  StoreResult<SchemaStatus> schema_status() override;
  StoreResult<std::optional<std::string>> load_cursor(std::string_view name) override;
  StoreResult<void> save_cursor(std::string_view name, std::string_view value,
                                std::int64_t at_ms) override;

 private:
  std::mutex mutex_;
  std::map<std::string, std::string, std::less<>> cursors_;
  std::int64_t next_seq_ = 1;
  std::map<std::int64_t, RawEvent> events_;  // by seq
  std::map<std::pair<std::string, std::string>, std::int64_t, std::less<>> by_id_;
};

// Wraps a Store and fails its calls on demand: a test's way to take storage away.
class FaultInjectingStore : public Store {
 public:
  explicit FaultInjectingStore(Store& inner) : inner_(inner) {}
  // While set, every call fails with this error and touches nothing.
  void fail_with(std::optional<StoreError> error) {
    std::lock_guard lock(mutex_);
    error_ = std::move(error);
  }

  StoreResult<std::vector<AppendOutcome>> append_raw_events(std::span<const NewRawEvent> events) override;
  StoreResult<std::vector<RawEvent>> query_raw_events(const RawEventQuery& query) override;
  StoreResult<std::optional<RawEvent>> find_raw_event(std::string_view connector,
                                                      std::string_view event_id) override;
  StoreResult<void> mark_processed(std::span<const std::int64_t> seqs, std::int64_t at_ms) override;
  StoreResult<std::int64_t> count_unprocessed() override;
  StoreResult<SchemaStatus> schema_status() override;
  StoreResult<std::optional<std::string>> load_cursor(std::string_view name) override;
  StoreResult<void> save_cursor(std::string_view name, std::string_view value,
                                std::int64_t at_ms) override;
  // The inner store's: reads inside it fail as injected all the same.
  std::unique_ptr<ReadScope> read_snapshot() override { return inner_.read_snapshot(); }
  // The inner store's: writes inside it fail as injected all the same.
  std::unique_ptr<WriteScope> write_scope() override { return inner_.write_scope(); }

 private:
  std::optional<StoreError> injected();
  Store& inner_;
  std::mutex mutex_;
  std::optional<StoreError> error_;
};

}  // namespace weft
