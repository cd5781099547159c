#include "api/overview.hpp"

#include <algorithm>

#include "api/resource_json.hpp"

namespace weft::api {

namespace {

using nlohmann::json;

constexpr std::int64_t kMinuteMs = 60'000;

std::int64_t minute_of(std::int64_t ms) { return ms >= 0 ? ms / kMinuteMs : (ms - kMinuteMs + 1) / kMinuteMs; }

std::string label(const metrics::Value& s, const char* name) {
  auto it = s.labels.find(name);
  return it == s.labels.end() ? std::string() : it->second;
}

struct RegistryTotals {
  double events_in = 0, completed = 0;
};

// Events in: webhooks accepted and events the backfill polls found; workflows completed.
RegistryTotals totals_of(const std::vector<metrics::Value>& samples) {
  RegistryTotals t;
  for (const metrics::Value& s : samples) {
    if (s.name == "weft_webhooks_total" && label(s, "outcome") == "accepted") {
      t.events_in += s.value;
    } else if (s.name == "weft_poll_events_total") {
      t.events_in += s.value;
    } else if (s.name == "weft_workflows_total" && label(s, "status") == "completed") {
      t.completed += s.value;
    }
  }
  return t;
}

json connector_json(const delivery::ConnectorHealth& h) {
  json j = {{"connector", h.connector}, {"circuit", delivery::to_string(h.circuit)}};
  j["rate_limit"] = h.rate_configured ? json{{"per_second", h.rate.per_second},
                                             {"burst", h.rate.burst},
                                             {"available", h.rate_available},
                                             {"penalised", h.rate_penalised}}
                                      : json();
  j["last_error"] = h.last_error_at_ms == 0 ? json()
                                            : json{{"at", time_json(h.last_error_at_ms)},
                                                   {"class", h.last_error_class},
                                                   {"message", h.last_error_message}};
  return j;
}

}  // namespace

void MinuteActivity::observe(std::int64_t now_ms, double events_total, double completed_total) {
  std::lock_guard lock(mutex_);
  const std::int64_t minute = minute_of(now_ms);
  last_in_minute_[minute] = {events_total, completed_total};
  // Keep one minute more than the window: the oldest shown needs the one before it.
  while (!last_in_minute_.empty() && last_in_minute_.begin()->first < minute - window_) {
    before_ = last_in_minute_.begin()->second;
    last_in_minute_.erase(last_in_minute_.begin());
  }
}

std::vector<MinuteActivity::Minute> MinuteActivity::minutes(std::int64_t now_ms) const {
  std::lock_guard lock(mutex_);
  const std::int64_t last = minute_of(now_ms);
  std::vector<Minute> out;
  Totals previous = before_;
  auto it = last_in_minute_.begin();
  // Minutes before the window only move `previous` on.
  for (; it != last_in_minute_.end() && it->first <= last - window_; ++it) previous = it->second;
  for (std::int64_t m = last - window_ + 1; m <= last; ++m) {
    Minute out_minute{m * kMinuteMs, 0, 0};
    if (it != last_in_minute_.end() && it->first == m) {
      // A total that went down (a restart) counts from zero.
      const auto delta = [](double now, double before) { return now >= before ? now - before : now; };
      out_minute.events_in = delta(it->second.events, previous.events);
      out_minute.workflows_completed = delta(it->second.completed, previous.completed);
      previous = it->second;
      ++it;
    }
    out.push_back(out_minute);
  }
  return out;
}

OverviewSource::OverviewSource(const metrics::Registry& registry, ConnectorHealthSource health,
                               ClockPtr clock)
    : registry_(registry), health_(std::move(health)), clock_(std::move(clock)) {}

OverviewSource::~OverviewSource() { stop(); }

void OverviewSource::start(std::chrono::milliseconds every) { sampler_.start(every, [this] { sample(); }); }

void OverviewSource::stop() { sampler_.stop(); }

void OverviewSource::sample() {
  const RegistryTotals t = totals_of(registry_.values());
  activity_.observe(clock_->unix_millis(), t.events_in, t.completed);
}

json OverviewSource::overview() {
  const std::int64_t now = clock_->unix_millis();
  const std::vector<metrics::Value> samples = registry_.values();
  const RegistryTotals t = totals_of(samples);
  activity_.observe(now, t.events_in, t.completed);

  json per_minute = json::array();
  for (const MinuteActivity::Minute& m : activity_.minutes(now)) {
    per_minute.push_back({{"minute", time_json(m.start_ms)},
                          {"events_in", m.events_in},
                          {"workflows_completed", m.workflows_completed}});
  }

  // Workflows: every loaded one (weft_workflows_running has each from the start).
  std::map<std::string, json> workflows;
  const auto row = [&](const std::string& name) -> json& {
    json& r = workflows[name];
    if (r.is_null()) {
      r = {{"workflow", name}, {"in_flight", 0}, {"completed", 0}, {"failed", 0}, {"sla_breaches", 0}};
    }
    return r;
  };
  std::map<std::string, double> exceptions;
  double events_unprocessed = 0, tasks_due = 0;
  for (const metrics::Value& s : samples) {
    const auto n = static_cast<std::int64_t>(s.value);
    if (s.name == "weft_workflows_running") {
      row(label(s, "workflow"))["in_flight"] = n;
    } else if (s.name == "weft_workflows_total") {
      const std::string status = label(s, "status");
      if (status == "completed" || status == "failed") row(label(s, "workflow"))[status] = n;
    } else if (s.name == "weft_sla_breaches_total") {
      json& r = row(label(s, "workflow"));
      r["sla_breaches"] = r["sla_breaches"].get<std::int64_t>() + n;
    } else if (s.name == "weft_exceptions_open") {
      exceptions[label(s, "class")] += s.value;
    } else if (s.name == "weft_events_unprocessed") {
      events_unprocessed = s.value;
    } else if (s.name == "weft_tasks_due") {
      tasks_due = s.value;
    }
  }
  json workflow_rows = json::array();
  for (auto& [name, r] : workflows) workflow_rows.push_back(std::move(r));
  json exception_rows = json::array();
  for (const auto& [cls, count] : exceptions) {
    if (count > 0) exception_rows.push_back({{"class", cls}, {"count", static_cast<std::int64_t>(count)}});
  }
  json connectors = json::array();
  if (health_) {
    for (const delivery::ConnectorHealth& h : health_()) connectors.push_back(connector_json(h));
  }
  return {{"generated_at", time_json(now)},
          {"window_minutes", activity_.window()},
          {"per_minute", std::move(per_minute)},
          {"workflows", std::move(workflow_rows)},
          {"exceptions_open", std::move(exception_rows)},
          {"connectors", std::move(connectors)},
          {"queues",
           {{"events_unprocessed", static_cast<std::int64_t>(events_unprocessed)},
            {"tasks_due", static_cast<std::int64_t>(tasks_due)}}}};
}

}  // namespace weft::api
