#pragma once
// The embedded ReconciliationStore, in the same SQLite database as the rest of Weft's state.
// Contracts are those of reconciliation_store.hpp; tests/unit/reconciliation_store_test.cpp
// runs one suite against this store and MemoryReconciliationStore.

#include <memory>

#include "store/sqlite/database.hpp"
#include "weft/reconciliation_store.hpp"

namespace weft::store::sqlite {

class SqliteReconciliationStore final : public ReconciliationStore {
 public:
  explicit SqliteReconciliationStore(std::shared_ptr<Database> database);
  SqliteReconciliationStore(const SqliteReconciliationStore&) = delete;
  SqliteReconciliationStore& operator=(const SqliteReconciliationStore&) = delete;

  StoreResult<void> create_run(const ReconciliationRun& run) override;
  StoreResult<void> finish_run(const ReconciliationRun& run,
                               const std::vector<ReconciliationLine>& lines) override;
  StoreResult<std::optional<ReconciliationRun>> load_run(std::string_view id) override;
  StoreResult<std::vector<ReconciliationRun>> list_runs(std::string_view before_id,
                                                        int limit) override;
  StoreResult<std::vector<ReconciliationLine>> lines(const ReconciliationLineQuery& q) override;

 private:
  std::shared_ptr<Database> database_;
};

}  // namespace weft::store::sqlite
