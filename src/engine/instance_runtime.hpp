#pragma once
// InstanceRuntime: where an instance stands — its cursors and their bookkeeping — as stored in
// its record's cursor_json. InstanceRun moves it; this file only reads and writes it, so that
// every writer (a new instance's first record, each transition, a failure's snapshot) produces
// the one format that the reader takes.

#include <cstdint>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "weft/workflow_store.hpp"

namespace weft::engine {

struct InstanceRuntime {
  // One position being run (a parallel step runs several).
  struct Cursor {
    std::vector<int> path;
    int attempt = 0;                    // failed attempts of the current step
    std::int64_t first_attempt_ms = 0;  // when the current step's first attempt started
    std::int64_t due_ms = 0;
    bool waiting = false;
    std::int64_t wait_deadline_ms = 0;  // 0: no timeout
    std::optional<nlohmann::json> input_override;
    bool finished = false;  // not written: a finished cursor is dropped
    std::int64_t entered_ms = 0;
  };
  struct DoneCall {
    std::string step_id;
    std::vector<int> path;
  };
  struct Compensation {
    std::string step_id;
    int attempt = 0;
    std::int64_t first_attempt_ms = 0;
    std::int64_t due_ms = 0;
  };

  std::string phase = "forward";  // forward | compensating | failed | done
  std::vector<Cursor> cursors;
  std::map<std::string, int> joins;  // parallel step path → branches still running
  std::vector<DoneCall> done_calls;
  std::vector<Compensation> compensations;  // still to run, next first
  std::map<std::string, int> generation;    // step id → times its effect was undone
  std::map<std::string, std::int64_t> milestones;
  std::set<std::string> sla_breached;
  nlohmann::json failure;  // {step, path, class, message, context, snapshot, compensated}
  std::vector<EventWaitRecord> waits;

  // Reads a stored runtime; the waits get `instance_id`. Throws json::exception when a member
  // has the wrong shape. Whether the paths exist in the definition is the caller's check.
  static InstanceRuntime from_json(const nlohmann::json& stored, const std::string& instance_id);
  // The stored form as JSON (a failure keeps it as its snapshot).
  nlohmann::json to_json() const;
  // persisted_text(to_json()), written without building the JSON tree: every transition
  // writes it (instance_runtime_text.cpp).
  std::string to_text() const;
};

}  // namespace weft::engine
