#pragma once
// The embedded AlertStore, in the same SQLite database as the rest of Weft's state. Contracts
// are those of alert_store.hpp; tests/unit/alert_store_test.cpp runs one suite against this
// store and MemoryAlertStore.

#include <memory>

#include "store/sqlite/database.hpp"
#include "weft/alert_store.hpp"

namespace weft::store::sqlite {

class SqliteAlertStore final : public AlertStore {
 public:
  explicit SqliteAlertStore(std::shared_ptr<Database> database);
  SqliteAlertStore(const SqliteAlertStore&) = delete;
  SqliteAlertStore& operator=(const SqliteAlertStore&) = delete;

  StoreResult<std::vector<SloStateRecord>> slo_states() override;
  StoreResult<void> save_slo_state(const SloStateRecord& state,
                                   const std::optional<AlertRecord>& alert) override;
  StoreResult<std::vector<AlertRecord>> due_alerts(std::int64_t now_ms, int limit) override;
  StoreResult<void> update_alert(const AlertRecord& alert) override;
  StoreResult<std::vector<AlertRecord>> alerts(std::string_view slo, int limit) override;

 private:
  std::shared_ptr<Database> database_;
};

}  // namespace weft::store::sqlite
