#pragma once
// SloMonitor: computes every configured SLO from durable records — SLA outcomes the engine
// writes with its transitions, open exceptions — exports them as metrics, and decides alerts.
//
// State per SLO is ok or breached, saved in the AlertStore with the time it began. Entering
// breached queues a "breached" alert; staying breached queues another at most once per
// repeat_after (the breach window); leaving it queues a "resolved" notice. The state and the
// alert it calls for are saved in one transaction, so a restart neither repeats nor loses one.
// Delivery is the AlertSender's job.
//
// Threads: evaluate() from one thread at a time (the SloService's); statuses() from any.

#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "config/config.hpp"
#include "slo/slo_status.hpp"
#include "weft/alert_store.hpp"
#include "weft/clock.hpp"
#include "weft/metrics.hpp"
#include "weft/result.hpp"
#include "weft/workflow_store.hpp"

namespace weft::slo {

struct SloMetrics {
  explicit SloMetrics(metrics::Registry& registry);
  metrics::Family<metrics::Gauge>& ratio;                   // {slo}: SLA objectives only
  metrics::Family<metrics::Gauge>& error_budget_remaining;  // {slo}
  metrics::Family<metrics::Gauge>& breached;                // {slo}: 1 breached, 0 ok
  metrics::Family<metrics::Counter>& alerts_queued;         // {slo, kind}
  metrics::Family<metrics::Counter>& alert_attempts;  // {outcome}: delivered, failed, abandoned
};

struct SloMonitorOptions {
  bool alerts = false;  // queue alerts (a webhook is configured)
  std::int64_t repeat_after_ms = 3'600'000;
  int context_limit = 20;  // breaching instances / open exceptions an alert lists
};

class SloMonitor {
 public:
  SloMonitor(std::vector<config::SloConfig> slos, WorkflowStore& workflows, AlertStore& alerts,
             SloMetrics& metrics, ClockPtr clock, SloMonitorOptions options);

  // Reads the saved states; call before the first evaluate().
  Result<void, std::string> load();
  // Computes every SLO at the clock's now, saves changed states and queues the alerts they
  // call for. A storage error stops this round (the next one tries again) and is returned.
  Result<void, std::string> evaluate();
  // The statuses of the last evaluate(), in config order (empty before the first).
  std::vector<SloStatus> statuses() const;

 private:
  Result<SloStatus, std::string> compute(const config::SloConfig& slo, std::int64_t now_ms,
                                         std::vector<ExceptionRecord>* exceptions);
  Result<void, std::string> transition(const config::SloConfig& slo, SloStatus& status,
                                       const std::vector<ExceptionRecord>& exceptions);
  Result<std::string, std::string> alert_json(const config::SloConfig& slo, const std::string& id,
                                              const std::string& kind, const SloStatus& status,
                                              const std::vector<ExceptionRecord>& exceptions);
  void export_metrics(const SloStatus& status);

  std::vector<config::SloConfig> slos_;
  WorkflowStore& workflows_;
  AlertStore& alerts_;
  SloMetrics& metrics_;
  ClockPtr clock_;
  SloMonitorOptions options_;
  std::map<std::string, SloStateRecord> states_;  // evaluate()'s thread only
  mutable std::mutex mutex_;
  std::vector<SloStatus> statuses_;  // guarded by mutex_
};

}  // namespace weft::slo
