#include "engine/instance_run.hpp"

#include <algorithm>
#include <cassert>
#include <limits>

#include "crypto/hmac.hpp"

namespace weft::engine {

using nlohmann::json;

namespace {

// Who asked, for an approval's record: the triggering event's `requested_by`, when it says.
std::string requested_by(const json& state) {
  static const json::json_pointer at("/event/payload/requested_by");
  if (!state.contains(at) || !state.at(at).is_string()) return {};
  return state.at(at).get<std::string>();
}

std::string path_key(const std::vector<int>& path) {
  std::string out;
  for (int i : path) {
    if (!out.empty()) out += '.';
    out += std::to_string(i);
  }
  return out;
}

json failure_json(const delivery::Failure& f) {
  json out = {{"class", delivery::to_string(f.cls)}, {"message", f.message}};
  if (f.http_status != 0) out["http_status"] = f.http_status;
  if (!f.platform_code.empty()) out["platform_code"] = f.platform_code;
  return out;
}

}  // namespace

InstanceRecord InstanceRun::start(const WorkflowDefinition& definition, std::string id,
                                  const json& event, std::string business_key,
                                  std::string trigger_event_id, std::int64_t order_seq,
                                  std::string correlation_id, std::int64_t now_ms) {
  return start_from_text(definition, std::move(id), persisted_text(event), std::move(business_key),
                         std::move(trigger_event_id), order_seq, std::move(correlation_id), now_ms);
}

InstanceRecord InstanceRun::start_from_text(const WorkflowDefinition& definition, std::string id,
                                            std::string_view event_text, std::string business_key,
                                            std::string trigger_event_id, std::int64_t order_seq,
                                            std::string correlation_id, std::int64_t now_ms) {
  InstanceRecord r;
  r.id = std::move(id);
  r.workflow = definition.name;
  r.version = definition.version;
  r.business_key = std::move(business_key);
  r.trigger_event_id = std::move(trigger_event_id);
  r.order_seq = order_seq;
  r.status = InstanceStatus::running;
  // persisted_text of {"event", "instance", "vars"} (an object prints its members in key
  // order), with the event's text as the caller printed it.
  json vars = json::parse(definition.vars_json, nullptr, false);
  if (vars.is_discarded()) vars = json::object();
  const json instance = {
      {"id", r.id}, {"workflow", r.workflow}, {"version", r.version}, {"key", r.business_key}};
  std::string state;
  state.reserve(event_text.size() + definition.vars_json.size() + 160);
  state += R"({"event":)";
  state += event_text;
  state += R"(,"instance":)";
  state += persisted_text(instance);
  state += R"(,"vars":)";
  state += persisted_text(vars);
  state += '}';
  r.state_json = std::move(state);
  // Written by the same writer as every later transition, so that the first run of an
  // instance whose first step is a call finds nothing to persist before calling (see
  // InstanceRuntime::to_json()).
  InstanceRuntime runtime;
  if (!definition.steps.empty()) {
    Cursor& first = runtime.cursors.emplace_back();
    first.path = {0};
    first.due_ms = first.entered_ms = now_ms;
  }
  runtime.milestones[std::string(kStartedMilestone)] = now_ms;
  r.cursor_json = runtime.to_text();
  r.correlation_id = std::move(correlation_id);
  r.created_at_ms = r.updated_at_ms = now_ms;
  r.due_at_ms = now_ms;
  return r;
}

InstanceRun::InstanceRun(const WorkflowDefinition& definition, JqCache& jq, InstanceRecord record)
    : def_(definition), jq_(jq), record_(std::move(record)), status_(record_.status) {
  auto state = StateDocument::from_text(record_.state_json);
  const json runtime = json::parse(record_.cursor_json, nullptr, false);
  if (!state) {
    error_ =
        "the stored state of instance " + record_.id + " is not a JSON object: " + state.error();
    return;
  }
  if (runtime.is_discarded() || !runtime.is_object()) {
    error_ = "the stored cursors of instance " + record_.id + " are not a JSON object";
    return;
  }
  state_ = std::move(*state);
  try {
    rt_ = InstanceRuntime::from_json(runtime, record_.id);
    for (const Cursor& c : rt_.cursors) {
      if (step_at(c.path) == nullptr)
        throw json::other_error::create(
            501, "cursor path " + path_key(c.path) + " is not in this definition", &runtime);
    }
  } catch (const json::exception& e) {
    error_ = std::string("the stored cursors of instance ") + record_.id +
             " are unreadable: " + e.what();
  }
  // Held parsed from here on, and printed afresh by record(): the copy of record_ it starts
  // from need not carry the texts (kilobytes, copied at every transition).
  record_.state_json = std::string();
  record_.cursor_json = std::string();
}

const Step* InstanceRun::step_at(const std::vector<int>& path) const {
  const std::vector<Step>* list = &def_.steps;
  const Step* step = nullptr;
  for (std::size_t i = 0; i < path.size(); i += 2) {
    if (path[i] < 0 || static_cast<std::size_t>(path[i]) >= list->size()) return nullptr;
    step = &(*list)[static_cast<std::size_t>(path[i])];
    if (i + 1 >= path.size()) break;
    const int b = path[i + 1];
    if (const auto* d = step->as<DecideStep>()) {
      if (b < 0 || static_cast<std::size_t>(b) >= d->branches.size()) return nullptr;
      list = &d->branches[static_cast<std::size_t>(b)].steps;
    } else if (const auto* p = step->as<ParallelStep>()) {
      if (b < 0 || static_cast<std::size_t>(b) >= p->branches.size()) return nullptr;
      list = &p->branches[static_cast<std::size_t>(b)].steps;
    } else if (const auto* w = step->as<WaitStep>(); w != nullptr && w->on_timeout && b == 0) {
      list = &*w->on_timeout;
    } else {
      return nullptr;
    }
  }
  return step;
}

const std::vector<Step>* InstanceRun::list_of(const std::vector<int>& path) const {
  if (path.size() == 1) return &def_.steps;
  const std::vector<int> parent(path.begin(), path.end() - 2);
  const Step* p = step_at(parent);
  const int b = path[path.size() - 2];
  if (p == nullptr) return nullptr;
  if (const auto* d = p->as<DecideStep>()) return &d->branches[static_cast<std::size_t>(b)].steps;
  if (const auto* par = p->as<ParallelStep>())
    return &par->branches[static_cast<std::size_t>(b)].steps;
  if (const auto* w = p->as<WaitStep>()) return &*w->on_timeout;
  return nullptr;
}

void InstanceRun::history(const std::string& step, const std::string& kind, int attempt,
                          std::int64_t now_ms, json detail) {
  StepEventRecord e;
  e.instance_id = record_.id;
  e.step_id = step;
  e.kind = kind;
  e.attempt = attempt;
  e.at_ms = now_ms;
  e.detail_json = persisted_text(detail);
  outbox_.history.push_back(std::move(e));
}

void InstanceRun::mark_milestone(const std::string& name, std::int64_t now_ms) {
  if (rt_.milestones.count(name) != 0) return;
  rt_.milestones[name] = now_ms;
  for (const Sla& sla : def_.slas) {
    if (sla.to != name) continue;
    auto from = rt_.milestones.find(sla.from);
    if (from == rt_.milestones.end()) continue;
    const double seconds = static_cast<double>(now_ms - from->second) / 1000.0;
    const bool breached = now_ms - from->second > sla.limit.count();
    const bool known = rt_.sla_breached.count(sla.name) != 0;
    outbox_.slas.push_back({sla.name, seconds, breached, true, from->second, now_ms, known});
    if (breached) rt_.sla_breached.insert(sla.name);
  }
}

// After the step at the cursor completed: the next step in its list, or up to the parent.
void InstanceRun::advance_past(Cursor& cursor, std::int64_t now_ms) {
  for (;;) {
    const std::vector<Step>* list = list_of(cursor.path);
    if (list != nullptr && static_cast<std::size_t>(cursor.path.back() + 1) < list->size()) {
      cursor.path.back() += 1;
      cursor.attempt = 0;
      cursor.first_attempt_ms = 0;
      cursor.due_ms = now_ms;
      cursor.waiting = false;
      cursor.input_override.reset();
      cursor.entered_ms = now_ms;
      return;
    }
    if (cursor.path.size() == 1) {
      cursor.finished = true;
      return;
    }
    const std::vector<int> parent(cursor.path.begin(), cursor.path.end() - 2);
    const Step* p = step_at(parent);
    if (p != nullptr && p->as<ParallelStep>() != nullptr) {
      const std::string key = path_key(parent);
      if (--rt_.joins[key] > 0) {
        cursor.finished = true;  // another branch finishes the join
        return;
      }
      rt_.joins.erase(key);
    }
    cursor.path = parent;
    if (p != nullptr) {
      history(p->id, "completed", 0, now_ms);
      if (p->milestone) mark_milestone(*p->milestone, now_ms);
    }
  }
}

void InstanceRun::enter_wait(Cursor& cursor, const Step& step, const WaitStep& wait,
                             std::int64_t now_ms) {
  cursor.waiting = true;
  cursor.wait_deadline_ms = wait.timeout.count() > 0 ? now_ms + wait.timeout.count() : 0;
  json detail = json::object();
  if (const auto* approval = std::get_if<ApprovalWait>(&wait.on)) {
    ApprovalRecord a;
    a.id = approval_id(step.id);
    a.instance_id = record_.id;
    a.step_id = step.id;
    a.role = approval->role;
    if (approval->title) {
      std::string title;
      for (std::size_t i = 0; i < approval->title->exprs.size(); ++i) {
        title += approval->title->literals[i];
        auto v = jq_.first(approval->title->exprs[i].text, state_.for_jq());
        if (v) title += v->is_string() ? v->get<std::string>() : v->dump();
      }
      title += approval->title->literals.back();
      a.title = title;
    } else {
      a.title = def_.name + ": " + step.id;
    }
    a.context_json = state_.text();
    a.requested_by = requested_by(state_.value());
    a.created_at_ms = now_ms;
    outbox_.approvals.push_back(a);
    detail = {{"approval_id", a.id}, {"role", a.role}};
  } else if (const auto* ev = std::get_if<EventWait>(&wait.on)) {
    std::string key = record_.business_key;
    if (ev->key) {
      auto k = jq_.first(ev->key->text, state_.for_jq());
      if (k && k->is_string())
        key = k->get<std::string>();
      else if (k && k->is_number())
        key = k->dump();
    }
    rt_.waits.push_back({record_.id, step.id, ev->type, key});
    outbox_.event_waits = rt_.waits;
    detail = {{"event_type", ev->type}, {"key", key}};
  }
  if (cursor.wait_deadline_ms != 0) detail["timeout_at_ms"] = cursor.wait_deadline_ms;
  history(step.id, "waiting", 0, now_ms, detail);
}

void InstanceRun::leave_wait(const Cursor& cursor, const Step& step) {
  (void)cursor;
  const auto before = rt_.waits.size();
  rt_.waits.erase(std::remove_if(rt_.waits.begin(), rt_.waits.end(),
                                 [&](const EventWaitRecord& w) { return w.step_id == step.id; }),
                  rt_.waits.end());
  if (rt_.waits.size() != before) outbox_.event_waits = rt_.waits;
}

bool InstanceRun::resolve(Cursor& c, std::int64_t now_ms) {
  const Step* step = step_at(c.path);
  if (step == nullptr) return false;
  if (c.waiting) {
    if (c.wait_deadline_ms == 0 || now_ms < c.wait_deadline_ms) return false;
    const WaitStep& wait = *step->as<WaitStep>();
    leave_wait(c, *step);
    history(step->id, "timed_out", 0, now_ms);
    if (std::holds_alternative<ApprovalWait>(wait.on)) {
      ApprovalRecord expired;
      expired.id = approval_id(step->id);
      expired.instance_id = record_.id;
      expired.step_id = step->id;
      expired.role = std::get<ApprovalWait>(wait.on).role;
      expired.status = "expired";
      expired.decided_at_ms = now_ms;
      outbox_.approvals.push_back(expired);
    }
    c.waiting = false;
    if (!wait.on_timeout) {
      fail_instance(step->id, c.path, "timeout",
                    "no decision or event before the timeout of " + format_duration(wait.timeout),
                    json::object(), now_ms);
      return true;
    }
    state_.set(wait.output, {{"timed_out", true}, {"at_ms", now_ms}});
    if (wait.on_timeout->empty()) {
      advance_past(c, now_ms);
    } else {
      c.path.push_back(0);
      c.path.push_back(0);
      c.due_ms = now_ms;
      c.entered_ms = now_ms;
    }
    return true;
  }
  if (c.due_ms > now_ms) return false;

  if (const auto* decide = step->as<DecideStep>()) {
    for (std::size_t b = 0; b < decide->branches.size(); ++b) {
      const DecideBranch& branch = decide->branches[b];
      bool taken = branch.otherwise();
      if (!taken) {
        auto v = jq_.test(branch.when->text, state_.for_jq());
        if (!v) {
          fail_instance(step->id, c.path, "validation",
                        "step " + step->id + ": `when` failed: " + v.error(), json::object(),
                        now_ms);
          return true;
        }
        taken = *v;
      }
      if (!taken) continue;
      history(step->id, "decided", 0, now_ms, {{"branch", b}, {"otherwise", branch.otherwise()}});
      if (branch.milestone) mark_milestone(*branch.milestone, now_ms);
      if (branch.steps.empty()) {
        history(step->id, "completed", 0, now_ms);
        if (step->milestone) mark_milestone(*step->milestone, now_ms);
        advance_past(c, now_ms);
      } else {
        c.path.push_back(static_cast<int>(b));
        c.path.push_back(0);
        c.entered_ms = now_ms;
      }
      return true;
    }
    history(step->id, "decided", 0, now_ms, {{"branch", nullptr}});
    history(step->id, "completed", 0, now_ms);
    advance_past(c, now_ms);
    return true;
  }
  if (const auto* wait = step->as<WaitStep>()) {
    enter_wait(c, *step, *wait, now_ms);
    return true;
  }
  if (const auto* f = step->as<FailStep>()) {
    fail_instance(step->id, c.path, "validation", f->reason, json::object(), now_ms);
    return true;
  }
  return false;  // a call: the executor runs it
}

std::vector<CallPlan> InstanceRun::advance(std::int64_t now_ms) {
  if (!valid() || is_terminal(status_)) return {};

  // The instance's own deadline.
  if (rt_.phase == "forward" && def_.deadline) {
    const auto started = rt_.milestones.count(std::string(kStartedMilestone)) != 0
                             ? rt_.milestones[std::string(kStartedMilestone)]
                             : record_.created_at_ms;
    if (now_ms >= started + def_.deadline->count()) {
      std::string step_id;
      std::vector<int> path;
      if (!rt_.cursors.empty()) {
        path = rt_.cursors.front().path;
        if (const Step* s = step_at(path)) step_id = s->id;
      }
      fail_instance(
          step_id, path, "deadline",
          "the workflow did not finish within its deadline of " + format_duration(*def_.deadline),
          json::object(), now_ms);
    }
  }

  // SLAs already past their limit while their end milestone is pending.
  for (const Sla& sla : def_.slas) {
    if (rt_.sla_breached.count(sla.name) != 0 || rt_.milestones.count(sla.to) != 0) continue;
    auto from = rt_.milestones.find(sla.from);
    if (from == rt_.milestones.end() || now_ms - from->second <= sla.limit.count()) continue;
    rt_.sla_breached.insert(sla.name);
    outbox_.slas.push_back({sla.name, static_cast<double>(sla.limit.count()) / 1000.0, true, false,
                            from->second, from->second + sla.limit.count() + 1});
  }

  if (rt_.phase == "forward") {
    bool changed = true;
    while (changed && rt_.phase == "forward") {
      changed = false;
      // Index loop: resolving a parallel step appends cursors.
      for (std::size_t i = 0; i < rt_.cursors.size() && rt_.phase == "forward"; ++i) {
        if (rt_.cursors[i].finished) continue;
        const Step* s = step_at(rt_.cursors[i].path);
        const auto* parallel = s != nullptr ? s->as<ParallelStep>() : nullptr;
        if (parallel != nullptr && !rt_.cursors[i].waiting && rt_.cursors[i].due_ms <= now_ms) {
          // Fork one cursor per branch that has steps; the last to finish joins them.
          std::vector<Cursor> forks;
          for (std::size_t b = 0; b < parallel->branches.size(); ++b) {
            if (parallel->branches[b].steps.empty()) continue;
            Cursor branch;
            branch.path = rt_.cursors[i].path;
            branch.path.push_back(static_cast<int>(b));
            branch.path.push_back(0);
            branch.due_ms = now_ms;
            branch.entered_ms = now_ms;
            forks.push_back(std::move(branch));
          }
          history(s->id, "started", 0, now_ms, {{"branches", forks.size()}});
          if (forks.empty()) {
            history(s->id, "completed", 0, now_ms);
            if (s->milestone) mark_milestone(*s->milestone, now_ms);
            advance_past(rt_.cursors[i], now_ms);
          } else {
            rt_.joins[path_key(rt_.cursors[i].path)] = static_cast<int>(forks.size());
            rt_.cursors[i].finished = true;
            for (Cursor& f : forks) rt_.cursors.push_back(std::move(f));
          }
          changed = true;
          continue;
        }
        changed = resolve(rt_.cursors[i], now_ms) || changed;
      }
      rt_.cursors.erase(std::remove_if(rt_.cursors.begin(), rt_.cursors.end(),
                                       [](const Cursor& c) { return c.finished; }),
                        rt_.cursors.end());
    }
    if (rt_.phase == "forward" && rt_.cursors.empty()) {
      rt_.phase = "done";
      status_ = InstanceStatus::completed;
      mark_milestone(std::string(kCompletedMilestone), now_ms);
      history("", "workflow_completed", 0, now_ms);
      return {};
    }
  }

  std::vector<CallPlan> plans;
  if (rt_.phase == "forward") {
    bool any_ready = false;
    for (Cursor& c : rt_.cursors) {
      if (c.waiting) continue;
      any_ready = true;
      if (c.due_ms > now_ms) continue;
      const Step* step = step_at(c.path);
      const auto* call = step != nullptr ? step->as<CallStep>() : nullptr;
      if (call == nullptr) continue;
      CallPlan plan;
      plan.step_id = step->id;
      plan.action = call->call;
      plan.attempt = c.attempt + 1;
      plan.path = c.path;
      plan.idempotency_key = key_for(step->id, false);
      if (c.input_override) {
        plan.input = *c.input_override;
      } else if (call->with) {
        auto input = jq_.first(call->with->text, state_.for_jq());
        if (!input) {
          fail_instance(step->id, c.path, "validation",
                        "step " + step->id + ": `with` failed: " + input.error(), json::object(),
                        now_ms);
          return {};
        }
        plan.input = std::move(*input);
      } else {
        plan.input = json::object();
      }
      if (c.first_attempt_ms == 0) c.first_attempt_ms = now_ms;
      plans.push_back(std::move(plan));
    }
    status_ = any_ready ? InstanceStatus::running : InstanceStatus::waiting;
  }
  if (rt_.phase == "compensating") {
    if (rt_.compensations.empty()) {
      finish_failure(now_ms);
      return {};
    }
    Compensation& next = rt_.compensations.front();
    if (next.due_ms <= now_ms) {
      const Step* step = find_step(def_, next.step_id);
      const auto* call = step != nullptr ? step->as<CallStep>() : nullptr;
      if (call == nullptr || !call->compensate) {
        rt_.compensations.erase(rt_.compensations.begin());
        return advance(now_ms);
      }
      CallPlan plan;
      plan.step_id = step->id;
      plan.action = call->compensate->call;
      plan.compensation = true;
      plan.attempt = next.attempt + 1;
      plan.idempotency_key = key_for(step->id, true);
      if (call->compensate->with) {
        auto input = jq_.first(call->compensate->with->text, state_.for_jq());
        if (!input) {
          history(step->id, "compensation_failed", plan.attempt, now_ms,
                  {{"message", input.error()}});
          rt_.failure["compensation_errors"].push_back(
              {{"step", step->id}, {"message", input.error()}});
          rt_.compensations.erase(rt_.compensations.begin());
          return advance(now_ms);
        }
        plan.input = std::move(*input);
      } else {
        plan.input = json::object();
      }
      if (next.first_attempt_ms == 0) next.first_attempt_ms = now_ms;
      plans.push_back(std::move(plan));
    }
    status_ = InstanceStatus::running;
  }
  return plans;
}

std::string InstanceRun::approval_id(const std::string& step_id) const {
  const auto it = rt_.generation.find(step_id);
  const int gen = it == rt_.generation.end() ? 0 : it->second;
  return "apr_" +
         crypto::to_hex(crypto::sha256(record_.id + "/" + step_id + "/" + std::to_string(gen)))
             .substr(0, 24);
}

std::string InstanceRun::key_for(const std::string& step_id, bool compensation) const {
  const auto it = rt_.generation.find(step_id);
  const int gen = it == rt_.generation.end() ? 0 : it->second;
  const std::string material =
      record_.id + "/" + step_id + "/" + std::to_string(gen) + (compensation ? "/undo" : "");
  return "weft-" + crypto::to_hex(crypto::sha256(material)).substr(0, 40);
}

void InstanceRun::complete_call(const CallPlan& plan, const json& output, std::int64_t now_ms,
                                double seconds) {
  outbox_.step_durations.push_back({plan.step_id, seconds});
  if (plan.compensation) {
    history(plan.step_id, "compensated", plan.attempt, now_ms,
            {{"idempotency_key", plan.idempotency_key}});
    rt_.generation[plan.step_id] += 1;
    rt_.failure["compensated"].push_back(plan.step_id);
    if (!rt_.compensations.empty() && rt_.compensations.front().step_id == plan.step_id) {
      rt_.compensations.erase(rt_.compensations.begin());
    }
    return;
  }
  for (Cursor& c : rt_.cursors) {
    if (c.finished || c.waiting || c.path != plan.path) continue;
    const Step* step = step_at(c.path);
    const auto& call = *step->as<CallStep>();
    state_.set(call.output, output);
    history(step->id, "completed", plan.attempt, now_ms,
            {{"idempotency_key", plan.idempotency_key},
             {"action", call.call.connector + "." + call.call.action}});
    if (call.compensate) rt_.done_calls.push_back({step->id, c.path});
    if (step->milestone) mark_milestone(*step->milestone, now_ms);
    advance_past(c, now_ms);
    break;
  }
  rt_.cursors.erase(std::remove_if(rt_.cursors.begin(), rt_.cursors.end(),
                                   [](const Cursor& c) { return c.finished; }),
                    rt_.cursors.end());
}

void InstanceRun::fail_call(const CallPlan& plan, const delivery::Failure& failure,
                            std::int64_t now_ms, const delivery::RandomSource& random) {
  const Step* step = find_step(def_, plan.step_id);
  const auto* call = step != nullptr ? step->as<CallStep>() : nullptr;
  if (call == nullptr) return;
  const delivery::RetryPolicy& policy = plan.compensation ? call->compensate->retry : call->retry;
  std::int64_t* first = nullptr;
  int* attempt = nullptr;
  std::int64_t* due = nullptr;
  Cursor* cursor = nullptr;
  if (plan.compensation) {
    if (rt_.compensations.empty()) return;
    first = &rt_.compensations.front().first_attempt_ms;
    attempt = &rt_.compensations.front().attempt;
    due = &rt_.compensations.front().due_ms;
  } else {
    for (Cursor& c : rt_.cursors) {
      if (!c.finished && !c.waiting && c.path == plan.path) cursor = &c;
    }
    if (cursor == nullptr) return;
    first = &cursor->first_attempt_ms;
    attempt = &cursor->attempt;
    due = &cursor->due_ms;
  }
  const auto decision = delivery::decide_retry(policy, failure, plan.attempt,
                                               std::chrono::milliseconds(now_ms - *first), random);
  json detail = failure_json(failure);
  detail["idempotency_key"] = plan.idempotency_key;
  if (decision.verdict == delivery::RetryVerdict::retry) {
    *attempt = plan.attempt;
    *due = now_ms + decision.delay.count();
    detail["retry_at_ms"] = *due;
    history(plan.step_id, plan.compensation ? "compensation_retry_scheduled" : "retry_scheduled",
            plan.attempt, now_ms, detail);
    return;
  }
  detail["verdict"] = delivery::to_string(decision.verdict);
  if (plan.compensation) {
    history(plan.step_id, "compensation_failed", plan.attempt, now_ms, detail);
    rt_.failure["compensation_errors"].push_back({{"step", plan.step_id}, {"failure", detail}});
    rt_.compensations.erase(rt_.compensations.begin());
    return;
  }
  history(plan.step_id, "failed", plan.attempt, now_ms, detail);
  json context = {{"input", plan.input},
                  {"action", plan.action.connector + "." + plan.action.action},
                  {"attempts", plan.attempt},
                  {"verdict", delivery::to_string(decision.verdict)},
                  {"idempotency_key", plan.idempotency_key}};
  if (failure.http_status != 0) context["http_status"] = failure.http_status;
  if (!failure.platform_code.empty()) context["platform_code"] = failure.platform_code;
  fail_instance(plan.step_id, plan.path, delivery::to_string(failure.cls), failure.message, context,
                now_ms);
}

void InstanceRun::defer_call(const CallPlan& plan, std::chrono::milliseconds wait,
                             std::int64_t now_ms, const std::string& reason) {
  (void)reason;
  if (plan.compensation) {
    if (!rt_.compensations.empty()) rt_.compensations.front().due_ms = now_ms + wait.count();
    return;
  }
  for (Cursor& c : rt_.cursors) {
    if (!c.finished && !c.waiting && c.path == plan.path) c.due_ms = now_ms + wait.count();
  }
}

void InstanceRun::fail_instance(const std::string& step_id, const std::vector<int>& path,
                                const std::string& cls, const std::string& message,
                                const json& context, std::int64_t now_ms) {
  // Keep where every cursor stood, so a retry from the workbench can resume exactly there.
  json snapshot = rt_.to_json();
  rt_.failure = {{"step", step_id},      {"path", path},
                 {"class", cls},         {"message", message},
                 {"context", context},   {"at_ms", now_ms},
                 {"snapshot", snapshot}, {"compensated", json::array()}};
  for (const Cursor& c : rt_.cursors) {
    if (const Step* s = step_at(c.path); s != nullptr && c.waiting) leave_wait(c, *s);
  }
  rt_.cursors.clear();
  rt_.joins.clear();
  rt_.compensations.clear();
  for (auto it = rt_.done_calls.rbegin(); it != rt_.done_calls.rend(); ++it) {
    rt_.compensations.push_back({it->step_id, 0, 0, now_ms});
  }
  rt_.done_calls.clear();
  rt_.phase = "compensating";
  status_ = InstanceStatus::running;
  if (!rt_.compensations.empty())
    history(step_id, "compensating", 0, now_ms, {{"steps", rt_.compensations.size()}});
}

void InstanceRun::finish_failure(std::int64_t now_ms) {
  rt_.phase = "failed";
  status_ = InstanceStatus::failed;
  ExceptionRecord e;
  e.id = "exc_" +
         crypto::to_hex(crypto::sha256(record_.id + "/" + rt_.failure.value("step", "") + "/" +
                                       std::to_string(rt_.failure.value("at_ms", std::int64_t{0}))))
             .substr(0, 24);
  e.instance_id = record_.id;
  e.workflow = def_.name;
  e.step_id = rt_.failure.value("step", "");
  e.failure_class = rt_.failure.value("class", "unknown");
  e.reason = rt_.failure.value("message", "");
  json context = rt_.failure.value("context", json::object());
  context["compensated"] = rt_.failure.value("compensated", json::array());
  if (rt_.failure.contains("compensation_errors"))
    context["compensation_errors"] = rt_.failure["compensation_errors"];
  context["business_key"] = record_.business_key;
  e.context_json = persisted_text(context);
  e.created_at_ms = now_ms;
  outbox_.exceptions.push_back(std::move(e));
  history(
      rt_.failure.value("step", ""), "workflow_failed", 0, now_ms,
      {{"class", rt_.failure.value("class", "")}, {"message", rt_.failure.value("message", "")}});
}

// A wait got what it waited for: the step completes and its cursor moves on.
void InstanceRun::complete_wait(Cursor& cursor, const Step& step, std::int64_t now_ms) {
  cursor.waiting = false;
  if (step.milestone) mark_milestone(*step.milestone, now_ms);
  history(step.id, "completed", 0, now_ms);
  advance_past(cursor, now_ms);
  rt_.cursors.erase(std::remove_if(rt_.cursors.begin(), rt_.cursors.end(),
                                   [](const Cursor& x) { return x.finished; }),
                    rt_.cursors.end());
  status_ = InstanceStatus::running;
}

Result<void, std::string> InstanceRun::decide(const std::string& step_id, bool approved,
                                              const std::string& by, const std::string& comment,
                                              std::int64_t now_ms) {
  for (Cursor& c : rt_.cursors) {
    const Step* step = step_at(c.path);
    if (!c.waiting || step == nullptr || step->id != step_id) continue;
    const auto* wait = step->as<WaitStep>();
    if (wait == nullptr || !std::holds_alternative<ApprovalWait>(wait->on)) {
      return fail("step " + step_id + " waits for an event, not an approval");
    }
    state_.set(wait->output,
               {{"approved", approved}, {"by", by}, {"at_ms", now_ms}, {"comment", comment}});
    // The approval's record shows the decision (persisted with this transition), so it leaves
    // the pending list and says who decided.
    ApprovalRecord decided;
    decided.id = approval_id(step_id);
    decided.instance_id = record_.id;
    decided.step_id = step_id;
    decided.role = std::get<ApprovalWait>(wait->on).role;
    decided.status = approved ? "approved" : "rejected";
    decided.decided_by = by;
    decided.comment = comment;
    decided.decided_at_ms = now_ms;
    outbox_.approvals.push_back(decided);
    history(step_id, approved ? "approved" : "rejected", 0, now_ms,
            {{"by", by}, {"comment", comment}});
    complete_wait(c, *step, now_ms);
    return {};
  }
  return fail("instance " + record_.id + " is not waiting for an approval at step " + step_id);
}

Result<bool, std::string> InstanceRun::deliver_event(const std::string& step_id, const json& event,
                                                     std::int64_t now_ms) {
  for (Cursor& c : rt_.cursors) {
    const Step* step = step_at(c.path);
    if (!c.waiting || step == nullptr || step->id != step_id) continue;
    const auto* wait = step->as<WaitStep>();
    const auto* ev = wait != nullptr ? std::get_if<EventWait>(&wait->on) : nullptr;
    if (ev == nullptr) return fail("step " + step_id + " does not wait for an event");
    if (ev->match) {
      auto ok = jq_.test(ev->match->text, json{{"event", event}, {"state", state_.value()}});
      if (!ok) return fail("step " + step_id + ": `match` failed: " + ok.error());
      if (!*ok) return false;
    }
    state_.set(wait->output, event);
    leave_wait(c, *step);
    history(step_id, "event_received", 0, now_ms, {{"event_id", event.value("id", "")}});
    complete_wait(c, *step, now_ms);
    return true;
  }
  return false;
}

Result<void, std::string> InstanceRun::retry(const std::optional<json>& input,
                                             const std::string& by, std::int64_t now_ms) {
  if (status_ != InstanceStatus::failed) return fail("instance " + record_.id + " has not failed");
  const bool compensated = !rt_.failure.value("compensated", json::array()).empty();
  history(rt_.failure.value("step", ""), "retried", 0, now_ms,
          {{"by", by}, {"input_edited", input.has_value()}});
  rt_.cursors.clear();
  rt_.joins.clear();
  if (!compensated && rt_.failure.contains("snapshot")) {
    // Nothing was undone: resume exactly where every cursor stood.
    InstanceRuntime snapshot = InstanceRuntime::from_json(rt_.failure["snapshot"], record_.id);
    const auto failed_path = rt_.failure.value("path", std::vector<int>{});
    for (Cursor& cursor : snapshot.cursors) {
      // Each step starts afresh: attempts are counted again from now.
      cursor.attempt = 0;
      cursor.first_attempt_ms = 0;
      cursor.due_ms = cursor.entered_ms = now_ms;
      cursor.input_override.reset();
      if (input && cursor.path == failed_path) cursor.input_override = *input;
    }
    rt_.cursors = std::move(snapshot.cursors);
    rt_.joins = std::move(snapshot.joins);
    rt_.done_calls = std::move(snapshot.done_calls);
  } else {
    // Effects were undone: run the workflow again from the start; the undone steps get new
    // idempotency keys (their generation moved on), the others keep theirs.
    Cursor cursor;
    cursor.path = {0};
    cursor.due_ms = now_ms;
    cursor.entered_ms = now_ms;
    if (input && rt_.failure.value("path", std::vector<int>{}) == std::vector<int>{0})
      cursor.input_override = *input;
    rt_.cursors = {cursor};
    rt_.done_calls.clear();
  }
  if (rt_.cursors.empty()) {
    Cursor cursor;
    cursor.path = {0};
    cursor.due_ms = now_ms;
    rt_.cursors = {cursor};
  }
  rt_.failure = json();
  rt_.compensations.clear();
  rt_.phase = "forward";
  status_ = InstanceStatus::running;
  rt_.milestones[std::string(kStartedMilestone)] =
      rt_.milestones.count(std::string(kStartedMilestone)) != 0
          ? rt_.milestones[std::string(kStartedMilestone)]
          : now_ms;
  return {};
}

Result<void, std::string> InstanceRun::discard(const std::string& reason, const std::string& by,
                                               std::int64_t now_ms) {
  if (status_ != InstanceStatus::failed) return fail("instance " + record_.id + " has not failed");
  history(rt_.failure.value("step", ""), "discarded", 0, now_ms, {{"by", by}, {"reason", reason}});
  status_ = InstanceStatus::discarded;
  rt_.phase = "done";
  return {};
}

std::optional<std::int64_t> InstanceRun::next_due() const {
  if (is_terminal(status_)) return std::nullopt;
  std::optional<std::int64_t> due;
  auto consider = [&due](std::int64_t t) { due = due ? std::min(*due, t) : t; };
  if (rt_.phase == "forward") {
    for (const Cursor& c : rt_.cursors) {
      if (c.waiting) {
        if (c.wait_deadline_ms != 0) consider(c.wait_deadline_ms);
      } else {
        consider(c.due_ms);
      }
    }
    if (def_.deadline) {
      auto it = rt_.milestones.find(std::string(kStartedMilestone));
      consider((it != rt_.milestones.end() ? it->second : record_.created_at_ms) +
               def_.deadline->count());
    }
    for (const Sla& sla : def_.slas) {
      if (rt_.sla_breached.count(sla.name) != 0 || rt_.milestones.count(sla.to) != 0) continue;
      if (auto from = rt_.milestones.find(sla.from); from != rt_.milestones.end()) {
        consider(from->second + sla.limit.count() + 1);
      }
    }
  } else if (rt_.phase == "compensating") {
    consider(rt_.compensations.empty() ? 0 : rt_.compensations.front().due_ms);
  }
  return due;
}

InstanceRecord InstanceRun::record() const {
  InstanceRecord r = record_;
  r.status = status_;
  r.state_json = state_.text();
  r.cursor_json = rt_.to_text();
  assert(r.cursor_json == persisted_text(rt_.to_json()));  // debug builds: the same text
  r.due_at_ms = next_due();
  return r;
}

Outbox InstanceRun::take_outbox() {
  Outbox out = std::move(outbox_);
  outbox_ = Outbox{};
  return out;
}

}  // namespace weft::engine
