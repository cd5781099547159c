#pragma once
// What the console's overview shows (GET /v1/overview): the hub at a glance, aggregated from
// the metrics registry (the same numbers GET /metrics gives), the delivery layer's connector
// health, and a short per-minute history of events in and workflows completed that this class
// keeps by sampling the registry's totals (a sampler thread every few seconds, and each read).
//
//   {"generated_at", "window_minutes",
//    "per_minute": [{"minute", "events_in", "workflows_completed"}]      oldest first
//    "workflows": [{"workflow", "in_flight", "completed", "failed", "sla_breaches"}],
//    "exceptions_open": [{"class", "count"}],
//    "connectors": [{"connector", "circuit", "rate_limit": {"per_second", "burst",
//                    "available", "penalised"} | null, "last_error": {"at", "class",
//                    "message"} | null}],
//    "queues": {"events_unprocessed", "tasks_due"}}
//
// Threads: every method from any thread.

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <nlohmann/json.hpp>
#include <vector>

#include "core/periodic_task.hpp"
#include "delivery/delivery_invoker.hpp"
#include "weft/clock.hpp"
#include "weft/metrics.hpp"

namespace weft::api {

// Per-minute increases of two running totals (events in, workflows completed), from samples
// of the totals taken at any times. A minute with no sample counts 0; the next sample's
// increase lands in its own minute. Keeps `window` minutes.
class MinuteActivity {
 public:
  struct Minute {
    std::int64_t start_ms = 0;
    double events_in = 0;
    double workflows_completed = 0;
  };

  explicit MinuteActivity(int window_minutes = 30) : window_(window_minutes) {}
  void observe(std::int64_t now_ms, double events_total, double completed_total);
  // The `window` minutes ending with the one holding `now_ms`, oldest first.
  std::vector<Minute> minutes(std::int64_t now_ms) const;
  int window() const { return window_; }

 private:
  struct Totals {
    double events = 0, completed = 0;
  };
  int window_;
  mutable std::mutex mutex_;
  std::map<std::int64_t, Totals> last_in_minute_;  // by minute index: the last totals seen
  Totals before_{};  // the totals at the end of the last minute dropped from the window
};

using ConnectorHealthSource = std::function<std::vector<delivery::ConnectorHealth>()>;

class OverviewSource {
 public:
  OverviewSource(const metrics::Registry& registry, ConnectorHealthSource health, ClockPtr clock);
  ~OverviewSource();
  OverviewSource(const OverviewSource&) = delete;
  OverviewSource& operator=(const OverviewSource&) = delete;

  // Samples the totals every `every` on a thread of its own, until stop().
  void start(std::chrono::milliseconds every);
  void stop();
  // Reads the registry's totals into the per-minute history.
  void sample();
  // The document above (a sample is taken first).
  nlohmann::json overview();

 private:
  const metrics::Registry& registry_;
  ConnectorHealthSource health_;
  ClockPtr clock_;
  MinuteActivity activity_;
  PeriodicTask sampler_;  // last: stopped before what it samples goes
};

}  // namespace weft::api
