#pragma once
// DeliveryInvoker: the engine's ActionInvoker for real platforms. One call of invoke() is one
// attempt of one step's effect:
//
//   connector lookup (unknown name, or a type with no outbound side yet: validation)
//   → connector.prepare (bad input: validation, nothing sent, breaker untouched)
//   → circuit breaker open?           → Deferred{until the cool-down ends, "circuit open"}
//   → concurrency cap (max_concurrency) full? → Deferred{options.concurrency_wait}
//     (connectors naming a concurrency_pool share one adaptive cap instead, whose ceiling is
//     their smallest max_concurrency: a failure the connector calls is_concurrency_limit
//     lowers it, successes raise it back; see OutboundConnector::concurrency_pool)
//   → rate limit (rate_per_second/burst, or a Retry-After penalty)? → Deferred{until a token}
//   → breaker admission (go, or the half-open probe; a probe already out → Deferred)
//   → connector.authorize → transport.send → connector.classifier().classify
//   → success: connector.read_success → ActionSuccess
//     failure: breaker fed per default_handling(cls).counts_toward_breaker (a failure that
//     does not count is reported as a success: the platform answered); a retryable failure
//     with Retry-After holds the whole connector (rate limiter penalty) → the Failure
//
// Deferred work has not been attempted and does not use up a retry; the engine schedules it
// after `wait`. Every request gets traceparent and X-Correlation-Id (delivery/trace_context).
//
// Metrics (on the registry given):
//   weft_outbound_requests_total{connector,action,outcome}  outcome: success, a failure class,
//                                                            or deferred
//   weft_outbound_seconds{connector}                         transport time of sent attempts
//   weft_circuit_open{connector}                             1 unless the breaker is closed
//                                                            (as of the last call)
// Logs: delivery.* lines with connector, action, correlation_id, instance and step.
//
// Threads: invoke() and invoke_async() from any number of threads at once. invoke() blocks
// for the duration of the HTTP exchange (bounded by the connector's timeout_seconds).
// invoke_async() runs the admission checks and the connector's local work (prepare,
// authorize) on the caller's thread and hands the exchange to the transport's send_async;
// `done` runs on the transport's thread when the platform answered (or on the caller's, for
// an attempt that went nowhere). A follow-up request is authorized and sent from the
// transport's thread. The per-connector limiters and breaker are shared by all callers;
// nothing global is locked during a transfer.

#include <chrono>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "config/config.hpp"
#include "delivery/circuit_breaker.hpp"
#include "delivery/http_transport.hpp"
#include "delivery/rate_limiter.hpp"
#include "engine/action_invoker.hpp"
#include "weft/clock.hpp"
#include "weft/metrics.hpp"

namespace weft::delivery {

struct DeliveryOptions {
  // The same for every connector (the config has no breaker keys yet).
  CircuitBreakerConfig breaker;
  // How long a call turned away by a full concurrency cap waits before it asks again (a cap
  // gives no finish time; calls last milliseconds to seconds).
  std::chrono::milliseconds concurrency_wait{100};
};

// One connector's health as of now, for the console's overview (GET /v1/overview).
struct ConnectorHealth {
  std::string connector;
  BreakerState circuit = BreakerState::closed;
  RateLimit rate;                 // configured (a connector without one: effectively unlimited)
  bool rate_configured = false;
  int rate_available = 0;         // requests that could go at once (0 … burst)
  bool rate_penalised = false;    // held by a platform's Retry-After
  // The last failed attempt, if any: when (unix ms), its class and message.
  std::int64_t last_error_at_ms = 0;
  std::string last_error_class, last_error_message;
};

class DeliveryInvoker final : public engine::ActionInvoker {
 public:
  // One channel (limiter, cap, breaker, connector) per configured connector. Throws
  // std::invalid_argument when a connector's limits or options.breaker are unusable (the
  // primitives' find_problem): a start-up error.
  DeliveryInvoker(const config::Config& config, HttpTransportPtr transport, ClockPtr clock,
                  metrics::Registry& registry, DeliveryOptions options = {});
  ~DeliveryInvoker() override;
  DeliveryInvoker(const DeliveryInvoker&) = delete;
  DeliveryInvoker& operator=(const DeliveryInvoker&) = delete;

  engine::ActionOutcome invoke(const engine::ActionRequest& request) override;
  void invoke_async(const engine::ActionRequest& request, engine::ActionDone done) override;

  // The breaker of a connector, for status pages and tests; nullopt for an unknown name.
  std::optional<BreakerSnapshot> breaker(std::string_view connector) const;
  // For list actions read page by page: the input of the page after `output`, as the
  // connector's OutboundConnector::next_page says; nullopt on the last page, for actions that
  // are not lists and for unknown connectors. Any thread.
  std::optional<nlohmann::json> next_page(const engine::ActionRequest& request,
                                          const nlohmann::json& output) const;
  // Every configured connector's health, by name. Any thread.
  std::vector<ConnectorHealth> health() const;

 private:
  struct Channel;
  struct Metrics;
  struct Call;
  // The outcome when the attempt may not go out now (bad input, open breaker, no slot or
  // token); nullopt when it is admitted.
  std::optional<engine::ActionOutcome> admit(Call& call);
  // Authorizes and sends call.outbound; answered() takes it from there.
  void send(std::shared_ptr<Call> call);
  void answered(std::shared_ptr<Call> call, Attempt answer,
                std::chrono::steady_clock::time_point started);
  engine::Deferred deferred(const Call& call, std::chrono::steady_clock::duration wait,
                            std::string reason);
  Failure failed(const Call& call, Failure failure, bool sent);
  // Tells the breaker how the attempt ended; logs when that changed its state.
  void report(const Call& call, const Failure* failure);

  HttpTransportPtr transport_;
  ClockPtr clock_;
  DeliveryOptions options_;
  std::unique_ptr<Metrics> metrics_;
  std::map<std::string, std::unique_ptr<Channel>, std::less<>> channels_;  // fixed after construction
  std::string known_names_;  // for the unknown-connector message
};

// The invoker `weft serve` uses: over a CurlTransport.
std::unique_ptr<DeliveryInvoker> make_delivery_invoker(const config::Config& config,
                                                       metrics::Registry& registry, ClockPtr clock,
                                                       DeliveryOptions options = {});

}  // namespace weft::delivery
