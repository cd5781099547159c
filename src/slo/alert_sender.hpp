#pragma once
// AlertSender: delivers queued SLO alerts to the configured webhook, through the injectable
// HttpTransport (tests inject outages and answers).
//
// Each attempt POSTs the alert's JSON body signed like Weft's relayed webhooks:
//   X-Weft-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256(secret, t + "." + body)>
// (connectors/weft_signature.hpp) plus Weft-Alert-Id: <id>, so a receiver can verify the
// sender, reject replays by the timestamp, and de-duplicate by id. A 2xx delivers it; anything
// else (connection failure, timeout, non-2xx) is retried with exponential backoff and jitter,
// up to give_up_after from when it was queued, then abandoned with an error log. Attempts are
// recorded in the AlertStore, so a restart carries on where it stopped.
//
// Threads: send_due() from one thread at a time (the SloService's), never an engine worker.

#include <chrono>
#include <cstdint>

#include "config/config.hpp"
#include "delivery/backoff.hpp"
#include "delivery/http_transport.hpp"
#include "slo/slo_monitor.hpp"
#include "weft/alert_store.hpp"
#include "weft/clock.hpp"

namespace weft::slo {

inline constexpr const char* kAlertIdHeader = "Weft-Alert-Id";

struct AlertSenderOptions {
  std::chrono::milliseconds initial_delay{std::chrono::seconds(5)};
  std::chrono::milliseconds max_delay{std::chrono::minutes(5)};
  std::chrono::milliseconds give_up_after{std::chrono::hours(24)};
  int batch = 50;                 // alerts attempted per send_due()
  std::uint64_t random_seed = 0;  // 0: from the clock
};

class AlertSender {
 public:
  AlertSender(AlertStore& store, config::AlertsConfig config, delivery::HttpTransport& transport,
              SloMetrics& metrics, ClockPtr clock, AlertSenderOptions options = {});

  // Attempts the alerts that are due, oldest first, until one fails (so a webhook that hangs
  // holds a round up for one timeout, not one per alert); how many were delivered.
  int send_due();

 private:
  void attempt(AlertRecord& alert);

  AlertStore& store_;
  config::AlertsConfig config_;
  delivery::HttpTransport& transport_;
  SloMetrics& metrics_;
  ClockPtr clock_;
  AlertSenderOptions options_;
  delivery::RetryPolicy policy_;
  delivery::RandomSource random_;
};

}  // namespace weft::slo
