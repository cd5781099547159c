#pragma once
// The workflow definition language, as data: what definition_parser reads from a YAML file,
// definition_validator checks, and the executor runs. docs/workflows.md is the user's reference.
//
// Every node keeps the config::Location of the YAML that produced it, so that anything found
// wrong later (a jq error, an unknown connector, a step that can never run) is reported at the
// line the user has to edit. Definitions are plain values: immutable once loaded, safe to
// share between threads.

#include <chrono>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "config/config.hpp"
#include "core/duration.hpp"
#include "delivery/backoff.hpp"
#include "weft/result.hpp"

namespace weft::engine {

using Location = config::Location;
using Duration = std::chrono::milliseconds;

// Durations as workflows and the config write them (core/duration.hpp).
using weft::format_duration;
using weft::parse_duration;

// A jq program as written, and the line of the key that holds it.
struct JqExpr {
  std::string text;
  Location where;
};

// Text with {{ jq }} placeholders evaluated on the workflow state:
// "Credit of {{ .event.payload.amount }}" → literals {"Credit of ", ""}, exprs {".event..."}.
struct Template {
  std::string source;
  std::vector<std::string> literals;  // always exprs.size() + 1 of them
  std::vector<JqExpr> exprs;
};
// Splits `text`; an unclosed "{{" or an empty "{{ }}" is an error. Each expression gets `where`.
Result<Template, std::string> parse_template(std::string_view text, const Location& where);

// How a failed call is retried before it fails for good: the delivery layer's policy, so that
// what a workflow file says is exactly what delivery does. Only transient failures (and rate
// limits) are retried; a validation or business-rule error fails at once whatever this says.
using RetryPolicy = delivery::RetryPolicy;

// "stripe.create_credit_note": a connector from the config and one of its platform's actions.
struct ActionRef {
  std::string connector;
  std::string action;
  Location where;
};

// The action that undoes a completed call when a later step fails for good.
struct Compensation {
  ActionRef call;
  std::optional<JqExpr> with;  // jq on the state → action input; absent: {}
  RetryPolicy retry;
  Location retry_where;  // the line of `retry:`; line 0 when the defaults apply
  Location where;
};

struct Step;

struct CallStep {
  ActionRef call;
  std::optional<JqExpr> with;  // jq on the state → action input; absent: {}
  std::string output;          // state key for the action's output (default: the step id)
  Location output_where;
  RetryPolicy retry;
  Location retry_where;  // the line of `retry:`; line 0 when the defaults apply
  std::optional<Compensation> compensate;
};

struct DecideBranch {
  std::optional<JqExpr> when;            // absent on the `otherwise` branch
  std::optional<std::string> milestone;  // marked when this branch is chosen
  Location milestone_where;
  std::vector<Step> steps;  // may be empty: "do nothing"
  Location where;
  bool otherwise() const { return !when.has_value(); }
};

// The first branch whose `when` is true runs; none true and no `otherwise`: nothing runs.
struct DecideStep {
  std::vector<DecideBranch> branches;
};

struct ParallelBranch {
  std::string name;
  std::vector<Step> steps;
  Location where;
};

// Every branch runs; the step completes when all have, and fails when one fails for good.
struct ParallelStep {
  std::vector<ParallelBranch> branches;
};

// A person with `role` approves or rejects; the decision lands in the state under the step's
// output: {approved, by, at, comment}.
struct ApprovalWait {
  std::string role;
  std::optional<Template> title;  // shown to the approver
  Location where;
};

// A canonical event of `type` for business key `key` (jq on the state; default: the
// instance's own key) that also satisfies `match` (jq on {event, state}).
struct EventWait {
  std::string type;
  std::optional<JqExpr> key;
  std::optional<JqExpr> match;
  Location where;
};

struct WaitStep {
  std::variant<ApprovalWait, EventWait> on;
  std::string output;  // state key for the decision or the event (default: the step id)
  Location output_where;
  Duration timeout{};
  Location timeout_where;
  // Runs when the timeout passes first, then the workflow goes on after the wait. Absent: a
  // timeout fails the instance.
  std::optional<std::vector<Step>> on_timeout;
};

// Fails the instance on purpose (a business rule said no): compensation runs, and the
// instance goes to the exception workbench with this reason.
struct FailStep {
  std::string reason;
};

using StepBody = std::variant<CallStep, DecideStep, ParallelStep, WaitStep, FailStep>;
// "call", "decide", "parallel", "wait", "fail": the YAML key of each kind.
std::string_view kind_name(const StepBody& body);

struct Step {
  std::string id;  // unique in the whole workflow, nested steps included
  std::string description;
  std::optional<std::string> milestone;  // marked when the step completes
  Location milestone_where;
  StepBody body;
  Location where;  // the line of the step's first key

  template <class T>
  const T* as() const {
    return std::get_if<T>(&body);
  }
};

struct Trigger {
  // Canonical event types, e.g. {case.credit_requested}; any of them starts an instance.
  // Several types in one workflow put their events under one per-key order (an invoice's
  // issue before its payment), which two workflows would not share.
  std::vector<std::string> events;
  std::optional<JqExpr> filter;  // jq predicate on the canonical event
  JqExpr key;                    // jq on the canonical event → ordering key; ".business_key"
  Location event_where;
  Location where;
};

// From milestone `from` to milestone `to` within `limit`. A breach is reported, not enforced.
struct Sla {
  std::string name;
  std::string from;
  std::string to;
  Duration limit{};
  Location from_where;
  Location to_where;
  Location where;
};

// Milestones every instance has without a step declaring them.
inline constexpr std::string_view kStartedMilestone = "started";
inline constexpr std::string_view kCompletedMilestone = "completed";

// State keys the engine fills in; no step output may take them.
inline constexpr std::string_view kReservedStateKeys[] = {"event", "vars", "instance"};

// (name, version) identifies a definition. Instances run to the end on the version they
// started with; new instances take the highest version.
struct WorkflowDefinition {
  std::string name;
  int version = 0;
  std::string description;
  Trigger trigger;
  std::optional<Duration> deadline;  // from the start of an instance to its end
  Location deadline_where;
  std::string vars_json = "{}";  // `vars:` as a JSON object: the state's `.vars`
  std::vector<Sla> slas;
  std::vector<Step> steps;
  Location where;  // the line of `name:`
};

// Every step, depth first in document order (a step before the steps nested in it).
template <class Fn>
void for_each_step(const std::vector<Step>& steps, Fn&& fn) {
  for (const Step& step : steps) {
    fn(step);
    if (const auto* decide = step.as<DecideStep>()) {
      for (const auto& branch : decide->branches) for_each_step(branch.steps, fn);
    } else if (const auto* parallel = step.as<ParallelStep>()) {
      for (const auto& branch : parallel->branches) for_each_step(branch.steps, fn);
    } else if (const auto* wait = step.as<WaitStep>()) {
      if (wait->on_timeout) for_each_step(*wait->on_timeout, fn);
    }
  }
}

// The step with this id anywhere in the workflow, or nullptr.
const Step* find_step(const WorkflowDefinition& definition, std::string_view id);

}  // namespace weft::engine
