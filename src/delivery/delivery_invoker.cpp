#include "delivery/delivery_invoker.hpp"

#include <algorithm>
#include <future>
#include <mutex>
#include <stdexcept>
#include <utility>
#include <variant>
#include <vector>

#include "connectors/outbound_registry.hpp"
#include "delivery/concurrency_limiter.hpp"
#include "delivery/curl_transport.hpp"
#include "delivery/rate_limiter.hpp"
#include "delivery/trace_context.hpp"
#include "weft/log.hpp"

namespace weft::delivery {

namespace {

// A connector without a configured rate still gets a limiter, so that a platform's
// Retry-After holds it; at this rate it never limits anything else.
constexpr RateLimit kUnlimited{1e6, 1'000'000};

std::chrono::milliseconds wait_ms(std::chrono::steady_clock::duration d) {
  // Rounded up and at least 1 ms: a zero wait would bring the work straight back.
  const auto ms = std::chrono::ceil<std::chrono::milliseconds>(d);
  return std::max(ms, std::chrono::milliseconds(1));
}

}  // namespace

struct DeliveryInvoker::Metrics {
  metrics::Family<metrics::Counter>& requests;
  metrics::Family<metrics::Histogram>& seconds;
  metrics::Family<metrics::Gauge>& circuit_open;

  explicit Metrics(metrics::Registry& registry)
      : requests(registry.counter("weft_outbound_requests_total",
                                  "Outbound connector calls by outcome: success, the failure "
                                  "class, or deferred (rate limit, concurrency cap, open circuit)",
                                  {"connector", "action", "outcome"})),
        seconds(registry.histogram("weft_outbound_seconds",
                                   "Time of outbound HTTP exchanges that were sent",
                                   {"connector"}, metrics::latency_buckets())),
        circuit_open(registry.gauge("weft_circuit_open",
                                    "1 while a connector's circuit breaker is not closed",
                                    {"connector"})) {}

  void count(const engine::ActionRequest& request, std::string_view outcome) {
    requests.with({request.connector, request.action, std::string(outcome)}).inc();
  }
};

struct DeliveryInvoker::Channel {
  std::string name;
  std::string type;
  connectors::OutboundConnectorPtr connector;  // null: the type has no outbound side yet
  std::unique_ptr<RateLimiter> rate;
  std::unique_ptr<ConcurrencyLimiter> concurrency;  // null: unlimited (or pooled)
  // The adaptive cap this connector shares with the others of its concurrency_pool (e.g.
  // every NetSuite connector of one account); null: not pooled.
  std::shared_ptr<AdaptiveConcurrencyLimiter> pool;
  std::string pool_name;
  std::unique_ptr<CircuitBreaker> breaker;
  metrics::Histogram* seconds = nullptr;
  metrics::Gauge* circuit_open = nullptr;
  bool rate_configured = false;
  // The last failure, for health(): written by whichever worker failed last.
  mutable std::mutex last_error_mutex;
  std::int64_t last_error_at_ms = 0;
  std::string last_error_class, last_error_message;

  void note_failure(const Failure& f, std::int64_t now_ms) {
    std::lock_guard lock(last_error_mutex);
    last_error_at_ms = now_ms;
    last_error_class = to_string(f.cls);
    last_error_message = f.message;
  }

  BreakerState publish_breaker(std::chrono::steady_clock::time_point now) const {
    const BreakerState state = breaker->state(now);
    circuit_open->set(state == BreakerState::closed ? 0.0 : 1.0);
    return state;
  }
};

// One attempt while it runs: admitted, then one exchange or more (follow-ups), then `done`.
struct DeliveryInvoker::Call {
  Channel& ch;
  engine::ActionRequest request;
  engine::ActionDone done;
  OutboundRequest outbound;     // the next request to send
  std::optional<Permit> permit;  // the concurrency slot, while held
  Admission admission;           // the breaker's, handed back with the report
  std::vector<http::Response> answers;
};

DeliveryInvoker::DeliveryInvoker(const config::Config& config, HttpTransportPtr transport,
                                 ClockPtr clock, metrics::Registry& registry,
                                 DeliveryOptions options)
    : transport_(std::move(transport)),
      clock_(std::move(clock)),
      options_(std::move(options)),
      metrics_(std::make_unique<Metrics>(registry)) {
  std::vector<std::string> skipped;
  connectors::OutboundConnectorMap built =
      connectors::make_outbound_connectors(config, clock_, &skipped);
  for (const auto& name : skipped) {
    log::warn("connector.no_outbound",
              {{"connector", name},
               {"type", config.connectors.at(name).type},
               {"detail", "this platform type has no outbound actions yet; calls to it fail"}});
  }
  // One adaptive cap per concurrency pool. Its ceiling is the smallest max_concurrency its
  // connectors give (the account has one limit; the smallest is the safe reading of it),
  // else AdaptiveConcurrency's default.
  std::map<std::string, int> pool_ceiling;
  for (const auto& [name, connector] : built) {
    const std::string pool = connector->concurrency_pool();
    if (pool.empty()) continue;
    const int max = config.connectors.at(name).max_concurrency;
    auto [it, inserted] = pool_ceiling.emplace(pool, max);
    if (!inserted && max > 0 && (it->second == 0 || max < it->second)) it->second = max;
  }
  std::map<std::string, std::shared_ptr<AdaptiveConcurrencyLimiter>> pools;
  for (const auto& [pool, ceiling] : pool_ceiling) {
    AdaptiveConcurrency adaptive;
    if (ceiling > 0) adaptive.max = ceiling;
    pools.emplace(pool, std::make_shared<AdaptiveConcurrencyLimiter>(adaptive));
    log::info("delivery.concurrency_pool",
              {{"pool", pool},
               {"max", adaptive.max},
               {"detail", ceiling > 0 ? "the smallest max_concurrency of its connectors"
                                      : "no max_concurrency given: the default"}});
  }

  for (const auto& [name, c] : config.connectors) {
    auto channel = std::make_unique<Channel>();
    channel->name = name;
    channel->type = c.type;
    if (auto it = built.find(name); it != built.end()) channel->connector = std::move(it->second);
    try {
      channel->rate_configured = c.rate_per_second > 0;
      channel->rate = std::make_unique<RateLimiter>(
          c.rate_per_second > 0 ? RateLimit{c.rate_per_second, std::max(1, c.burst)} : kUnlimited);
      const std::string pool = channel->connector ? channel->connector->concurrency_pool() : "";
      if (!pool.empty()) {
        channel->pool = pools.at(pool);
        channel->pool_name = pool;
      } else if (c.max_concurrency > 0) {
        channel->concurrency = std::make_unique<ConcurrencyLimiter>(c.max_concurrency);
      }
      channel->breaker = std::make_unique<CircuitBreaker>(options_.breaker);
    } catch (const std::invalid_argument& e) {
      throw std::invalid_argument("connector " + name + ": " + e.what());
    }
    channel->seconds = &metrics_->seconds.with({name});
    channel->circuit_open = &metrics_->circuit_open.with({name});
    channel->circuit_open->set(0);
    if (!known_names_.empty()) known_names_ += ", ";
    known_names_ += name;
    channels_.emplace(name, std::move(channel));
  }
}

DeliveryInvoker::~DeliveryInvoker() = default;

std::optional<BreakerSnapshot> DeliveryInvoker::breaker(std::string_view connector) const {
  const auto it = channels_.find(connector);
  if (it == channels_.end()) return std::nullopt;
  return it->second->breaker->snapshot(clock_->monotonic());
}

std::optional<nlohmann::json> DeliveryInvoker::next_page(const engine::ActionRequest& request,
                                                         const nlohmann::json& output) const {
  const auto it = channels_.find(request.connector);
  if (it == channels_.end() || !it->second->connector) return std::nullopt;
  return it->second->connector->next_page(request, output);
}

std::vector<ConnectorHealth> DeliveryInvoker::health() const {
  const auto now = clock_->monotonic();
  std::vector<ConnectorHealth> out;
  for (const auto& [name, ch] : channels_) {
    ConnectorHealth h;
    h.connector = name;
    h.circuit = ch->breaker->state(now);
    h.rate = ch->rate->limit();
    h.rate_configured = ch->rate_configured;
    h.rate_available = ch->rate->available(now);
    h.rate_penalised = ch->rate->penalty_until(now).has_value();
    {
      std::lock_guard lock(ch->last_error_mutex);
      h.last_error_at_ms = ch->last_error_at_ms;
      h.last_error_class = ch->last_error_class;
      h.last_error_message = ch->last_error_message;
    }
    out.push_back(std::move(h));
  }
  return out;
}

engine::ActionOutcome DeliveryInvoker::invoke(const engine::ActionRequest& request) {
  std::promise<engine::ActionOutcome> promise;
  auto outcome = promise.get_future();
  invoke_async(request, [&promise](engine::ActionOutcome o) { promise.set_value(std::move(o)); });
  return outcome.get();
}

void DeliveryInvoker::invoke_async(const engine::ActionRequest& request, engine::ActionDone done) {
  const auto it = channels_.find(request.connector);
  if (it == channels_.end() || !it->second->connector) {
    Failure f;
    f.cls = FailureClass::validation;
    f.message = it == channels_.end()
                    ? "unknown connector '" + request.connector + "' (configured: " +
                          (known_names_.empty() ? std::string("none") : known_names_) + ")"
                    : "connector '" + request.connector + "' has type " + it->second->type +
                          ", which has no outbound actions in this version of Weft";
    metrics_->count(request, to_string(f.cls));
    log::warn("delivery.failed", {{"connector", request.connector},
                                  {"action", request.action},
                                  {"class", to_string(f.cls)},
                                  {"message", f.message},
                                  {"correlation_id", request.correlation_id},
                                  {"traceparent", request.traceparent},
                                  {"instance", request.instance_id},
                                  {"step", request.step_id}});
    return done(std::move(f));
  }
  Channel& ch = *it->second;
  // The admission checks run on the caller's thread; only the exchange itself is awaited.
  auto call = std::make_shared<Call>(Call{ch, request, std::move(done), {}, std::nullopt, {}, {}});
  if (std::optional<engine::ActionOutcome> refused = admit(*call)) return call->done(std::move(*refused));
  send(std::move(call));
}

std::optional<engine::ActionOutcome> DeliveryInvoker::admit(Call& call) {
  Channel& ch = call.ch;
  // Local work first: input the connector cannot encode never takes a slot or a token.
  auto prepared = ch.connector->prepare(call.request);
  if (!prepared) return failed(call, std::move(prepared).error(), false);
  call.outbound = std::move(prepared).value();
  add_trace_headers(call.request, call.outbound.headers);

  const auto now = clock_->monotonic();
  // An open breaker turns work away before it takes a slot or a token.
  if (const BreakerSnapshot snap = ch.breaker->snapshot(now); snap.state == BreakerState::open) {
    ch.publish_breaker(now);
    return deferred(call, snap.open_until - now, "circuit open");
  }
  if (ch.pool) {
    call.permit = ch.pool->try_acquire();
    if (!call.permit) {
      return deferred(call, options_.concurrency_wait,
                      "concurrency limit (shared: " + ch.pool_name + ")");
    }
  } else if (ch.concurrency) {
    call.permit = ch.concurrency->try_acquire();
    if (!call.permit) return deferred(call, options_.concurrency_wait, "concurrency limit");
  }
  if (const RateDecision rate = ch.rate->try_acquire(now); !rate.granted) {
    return deferred(call, rate.wait,
                    ch.rate->penalty_until(now) ? "rate limit (platform's Retry-After)" : "rate limit");
  }
  call.admission = ch.breaker->allow(now);
  if (!call.admission.may_call()) {
    ch.publish_breaker(now);
    return deferred(call, call.admission.wait, "circuit half-open: a probe is in flight");
  }
  return std::nullopt;
}

void DeliveryInvoker::send(std::shared_ptr<Call> call) {
  Channel& ch = call->ch;
  const connectors::OutboundContext context{*transport_, *clock_};
  if (auto authorized = ch.connector->authorize(call->outbound, context); !authorized) {
    Failure f = authorized.error();
    report(*call, &f);
    ch.connector->on_failure(call->request, f);
    const bool sent = !call->answers.empty();
    return call->done(failed(*call, std::move(f), sent));
  }
  const auto started = clock_->monotonic();
  OutboundRequest outbound = std::move(call->outbound);
  transport_->send_async(std::move(outbound), [this, call = std::move(call), started](Attempt answer) mutable {
    answered(std::move(call), std::move(answer), started);
  });
}

void DeliveryInvoker::answered(std::shared_ptr<Call> call, Attempt answer,
                               std::chrono::steady_clock::time_point started) {
  Channel& ch = call->ch;
  const engine::ActionRequest& request = call->request;
  const auto now = clock_->monotonic();
  ch.seconds->observe(std::chrono::duration<double>(now - started).count());

  if (std::optional<Failure> failure = ch.connector->classifier().classify(answer)) {
    if (ch.pool && call->permit && ch.connector->is_concurrency_limit(*failure)) {
      ch.pool->on_limit_exceeded(*call->permit);
      log::info("delivery.concurrency_refused", {{"pool", ch.pool_name},
                                                {"connector", ch.name},
                                                {"limit", ch.pool->limit()},
                                                {"correlation_id", request.correlation_id}});
    }
    if (call->permit) call->permit->release();
    report(*call, &*failure);
    if (penalises_connector(*failure)) ch.rate->penalise_until(now + *failure->retry_after);
    ch.connector->on_failure(request, *failure);
    const bool sent = !call->answers.empty() || (answer.transport != Transport::connect_failed &&
                                                 answer.transport != Transport::timeout_before_send);
    return call->done(failed(*call, std::move(*failure), sent));
  }
  call->answers.push_back(std::move(answer.response));
  auto reading = ch.connector->read_exchange(request, call->answers);
  if (!reading) {
    if (call->permit) call->permit->release();
    report(*call, nullptr);  // the platform answered well; the connector could not read it
    return call->done(failed(*call, std::move(reading).error(), true));
  }
  if (auto* follow = std::get_if<connectors::FollowUp>(&reading.value())) {
    // One attempt is the first request and any follow-ups the connector asks for (read-
    // before-write), all under one admission; the breaker hears of the attempt once, at its end.
    if (static_cast<int>(call->answers.size()) >= connectors::kMaxExchanges) {
      if (call->permit) call->permit->release();
      report(*call, nullptr);
      return call->done(failed(*call,
                               connectors::bad_input("action " + request.action + " of connector " +
                                                     ch.name + " asked for more than " +
                                                     std::to_string(connectors::kMaxExchanges) +
                                                     " requests in one attempt"),
                               true));
    }
    call->outbound = std::move(follow->request);
    add_trace_headers(request, call->outbound.headers);
    return send(std::move(call));
  }
  if (ch.pool && call->permit) ch.pool->on_success(*call->permit);
  if (call->permit) call->permit->release();
  report(*call, nullptr);
  metrics_->count(request, "success");
  if (log::enabled(log::Level::debug)) {
    log::debug("delivery.succeeded", {{"connector", ch.name},
                                      {"action", request.action},
                                      {"http_status", call->answers.back().status},
                                      {"requests", static_cast<std::int64_t>(call->answers.size())},
                                      {"correlation_id", request.correlation_id},
                                      {"traceparent", request.traceparent},
                                      {"instance", request.instance_id},
                                      {"step", request.step_id}});
  }
  call->done(engine::ActionSuccess{std::get<nlohmann::json>(std::move(reading).value())});
}

engine::Deferred DeliveryInvoker::deferred(const Call& call, std::chrono::steady_clock::duration wait,
                                           std::string reason) {
  metrics_->count(call.request, "deferred");
  const auto ms = wait_ms(wait);
  if (log::enabled(log::Level::debug)) {
    log::debug("delivery.deferred", {{"connector", call.ch.name},
                                     {"action", call.request.action},
                                     {"reason", reason},
                                     {"wait_ms", static_cast<std::int64_t>(ms.count())},
                                     {"correlation_id", call.request.correlation_id},
                                     {"traceparent", call.request.traceparent},
                                     {"instance", call.request.instance_id},
                                     {"step", call.request.step_id}});
  }
  return engine::Deferred{ms, std::move(reason)};
}

Failure DeliveryInvoker::failed(const Call& call, Failure f, bool sent) {
  const engine::ActionRequest& request = call.request;
  metrics_->count(request, to_string(f.cls));
  call.ch.note_failure(f, clock_->unix_millis());
  const Handling handling = default_handling(f.cls);
  log::write(handling.retryable ? log::Level::info : log::Level::warn, "delivery.failed",
             {{"connector", call.ch.name},
              {"action", request.action},
              {"class", to_string(f.cls)},
              {"http_status", f.http_status},
              {"platform_code", f.platform_code},
              {"message", f.message},
              {"sent", sent},
              {"outcome_uncertain", handling.outcome_uncertain},
              {"correlation_id", request.correlation_id},
              {"traceparent", request.traceparent},
              {"instance", request.instance_id},
              {"step", request.step_id}});
  return f;
}

void DeliveryInvoker::report(const Call& call, const Failure* failure) {
  Channel& ch = call.ch;
  const auto at = clock_->monotonic();
  const BreakerState before = ch.breaker->state(at);
  if (failure != nullptr && default_handling(failure->cls).counts_toward_breaker) {
    ch.breaker->on_failure(call.admission, at);
  } else {
    ch.breaker->on_success(call.admission);
  }
  const BreakerState after = ch.publish_breaker(at);
  if (after == BreakerState::open && before != BreakerState::open) {
    const BreakerSnapshot snap = ch.breaker->snapshot(at);
    log::warn("delivery.circuit_opened",
              {{"connector", ch.name},
               {"cool_down_ms", static_cast<std::int64_t>(snap.cool_down.count())},
               {"reason", failure != nullptr ? failure->message : std::string()},
               {"correlation_id", call.request.correlation_id}});
  } else if (after == BreakerState::closed && before != BreakerState::closed) {
    log::info("delivery.circuit_closed", {{"connector", ch.name}});
  }
}

std::unique_ptr<DeliveryInvoker> make_delivery_invoker(const config::Config& config,
                                                       metrics::Registry& registry, ClockPtr clock,
                                                       DeliveryOptions options) {
  CurlTransportOptions transport;
  transport.user_agent = std::string("weft/") + WEFT_VERSION;
  return std::make_unique<DeliveryInvoker>(config, std::make_unique<CurlTransport>(transport),
                                           std::move(clock), registry, std::move(options));
}

}  // namespace weft::delivery
