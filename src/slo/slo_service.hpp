#pragma once
// SloService: what `weft serve` runs for SLOs and alerts — an SloMonitor evaluated every
// `interval`, and an AlertSender (when alerts: is configured) that delivers what it queues,
// both on one thread of its own, so a slow or dead webhook never holds up the engine.
//
// Threads: start()/stop() from one thread; tick() drives one round on the caller's thread
// (tests, with a ManualClock and no thread); monitor() from any thread.

#include <chrono>
#include <memory>

#include "config/config.hpp"
#include "core/periodic_task.hpp"
#include "delivery/http_transport.hpp"
#include "slo/alert_sender.hpp"
#include "slo/slo_monitor.hpp"

namespace weft::slo {

struct SloServiceOptions {
  std::chrono::milliseconds interval{std::chrono::seconds(10)};
  AlertSenderOptions sender{};
};

class SloService {
 public:
  // `transport` carries the alerts (a CurlTransport when null). The config's slos must have
  // been checked against the workflows (validate_slos).
  SloService(const config::Config& config, WorkflowStore& workflows, AlertStore& alerts,
             metrics::Registry& registry, ClockPtr clock,
             delivery::HttpTransportPtr transport = nullptr, SloServiceOptions options = {});
  ~SloService();
  SloService(const SloService&) = delete;
  SloService& operator=(const SloService&) = delete;

  // Reads the saved SLO states; with `thread`, starts evaluating and sending every interval.
  Result<void, std::string> start(bool thread = true);
  void stop();
  // One round: evaluate every SLO, then attempt the alerts that are due.
  void tick();

  const SloMonitor& monitor() const { return *monitor_; }

 private:
  SloMetrics metrics_;
  std::unique_ptr<SloMonitor> monitor_;
  delivery::HttpTransportPtr transport_;
  std::unique_ptr<AlertSender> sender_;  // none without alerts:
  SloServiceOptions options_;
  PeriodicTask task_;  // last: stopped before what it uses goes
};

}  // namespace weft::slo
