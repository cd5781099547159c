#pragma once
// An in-memory AlertStore with the durable store's semantics, for fast tests; it keeps nothing
// across processes. tests/unit/alert_store_test.cpp runs one suite against it and SQLite.

#include <map>
#include <mutex>
#include <string>

#include "weft/alert_store.hpp"

namespace weft {

class MemoryAlertStore : public AlertStore {
 public:
  StoreResult<std::vector<SloStateRecord>> slo_states() override;
  StoreResult<void> save_slo_state(const SloStateRecord& state,
                                   const std::optional<AlertRecord>& alert) override;
  StoreResult<std::vector<AlertRecord>> due_alerts(std::int64_t now_ms, int limit) override;
  StoreResult<void> update_alert(const AlertRecord& alert) override;
  StoreResult<std::vector<AlertRecord>> alerts(std::string_view slo, int limit) override;

 private:
  std::mutex mutex_;
  std::map<std::string, SloStateRecord, std::less<>> states_;
  std::map<std::string, AlertRecord, std::less<>> alerts_;
};

}  // namespace weft
