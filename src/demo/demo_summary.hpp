#pragma once
// The summary `weft demo` prints when the scenario is at rest: one row per loaded workflow
// with its instances by outcome, the p50/p99 duration of the completed ones and its SLA
// breaches. Counts and durations come from the hub's instance records (exact, not histogram
// buckets); SLA breaches from the hub's weft_sla_breaches_total.
//
// Threads: pure functions.

#include <cstdint>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "weft/workflow_store.hpp"

namespace weft::demo {

struct WorkflowSummary {
  std::string workflow;
  std::int64_t completed = 0;
  std::int64_t waiting = 0;    // for an approval or an event
  std::int64_t running = 0;    // work due, or a retry later
  std::int64_t failed = 0;     // in the exception workbench
  std::int64_t discarded = 0;  // an operator discarded the exception
  std::optional<double> p50_seconds, p99_seconds;  // of completed instances; none without any
  std::int64_t sla_breaches = 0;
};

// One row per workflow in `loaded` or with an instance, by name. `sla_breaches`: by workflow.
std::vector<WorkflowSummary> summarise(const std::vector<InstanceRecord>& instances,
                                       const std::set<std::string>& loaded,
                                       const std::map<std::string, std::int64_t>& sla_breaches);

// The nearest-rank percentile (0 < p <= 100) of `values`; none when empty.
std::optional<double> percentile(std::vector<double> values, double p);

// The rows as an aligned text table with a header line.
std::string format_table(const std::vector<WorkflowSummary>& rows);

// [{"workflow", "completed", "waiting", "running", "failed", "discarded", "p50_seconds",
//   "p99_seconds" (null without completed instances), "sla_breaches"}]
nlohmann::json to_json(const std::vector<WorkflowSummary>& rows);

}  // namespace weft::demo
