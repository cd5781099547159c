#include "slo/slo_monitor.hpp"

#include "slo/alert_message.hpp"
#include "weft/log.hpp"

namespace weft::slo {

namespace {

// Open exceptions of a workflow: how many, and the first `keep` of them for an alert.
StoreResult<std::int64_t> open_exceptions(WorkflowStore& store, const std::string& workflow,
                                          std::size_t keep, std::vector<ExceptionRecord>* kept) {
  ExceptionQuery q;
  q.status = ExceptionStatus::open;
  q.workflow = workflow;
  q.limit = 1000;
  std::int64_t count = 0;
  for (;;) {
    auto page = store.query_exceptions(q);
    if (!page) return fail(std::move(page).error());
    count += static_cast<std::int64_t>(page->size());
    const bool last_page = page->size() < static_cast<std::size_t>(q.limit);
    if (!last_page) q.after_id = page->back().id;
    for (auto& e : *page) {
      if (kept != nullptr && kept->size() < keep) kept->push_back(std::move(e));
    }
    if (last_page) return count;
  }
}

}  // namespace

SloMetrics::SloMetrics(metrics::Registry& r)
    : ratio(r.gauge("weft_slo_ratio",
                    "Fraction of the SLA's outcomes met over the SLO's rolling window", {"slo"})),
      error_budget_remaining(
          r.gauge("weft_slo_error_budget_remaining",
                  "Share of the SLO's error budget left (1 untouched, 0 spent, below 0 overspent)",
                  {"slo"})),
      breached(r.gauge("weft_slo_breached", "1 while the SLO is breached, else 0", {"slo"})),
      alerts_queued(
          r.counter("weft_slo_alerts_total", "SLO alerts queued for the webhook", {"slo", "kind"})),
      alert_attempts(r.counter("weft_slo_alert_attempts_total", "Attempts to deliver SLO alerts",
                               {"outcome"})) {}

SloMonitor::SloMonitor(std::vector<config::SloConfig> slos, WorkflowStore& workflows,
                       AlertStore& alerts, SloMetrics& metrics, ClockPtr clock,
                       SloMonitorOptions options)
    : slos_(std::move(slos)),
      workflows_(workflows),
      alerts_(alerts),
      metrics_(metrics),
      clock_(std::move(clock)),
      options_(options) {}

Result<void, std::string> SloMonitor::load() {
  auto saved = alerts_.slo_states();
  if (!saved) return fail("cannot read SLO states: " + saved.error().message);
  for (auto& state : *saved) states_[state.slo] = std::move(state);
  return {};
}

Result<SloStatus, std::string> SloMonitor::compute(const config::SloConfig& slo,
                                                   std::int64_t now_ms,
                                                   std::vector<ExceptionRecord>* exceptions) {
  if (slo.backlog()) {
    auto open = open_exceptions(workflows_, slo.workflow,
                                static_cast<std::size_t>(options_.context_limit), exceptions);
    if (!open)
      return fail("SLO " + slo.name + ": cannot count open exceptions: " + open.error().message);
    return backlog_status(slo, *open, now_ms);
  }
  SlaOutcomeQuery q;
  q.workflow = slo.workflow;
  q.sla = slo.sla;
  q.from_ms = now_ms - slo.window_ms;
  q.to_ms = now_ms;
  auto counts = workflows_.count_sla_outcomes(q);
  if (!counts)
    return fail("SLO " + slo.name + ": cannot count SLA outcomes: " + counts.error().message);
  return sla_status(slo, *counts, now_ms);
}

Result<std::string, std::string> SloMonitor::alert_json(
    const config::SloConfig& slo, const std::string& id, const std::string& kind,
    const SloStatus& status, const std::vector<ExceptionRecord>& exceptions) {
  std::vector<BreachContext> breaches;
  if (!slo.backlog() && kind == "breached") {
    SlaOutcomeQuery q;
    q.workflow = slo.workflow;
    q.sla = slo.sla;
    q.from_ms = status.evaluated_at_ms - slo.window_ms;
    q.to_ms = status.evaluated_at_ms;
    q.breached = true;
    q.limit = options_.context_limit;
    auto outcomes = workflows_.query_sla_outcomes(q);
    if (!outcomes)
      return fail("SLO " + slo.name + ": cannot read SLA outcomes: " + outcomes.error().message);
    for (auto& o : *outcomes) {
      auto instance = workflows_.load_instance(o.instance_id);
      breaches.push_back({std::move(o), instance ? std::move(*instance) : std::nullopt});
    }
  }
  const std::vector<ExceptionRecord> none;
  return alert_body(id, kind, status, breaches, kind == "breached" ? exceptions : none).dump();
}

Result<void, std::string> SloMonitor::transition(const config::SloConfig& slo, SloStatus& status,
                                                 const std::vector<ExceptionRecord>& exceptions) {
  const std::int64_t now = status.evaluated_at_ms;
  SloStateRecord& current = states_[slo.name];
  if (current.slo.empty()) current = SloStateRecord{slo.name, "ok", now, 0};
  SloStateRecord next = current;
  std::string kind;
  if (status.is_breached && current.state != "breached") {
    next = SloStateRecord{slo.name, "breached", now, 0};
    kind = "breached";
  } else if (status.is_breached && options_.alerts &&
             now - current.alerted_at_ms >= options_.repeat_after_ms) {
    kind = "breached";  // still breached, and its breach window has passed
  } else if (!status.is_breached && current.state == "breached") {
    // A resolved notice only follows a breach that was alerted.
    if (current.alerted_at_ms != 0) kind = "resolved";
    next = SloStateRecord{slo.name, "ok", now, 0};
  }
  status.state = next.state;
  status.since_ms = next.since_ms;
  if (next.state == current.state && next.since_ms == current.since_ms && kind.empty()) return {};

  std::optional<AlertRecord> alert;
  if (options_.alerts && !kind.empty()) {
    AlertRecord a;
    a.id = alert_id(slo.name, kind, now);
    a.slo = slo.name;
    a.kind = kind;
    auto body = alert_json(slo, a.id, kind, status, exceptions);
    if (!body) return fail(body.error());
    a.body = std::move(*body);
    a.created_at_ms = now;
    a.next_attempt_ms = now;
    if (kind == "breached") next.alerted_at_ms = now;
    alert = std::move(a);
  }
  if (auto saved = alerts_.save_slo_state(next, alert); !saved) {
    return fail("SLO " + slo.name + ": cannot save its state: " + saved.error().message);
  }
  if (next.state != current.state) {
    log::warn(next.state == "breached" ? "slo.breached" : "slo.recovered",
              {{"slo", slo.name},
               {"workflow", slo.workflow},
               {"ratio", status.ratio},
               {"open_exceptions", status.open_exceptions}});
  }
  if (alert) metrics_.alerts_queued.with({slo.name, alert->kind}).inc();
  current = next;
  return {};
}

void SloMonitor::export_metrics(const SloStatus& s) {
  if (s.kind == "sla") metrics_.ratio.with({s.name}).set(s.ratio);
  metrics_.error_budget_remaining.with({s.name}).set(s.error_budget_remaining);
  metrics_.breached.with({s.name}).set(s.is_breached ? 1 : 0);
}

Result<void, std::string> SloMonitor::evaluate() {
  const std::int64_t now = clock_->unix_millis();
  std::vector<SloStatus> out;
  for (const config::SloConfig& slo : slos_) {
    std::vector<ExceptionRecord> exceptions;
    auto status = compute(slo, now, &exceptions);
    if (!status) return fail(status.error());
    if (auto moved = transition(slo, *status, exceptions); !moved) return fail(moved.error());
    export_metrics(*status);
    out.push_back(std::move(*status));
  }
  std::lock_guard lock(mutex_);
  statuses_ = std::move(out);
  return {};
}

std::vector<SloStatus> SloMonitor::statuses() const {
  std::lock_guard lock(mutex_);
  return statuses_;
}

}  // namespace weft::slo
