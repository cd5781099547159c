#include "slo/alert_sender.hpp"

#include "connectors/weft_signature.hpp"
#include "weft/log.hpp"

namespace weft::slo {

AlertSender::AlertSender(AlertStore& store, config::AlertsConfig config,
                         delivery::HttpTransport& transport, SloMetrics& metrics, ClockPtr clock,
                         AlertSenderOptions options)
    : store_(store),
      config_(std::move(config)),
      transport_(transport),
      metrics_(metrics),
      clock_(std::move(clock)),
      options_(options) {
  policy_.initial_delay = options_.initial_delay;
  policy_.max_delay = options_.max_delay;
  policy_.jitter = delivery::Jitter::equal;  // never much sooner than the backoff says
  random_ = delivery::seeded_random(options_.random_seed != 0
                                        ? options_.random_seed
                                        : static_cast<std::uint64_t>(clock_->unix_millis()));
}

int AlertSender::send_due() {
  auto due = store_.due_alerts(clock_->unix_millis(), options_.batch);
  if (!due) {
    log::error("slo.alerts_unreadable", {{"error", due.error().message}});
    return 0;
  }
  int delivered = 0;
  for (AlertRecord& alert : *due) {
    attempt(alert);
    if (alert.status != "delivered")
      break;  // the webhook is unwell: the rest wait for the next round
    ++delivered;
  }
  return delivered;
}

void AlertSender::attempt(AlertRecord& alert) {
  delivery::OutboundRequest request;
  request.method = "POST";
  request.url = config_.webhook_url;
  request.body = alert.body;
  request.timeout = std::chrono::seconds(config_.timeout_seconds);
  request.headers.add("Content-Type", "application/json");
  request.headers.add(kAlertIdHeader, alert.id);
  request.headers.add(std::string(connectors::kWeftSignatureHeader),
                      connectors::TimestampedSignatureVerifier::sign(
                          config_.secret.reveal(), clock_->unix_seconds(), alert.body));
  const delivery::Attempt result = transport_.send(request);
  const std::int64_t now = clock_->unix_millis();
  const auto failure = delivery::classify_attempt(result, clock_->now());
  ++alert.attempts;
  if (!failure) {
    alert.status = "delivered";
    alert.delivered_at_ms = now;
    alert.last_error.clear();
    metrics_.alert_attempts.with({"delivered"}).inc();
    log::info("slo.alert_delivered", {{"alert", alert.id},
                                      {"slo", alert.slo},
                                      {"kind", alert.kind},
                                      {"attempts", alert.attempts}});
  } else {
    alert.last_error = failure->message;
    auto delay = delivery::backoff_delay(policy_, alert.attempts, random_());
    if (failure->retry_after && *failure->retry_after > delay) delay = *failure->retry_after;
    alert.next_attempt_ms = now + delay.count();
    if (alert.next_attempt_ms - alert.created_at_ms > options_.give_up_after.count()) {
      alert.status = "abandoned";
      metrics_.alert_attempts.with({"abandoned"}).inc();
      log::error("slo.alert_abandoned", {{"alert", alert.id},
                                         {"slo", alert.slo},
                                         {"kind", alert.kind},
                                         {"attempts", alert.attempts},
                                         {"error", alert.last_error}});
    } else {
      metrics_.alert_attempts.with({"failed"}).inc();
      log::warn("slo.alert_failed", {{"alert", alert.id},
                                     {"slo", alert.slo},
                                     {"attempts", alert.attempts},
                                     {"retry_in_ms", delay.count()},
                                     {"error", alert.last_error}});
    }
  }
  if (auto saved = store_.update_alert(alert); !saved) {
    // It stays due as it was: the next round attempts it again.
    log::error("slo.alert_unsaved", {{"alert", alert.id}, {"error", saved.error().message}});
  }
}

}  // namespace weft::slo
