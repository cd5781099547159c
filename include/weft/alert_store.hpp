#pragma once
// AlertStore: what the SLO monitor must remember across restarts — each SLO's state (so a
// breach that is still going on is not alerted again after a restart) and the alerts still to
// deliver to the configured webhook (so an alert queued while the receiver is down is retried,
// not lost).
//
// Threads: every method may be called from any thread.

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "weft/store.hpp"

namespace weft {

struct SloStateRecord {
  std::string slo;
  std::string state = "ok";   // ok | breached
  std::int64_t since_ms = 0;  // when it entered `state`
  // When the last breach alert was queued during this breach (0: none yet). At most one
  // alert per repeat window: the next may be queued from alerted_at_ms + repeat_after.
  std::int64_t alerted_at_ms = 0;
};

// One alert to POST to the webhook. Its body is fixed when queued; the signature is made at
// each attempt (it covers the attempt's timestamp).
struct AlertRecord {
  std::string id;
  std::string slo;
  std::string kind;  // breached | resolved
  std::string body;  // JSON
  std::int64_t created_at_ms = 0;
  std::string status = "pending";  // pending | delivered | abandoned
  int attempts = 0;
  std::int64_t next_attempt_ms = 0;
  std::string last_error;
  std::int64_t delivered_at_ms = 0;
};

class AlertStore {
 public:
  virtual ~AlertStore() = default;

  virtual StoreResult<std::vector<SloStateRecord>> slo_states() = 0;
  // Saves an SLO's state and queues `alert` with it in one transaction: the alert is queued
  // exactly when the state that called for it is saved (de-duplication survives a crash).
  // An alert whose id exists already is kept as it is.
  virtual StoreResult<void> save_slo_state(const SloStateRecord& state,
                                           const std::optional<AlertRecord>& alert) = 0;
  // Pending alerts whose next attempt is due at or before now_ms, oldest first; at most
  // `limit` (none when it is below 1).
  virtual StoreResult<std::vector<AlertRecord>> due_alerts(std::int64_t now_ms, int limit) = 0;
  // Records the outcome of an attempt: status, attempts, next_attempt_ms, last_error and
  // delivered_at_ms of the alert with this id (not_found when there is none).
  virtual StoreResult<void> update_alert(const AlertRecord& alert) = 0;
  // The alerts of one SLO (every SLO when `slo` is empty), newest first; at most `limit`
  // (clamped to 1..1000).
  virtual StoreResult<std::vector<AlertRecord>> alerts(std::string_view slo, int limit) = 0;
};
using AlertStorePtr = std::unique_ptr<AlertStore>;

}  // namespace weft
