#pragma once
// InstanceRun: one workflow instance's execution, as pure logic over its persisted record.
// It reads the record (state and cursors), moves through everything that needs no platform
// (decisions, forks and joins, waits, timeouts, deadlines, compensation order), says which
// calls are due, takes their outcomes, and produces the next record plus an outbox of what
// happened (history, approvals, event waits, exceptions, SLA figures). The executor persists
// record and outbox in one transition before any further effect.
//
// No clock, no threads, no I/O: the caller passes `now` and a random source, which is what
// makes the data-driven engine tests possible.
//
// Positions: a path of indexes into the definition's step tree. [i] is steps[i]; a step with
// branches (decide, parallel) continues the path with [branch, index]; a wait's on_timeout
// steps with [0, index]. A parallel step forks one cursor per branch and joins them.

#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "delivery/backoff.hpp"
#include "delivery/failure.hpp"
#include "engine/definition.hpp"
#include "engine/instance_runtime.hpp"
#include "engine/jq_cache.hpp"
#include "engine/state_document.hpp"
#include "weft/workflow_store.hpp"

namespace weft::engine {

struct SlaObservation {
  std::string sla;
  double seconds = 0;  // from→to; for a breach detected before `to`: the limit passed
  bool breached = false;
  bool finished = false;  // false: a breach noticed while `to` is still pending
  std::int64_t from_ms = 0;  // the `from` milestone
  // When the outcome became known: the `to` milestone, or the moment the limit passed.
  std::int64_t at_ms = 0;
  // The breach was observed before (while `to` was pending): count it once.
  bool breach_known = false;
};

// What a transition adds besides the new instance record.
struct Outbox {
  std::vector<StepEventRecord> history;
  std::vector<ApprovalRecord> approvals;
  std::optional<std::vector<EventWaitRecord>> event_waits;  // set when they changed
  std::vector<ExceptionRecord> exceptions;
  std::vector<SlaObservation> slas;
  struct StepTiming {
    std::string step;
    double seconds;
  };
  std::vector<StepTiming> step_durations;
  bool empty() const {
    return history.empty() && approvals.empty() && !event_waits && exceptions.empty() &&
           slas.empty();
  }
};

// A call that is due now.
struct CallPlan {
  std::string step_id;
  ActionRef action;
  nlohmann::json input;
  std::string idempotency_key;
  int attempt = 1;  // 1-based number of this attempt
  bool compensation = false;
  std::vector<int> path;  // forward calls: the cursor's position
};

class InstanceRun {
 public:
  // A new instance started by `event` (the canonical event as JSON).
  static InstanceRecord start(const WorkflowDefinition& definition, std::string id,
                              const nlohmann::json& event, std::string business_key,
                              std::string trigger_event_id, std::int64_t order_seq,
                              std::string correlation_id, std::int64_t now_ms);
  // The same, from the event's persisted_text(), which the caller has printed already (the
  // mapping stage stores it): the state embeds it as it is instead of copying and printing
  // the event once more.
  static InstanceRecord start_from_text(const WorkflowDefinition& definition, std::string id,
                                        std::string_view event_text, std::string business_key,
                                        std::string trigger_event_id, std::int64_t order_seq,
                                        std::string correlation_id, std::int64_t now_ms);

  // Resumes from a stored record. A record this code cannot read is reported at once by
  // `valid()`; the executor then opens an exception instead of guessing.
  InstanceRun(const WorkflowDefinition& definition, JqCache& jq, InstanceRecord record);
  bool valid() const { return error_.empty(); }
  const std::string& error() const { return error_; }

  // Resolves what needs no platform and returns the calls due at `now`. Call again after
  // applying outcomes: completing a call can make more work due at once.
  std::vector<CallPlan> advance(std::int64_t now_ms);

  void complete_call(const CallPlan& plan, const nlohmann::json& output, std::int64_t now_ms,
                     double seconds);
  void fail_call(const CallPlan& plan, const delivery::Failure& failure, std::int64_t now_ms,
                 const delivery::RandomSource& random);
  void defer_call(const CallPlan& plan, std::chrono::milliseconds wait, std::int64_t now_ms,
                  const std::string& reason);

  // A person's decision on the approval of `step_id`. The error says why it does not apply.
  Result<void, std::string> decide(const std::string& step_id, bool approved, const std::string& by,
                                   const std::string& comment, std::int64_t now_ms);
  // A canonical event for the event wait of `step_id`; false when it does not match.
  Result<bool, std::string> deliver_event(const std::string& step_id, const nlohmann::json& event,
                                          std::int64_t now_ms);
  // Exception workbench: run again from the failed step (with its input replaced when
  // `input` is given), or end the instance.
  Result<void, std::string> retry(const std::optional<nlohmann::json>& input, const std::string& by,
                                  std::int64_t now_ms);
  Result<void, std::string> discard(const std::string& reason, const std::string& by,
                                    std::int64_t now_ms);

  // The record to persist (status, state, cursors, due time); revision is the caller's.
  InstanceRecord record() const;
  Outbox take_outbox();
  const nlohmann::json& state() const { return state_.value(); }
  InstanceStatus status() const { return status_; }

 private:
  using Cursor = InstanceRuntime::Cursor;
  using DoneCall = InstanceRuntime::DoneCall;
  using Compensation = InstanceRuntime::Compensation;

  const Step* step_at(const std::vector<int>& path) const;
  const std::vector<Step>* list_of(const std::vector<int>& path) const;
  void advance_past(Cursor& cursor, std::int64_t now_ms);
  bool resolve(Cursor& cursor, std::int64_t now_ms);  // true when it changed something
  void enter_wait(Cursor& cursor, const Step& step, const WaitStep& wait, std::int64_t now_ms);
  void leave_wait(const Cursor& cursor, const Step& step);
  void complete_wait(Cursor& cursor, const Step& step, std::int64_t now_ms);
  void mark_milestone(const std::string& name, std::int64_t now_ms);
  void fail_instance(const std::string& step_id, const std::vector<int>& path,
                     const std::string& cls, const std::string& message,
                     const nlohmann::json& context, std::int64_t now_ms);
  void finish_failure(std::int64_t now_ms);
  void history(const std::string& step, const std::string& kind, int attempt, std::int64_t now_ms,
               nlohmann::json detail = nlohmann::json::object());
  std::string key_for(const std::string& step_id, bool compensation) const;
  std::string approval_id(const std::string& step_id) const;
  std::optional<std::int64_t> next_due() const;
  void refresh_waits();

  const WorkflowDefinition& def_;
  JqCache& jq_;
  InstanceRecord record_;
  StateDocument state_;
  InstanceStatus status_ = InstanceStatus::running;
  std::string error_;

  InstanceRuntime rt_;  // persisted in cursor_json

  Outbox outbox_;
};

}  // namespace weft::engine
