#include "slo/slo_service.hpp"

#include "delivery/curl_transport.hpp"
#include "weft/log.hpp"

namespace weft::slo {

SloService::SloService(const config::Config& config, WorkflowStore& workflows, AlertStore& alerts,
                       metrics::Registry& registry, ClockPtr clock,
                       delivery::HttpTransportPtr transport, SloServiceOptions options)
    : metrics_(registry), transport_(std::move(transport)), options_(options) {
  SloMonitorOptions monitor_options;
  monitor_options.alerts = config.alerts.has_value();
  if (config.alerts) monitor_options.repeat_after_ms = config.alerts->repeat_after_ms;
  monitor_ = std::make_unique<SloMonitor>(config.slos, workflows, alerts, metrics_, clock,
                                          monitor_options);
  if (config.alerts) {
    if (!transport_) transport_ = std::make_unique<delivery::CurlTransport>();
    sender_ = std::make_unique<AlertSender>(alerts, *config.alerts, *transport_, metrics_, clock,
                                            options.sender);
  }
}

SloService::~SloService() { stop(); }

Result<void, std::string> SloService::start(bool thread) {
  if (auto loaded = monitor_->load(); !loaded) return loaded;
  if (thread) thread_ = std::thread([this] { loop(); });
  return {};
}

void SloService::stop() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void SloService::tick() {
  if (auto evaluated = monitor_->evaluate(); !evaluated) {
    log::error("slo.evaluate_failed", {{"error", evaluated.error()}});
  }
  if (sender_) sender_->send_due();
}

void SloService::loop() {
  std::unique_lock lock(mutex_);
  while (!stopping_) {
    lock.unlock();
    tick();
    lock.lock();
    wake_.wait_for(lock, options_.interval, [this] { return stopping_; });
  }
}

}  // namespace weft::slo
