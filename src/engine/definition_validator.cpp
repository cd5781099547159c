#include "engine/definition_validator.hpp"

#include <algorithm>
#include <mutex>
#include <set>
#include <unordered_map>
#include <utility>

#include "core/suggestion.hpp"
#include "mapping/jq_program.hpp"

namespace weft::engine {

namespace {

std::string label(const Step& step) { return "step '" + step.id + "'"; }

std::string line_note(const Location& where) {
  return where.line > 0 ? " (line " + std::to_string(where.line) + ")" : "";
}

class Validator {
 public:
  Validator(const WorkflowDefinition& definition, const ValidationOptions& options)
      : definition_(definition), options_(options) {}

  std::vector<config::ConfigError> run() {
    check_trigger();
    collect_milestones();
    check_step_list(definition_.steps);
    check_slas();
    std::stable_sort(errors_.begin(), errors_.end(),
                     [](const auto& a, const auto& b) { return a.where.line < b.where.line; });
    return std::move(errors_);
  }

 private:
  void error(const Location& where, std::string message) {
    errors_.push_back(config::ConfigError{where, std::move(message)});
  }

  void check_jq(const std::optional<JqExpr>& expr, const std::string& context,
                const std::string& field) {
    if (!expr || !options_.jq_error) return;
    if (auto message = options_.jq_error(expr->text)) {
      error(expr->where, context + ": " + field + " is not valid jq: " + *message);
    }
  }

  void check_event_type(const std::string& type, const Location& where,
                        const std::string& context) {
    if (type.empty() || !options_.event_known || options_.event_known(type)) return;
    error(where, context + ": unknown canonical event type '" + type + "'");
  }

  void check_action(const ActionRef& ref, const std::string& context) {
    if (ref.connector.empty() || !options_.connectors) return;
    const auto& connectors = *options_.connectors;
    const auto found = connectors.find(ref.connector);
    if (found == connectors.end()) {
      std::vector<std::string_view> names;
      for (const auto& [name, type] : connectors) names.push_back(name);
      std::string configured;
      for (std::string_view name : names)
        configured += (configured.empty() ? "" : ", ") + std::string(name);
      error(ref.where, context + ": unknown connector '" + ref.connector + "'" +
                           did_you_mean(ref.connector, names) +
                           (configured.empty() ? "; the config has no connectors"
                                               : "; configured: " + configured));
      return;
    }
    if (options_.action_known && !options_.action_known(found->second, ref.action)) {
      error(ref.where, context + ": connector '" + ref.connector + "' (" + found->second +
                           ") has no action '" + ref.action + "'");
    }
  }

  void check_trigger() {
    const Trigger& trigger = definition_.trigger;
    for (const std::string& event : trigger.events) check_event_type(event, trigger.event_where, "trigger");
    check_jq(trigger.filter, "trigger", "filter");
    check_jq(trigger.key, "trigger", "key");
  }

  void add_milestone(const std::optional<std::string>& name, const Location& where,
                     const std::string& context) {
    if (!name) return;
    if (*name == kStartedMilestone || *name == kCompletedMilestone) {
      error(where, context + ": milestone '" + *name +
                       "' is marked by the engine itself (at the start or the end of every "
                       "instance); choose another name");
      return;
    }
    milestones_.insert(*name);
  }

  void collect_milestones() {
    for_each_step(definition_.steps, [&](const Step& step) {
      add_milestone(step.milestone, step.milestone_where, label(step));
      if (const auto* decide = step.as<DecideStep>()) {
        int index = 0;
        for (const auto& branch : decide->branches) {
          add_milestone(branch.milestone, branch.milestone_where,
                        label(step) + " branch " + std::to_string(++index));
        }
      }
    });
  }

  void check_step_list(const std::vector<Step>& steps) {
    for (std::size_t i = 0; i < steps.size(); ++i) {
      check_step(steps[i]);
      if (steps[i].as<FailStep>() && i + 1 < steps.size()) {
        error(steps[i + 1].where, label(steps[i + 1]) + " can never run: " + label(steps[i]) +
                                      " before it always fails");
      }
    }
  }

  void check_step(const Step& step) {
    if (!step.id.empty()) {
      const auto [first, inserted] = ids_.emplace(step.id, step.where);
      if (!inserted) {
        error(step.where, "step id '" + step.id + "' is already used" + line_note(first->second) +
                              "; ids must be unique in the workflow, nested steps included");
      }
    }
    const std::string context = label(step);
    if (const auto* call = step.as<CallStep>()) {
      check_action(call->call, context);
      check_jq(call->with, context, "with");
      check_output(call->output, call->output_where, context);
      if (call->compensate) {
        check_action(call->compensate->call, context + " compensate");
        check_jq(call->compensate->with, context + " compensate", "with");
      }
    } else if (const auto* decide = step.as<DecideStep>()) {
      check_decide(step, *decide);
    } else if (const auto* parallel = step.as<ParallelStep>()) {
      check_parallel(step, *parallel);
    } else if (const auto* wait = step.as<WaitStep>()) {
      check_wait(step, *wait);
    }
  }

  void check_output(const std::string& output, const Location& where, const std::string& context) {
    const auto reserved =
        std::find(std::begin(kReservedStateKeys), std::end(kReservedStateKeys), output);
    if (reserved != std::end(kReservedStateKeys)) {
      error(where, context + ": output '" + output +
                       "' is a state key the engine fills in (event, vars, instance); choose "
                       "another with output:");
    }
  }

  void check_decide(const Step& step, const DecideStep& decide) {
    if (decide.branches.empty()) {
      error(step.where, label(step) + ": decide needs at least one branch");
      return;
    }
    int index = 0;
    for (const auto& branch : decide.branches) {
      const std::string context = label(step) + " branch " + std::to_string(++index);
      check_jq(branch.when, context, "when");
      if (branch.otherwise() && &branch != &decide.branches.back()) {
        error(branch.where, context +
                                ": 'otherwise' must be the last branch; the branches "
                                "after it could never run");
      }
      check_step_list(branch.steps);
    }
  }

  void check_parallel(const Step& step, const ParallelStep& parallel) {
    if (parallel.branches.empty()) {
      error(step.where, label(step) + ": parallel needs at least one branch");
      return;
    }
    std::map<std::string, Location> names;
    // State key → the branch that writes it: two branches writing one key race.
    std::map<std::string, std::string> writers;
    for (const auto& branch : parallel.branches) {
      const std::string context = label(step) + " branch '" + branch.name + "'";
      if (!branch.name.empty()) {
        const auto [first, inserted] = names.emplace(branch.name, branch.where);
        if (!inserted) {
          error(branch.where, label(step) + ": branch name '" + branch.name + "' is already used" +
                                  line_note(first->second));
        }
      }
      if (branch.steps.empty()) error(branch.where, context + " has no steps");
      std::set<std::string> own;
      for_each_step(branch.steps, [&](const Step& inner) {
        const std::string* output = nullptr;
        const Location* where = nullptr;
        if (const auto* call = inner.as<CallStep>()) {
          output = &call->output;
          where = &call->output_where;
        } else if (const auto* wait = inner.as<WaitStep>()) {
          output = &wait->output;
          where = &wait->output_where;
        }
        if (output == nullptr || output->empty() || !own.insert(*output).second) return;
        const auto [first, inserted] = writers.emplace(*output, branch.name);
        if (!inserted) {
          error(*where, label(inner) + ": branches '" + first->second + "' and '" + branch.name +
                            "' of " + label(step) + " both write state key '" + *output +
                            "'; they run at the same time, so which value is kept would be "
                            "chance (give one of them another output:)");
        }
      });
      check_step_list(branch.steps);
    }
  }

  void check_wait(const Step& step, const WaitStep& wait) {
    const std::string context = label(step);
    check_output(wait.output, wait.output_where, context);
    if (const auto* approval = std::get_if<ApprovalWait>(&wait.on)) {
      if (approval->title) {
        for (const auto& expr : approval->title->exprs) {
          check_jq(expr, context + " approval", "title placeholder {{ " + expr.text + " }}");
        }
      }
    } else if (const auto* event = std::get_if<EventWait>(&wait.on)) {
      check_event_type(event->type, event->where, context + " event");
      check_jq(event->key, context + " event", "key");
      check_jq(event->match, context + " event", "match");
    }
    if (definition_.deadline && wait.timeout > *definition_.deadline) {
      error(wait.timeout_where, context + ": timeout (" + format_duration(wait.timeout) +
                                    ") is longer than the workflow's deadline (" +
                                    format_duration(*definition_.deadline) +
                                    line_note(definition_.deadline_where) +
                                    "), which would end the instance first");
    }
    if (wait.on_timeout) check_step_list(*wait.on_timeout);
  }

  void check_milestone_ref(const std::string& name, const Location& where,
                           const std::string& context, const std::string& field) {
    if (name.empty() || name == kStartedMilestone || name == kCompletedMilestone ||
        milestones_.contains(name)) {
      return;
    }
    std::vector<std::string_view> known{kStartedMilestone, kCompletedMilestone};
    known.insert(known.end(), milestones_.begin(), milestones_.end());
    error(where, context + ": " + field + " names milestone '" + name +
                     "', which no step or branch marks" + did_you_mean(name, known));
  }

  void check_slas() {
    std::map<std::string, Location> names;
    for (const Sla& sla : definition_.slas) {
      const std::string context = "sla '" + sla.name + "'";
      if (!sla.name.empty()) {
        const auto [first, inserted] = names.emplace(sla.name, sla.where);
        if (!inserted) {
          error(sla.where,
                "sla name '" + sla.name + "' is already used" + line_note(first->second));
        }
      }
      check_milestone_ref(sla.from, sla.from_where, context, "from");
      check_milestone_ref(sla.to, sla.to_where, context, "to");
      if (!sla.from.empty() && sla.from == sla.to) {
        error(sla.to_where, context + ": from and to are the same milestone");
      }
      if (sla.from == kCompletedMilestone) {
        error(sla.from_where, context + ": from cannot be 'completed' (nothing follows it)");
      }
      if (sla.to == kStartedMilestone) {
        error(sla.to_where, context + ": to cannot be 'started' (nothing precedes it)");
      }
    }
  }

  const WorkflowDefinition& definition_;
  const ValidationOptions& options_;
  std::vector<config::ConfigError> errors_;
  std::map<std::string, Location> ids_;
  std::set<std::string, std::less<>> milestones_;
};

}  // namespace

std::optional<std::string> jq_compile_error(const std::string& program) {
  // libjq 1.6 compiles its builtins with every program: ~60 ms each, so a folder of
  // workflows would take seconds to check. Verdicts are kept, since the same programs recur
  // (".business_key" in every trigger, most of a workflow in each of its versions).
  static std::mutex mutex;
  static std::unordered_map<std::string, std::optional<std::string>> verdicts;
  constexpr std::size_t kMaxVerdicts = 4096;  // programs come from files; a bound all the same
  {
    std::lock_guard lock(mutex);
    if (const auto it = verdicts.find(program); it != verdicts.end()) return it->second;
  }
  auto compiled = mapping::JqProgram::compile(program, mapping::JqLimits{.max_idle_states = 0});
  std::optional<std::string> verdict;
  if (!compiled) {
    // A one-line program's "line 1" says nothing; a block scalar's line helps find the spot.
    const bool multiline = program.find('\n') < program.find_last_not_of(" \t\r\n");
    std::string out;
    for (const auto& diagnostic : compiled.error()) {
      if (!out.empty()) out += "; ";
      if (multiline && diagnostic.line > 0) {
        out += "line " + std::to_string(diagnostic.line) + " of the program: ";
      }
      out += diagnostic.message;
    }
    verdict = std::move(out);
  }
  std::lock_guard lock(mutex);
  if (verdicts.size() >= kMaxVerdicts) verdicts.clear();
  verdicts.emplace(program, verdict);
  return verdict;
}

ValidationOptions validation_options(const config::Config& config) {
  ValidationOptions options;
  options.connectors.emplace();
  for (const auto& [name, connector] : config.connectors)
    options.connectors->emplace(name, connector.type);
  // The built-in read-only connector of identity resolution (hub/identity_actions.hpp).
  options.connectors->emplace("identity", "identity");
  return options;
}

std::vector<config::ConfigError> validate_definition(const WorkflowDefinition& definition,
                                                     const ValidationOptions& options) {
  return Validator(definition, options).run();
}

}  // namespace weft::engine
