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
  if (thread) task_.start(options_.interval, [this] { tick(); });
  return {};
}

void SloService::stop() { task_.stop(); }

void SloService::tick() {
  if (auto evaluated = monitor_->evaluate(); !evaluated) {
    log::error("slo.evaluate_failed", {{"error", evaluated.error()}});
  }
  if (sender_) sender_->send_due();
}

}  // namespace weft::slo
