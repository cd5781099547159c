#pragma once
// An in-memory ReconciliationStore with the durable store's semantics, for fast tests; it
// keeps nothing across processes. tests/unit/reconciliation_store_test.cpp runs one suite
// against it and SQLite.

#include <map>
#include <mutex>
#include <string>
#include <vector>

#include "weft/reconciliation_store.hpp"

namespace weft {

class MemoryReconciliationStore : public ReconciliationStore {
 public:
  StoreResult<void> create_run(const ReconciliationRun& run) override;
  StoreResult<void> finish_run(const ReconciliationRun& run,
                               const std::vector<ReconciliationLine>& lines) override;
  StoreResult<std::optional<ReconciliationRun>> load_run(std::string_view id) override;
  StoreResult<std::vector<ReconciliationRun>> list_runs(std::string_view before_id,
                                                        int limit) override;
  StoreResult<std::vector<ReconciliationLine>> lines(const ReconciliationLineQuery& q) override;

 private:
  std::mutex mutex_;
  std::map<std::string, ReconciliationRun, std::less<>> runs_;
  std::map<std::string, std::vector<ReconciliationLine>, std::less<>> lines_;  // by run, seq order
};

}  // namespace weft
