#pragma once
// What one SLO looks like at one moment, and the arithmetic behind it (pure functions).
//
// SLA objective: of the SLA's outcomes decided in the rolling window (now - window, now],
// ratio = met / (met + breached); the error budget is the share of outcomes allowed to miss,
// 1 - objective, and `error_budget_remaining` is how much of it is left: 1 untouched, 0 spent,
// below 0 overspent. Breached when ratio < objective. A window without outcomes is met (1, 1).
//
// Exception backlog: breached when open exceptions of the workflow exceed max_open; the
// budget left is 1 - open / max_open (below 0 when exceeded; with max_open 0, 1 or -open).

#include <cstdint>
#include <string>

#include "config/config.hpp"
#include "weft/workflow_store.hpp"

namespace weft::slo {

struct SloStatus {
  std::string name;
  std::string kind;  // sla | exceptions
  std::string workflow;
  std::string sla;                     // kind sla
  double objective = 0;                // kind sla
  std::int64_t window_ms = 0;          // kind sla
  std::int64_t met = 0, breached = 0;  // kind sla: outcomes in the window
  std::int64_t open_exceptions = 0;    // kind exceptions
  int max_open = 0;                    // kind exceptions
  double ratio = 1;                    // kind sla
  double error_budget_remaining = 1;
  bool is_breached = false;
  std::string state = "ok";   // ok | breached: as last saved (with since_ms)
  std::int64_t since_ms = 0;  // when it entered `state`
  std::int64_t evaluated_at_ms = 0;
};

// The status of an SLA objective from its window's counts.
SloStatus sla_status(const config::SloConfig& slo, const SlaOutcomeCounts& counts,
                     std::int64_t now_ms);
// The status of an exception backlog from its open exception count.
SloStatus backlog_status(const config::SloConfig& slo, std::int64_t open, std::int64_t now_ms);

}  // namespace weft::slo
