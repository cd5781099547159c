#pragma once
// What `weft scenario verify` reads from the hub's GET /metrics (Prometheus text format):
// the loaded workflows and their instances by status, open exceptions by class, and whether
// the hub has work left (docs/scenario.md, "Quiescence").
//
// Threads: pure functions.

#include <map>
#include <nlohmann/json.hpp>
#include <set>
#include <string>
#include <vector>

#include "weft/result.hpp"

namespace weft::scenario {

struct Sample {
  std::string name;
  std::map<std::string, std::string> labels;
  double value = 0;
};

// Every sample line; comments and blank lines skipped. An error names the line that is not
// a sample.
Result<std::vector<Sample>, std::string> parse_prometheus(const std::string& text);

struct HubStatus {
  // Loaded workflows (weft_workflows_running has every loaded one, at 0 when idle) and each
  // one's instances: {"running": n, "<terminal status>": n, …}.
  std::map<std::string, nlohmann::json> workflows;
  std::map<std::string, double> exceptions_open;  // by failure class
  double events_unprocessed = 0;
  double tasks_due = 0;
  double running = 0;  // instances not finished, all workflows

  std::set<std::string> loaded() const;
  // No event waiting to be mapped and no step due now (instances waiting for an approval or
  // an event, or for a retry later, are at rest).
  bool idle() const { return events_unprocessed == 0 && tasks_due == 0; }
};

HubStatus hub_status(const std::vector<Sample>& samples);

}  // namespace weft::scenario
