// Outbound delivery as the engine sees it: what a platform receives, and when a call goes,
// waits (Deferred) or fails — with a fake transport and a manual clock, so nothing sleeps.
#include "delivery/delivery_invoker.hpp"

#include <gtest/gtest.h>

#include <deque>
#include <functional>
#include <future>
#include <mutex>
#include <optional>
#include <regex>
#include <thread>

#include "delivery/trace_context.hpp"
#include "weft/manual_clock.hpp"

namespace weft::delivery {
namespace {

using namespace std::chrono_literals;

Attempt respond(int status, std::string body = "{}",
                std::vector<std::pair<std::string, std::string>> headers = {}) {
  Attempt a;
  a.response.status = status;
  a.response.body = std::move(body);
  for (auto& [k, v] : headers) a.response.headers.add(k, v);
  return a;
}

Attempt transport_fault(Transport t) {
  Attempt a;
  a.transport = t;
  a.transport_detail = "injected";
  return a;
}

// Records every request; answers from a script (then 200 {"id":"ok"} when it runs out).
class FakeTransport final : public HttpTransport {
 public:
  using Step = std::function<Attempt(const OutboundRequest&)>;

  Attempt send(const OutboundRequest& request) override {
    Step step;
    {
      std::lock_guard lock(mutex_);
      sent_.push_back(request);
      if (!script_.empty()) {
        step = std::move(script_.front());
        script_.pop_front();
      }
    }
    if (step) return step(request);
    return respond(200, R"({"id":"ok"})");
  }

  // After hold(), send_async keeps each exchange in flight until answer() ends it, the way
  // the real transport's event loop does (invoke() would wait for ever: only invoke_async).
  void send_async(OutboundRequest request, SendDone done) override {
    {
      std::lock_guard lock(mutex_);
      if (holding_) {
        sent_.push_back(std::move(request));
        held_.push_back(std::move(done));
        return;
      }
    }
    done(send(request));
  }
  void hold() {
    std::lock_guard lock(mutex_);
    holding_ = true;
  }
  std::size_t held() const {
    std::lock_guard lock(mutex_);
    return held_.size();
  }
  // Ends the oldest exchange in flight with `attempt`.
  void answer(Attempt attempt) {
    SendDone done;
    {
      std::lock_guard lock(mutex_);
      done = std::move(held_.front());
      held_.pop_front();
    }
    done(std::move(attempt));
  }

  void then(Step step) {
    std::lock_guard lock(mutex_);
    script_.push_back(std::move(step));
  }
  void then(Attempt attempt) {
    then([attempt](const OutboundRequest&) { return attempt; });
  }
  std::vector<OutboundRequest> sent() const {
    std::lock_guard lock(mutex_);
    return sent_;
  }
  std::size_t calls() const {
    std::lock_guard lock(mutex_);
    return sent_.size();
  }

 private:
  mutable std::mutex mutex_;
  std::deque<Step> script_;
  std::vector<OutboundRequest> sent_;
  bool holding_ = false;
  std::deque<SendDone> held_;
};

// A call that stays in flight until the test lets it finish.
struct Gate {
  std::promise<void> entered;
  std::promise<void> release;
  std::shared_future<void> released = release.get_future().share();

  FakeTransport::Step step(Attempt answer) {
    return [this, answer](const OutboundRequest&) {
      entered.set_value();
      released.wait();
      return answer;
    };
  }
};

config::Config load(const std::string& connectors_yaml) {
  auto parsed = config::parse("connectors:\n" + connectors_yaml, "test.yaml");
  if (!parsed) throw std::runtime_error(config::format_errors(parsed.error()));
  return std::move(parsed).value();
}

const char* kTarget = R"(  target:
    type: http
    base_url: http://platform.test/api
    api_key: sk_test_123
)";

class DeliveryInvokerTest : public ::testing::Test {
 protected:
  void make(const std::string& yaml = kTarget, DeliveryOptions options = {}) {
    auto transport = std::make_unique<FakeTransport>();
    fake = transport.get();
    invoker = std::make_unique<DeliveryInvoker>(load(yaml), std::move(transport), clock, registry,
                                                options);
  }

  static engine::ActionRequest call(std::string action = "create_effect") {
    engine::ActionRequest r;
    r.connector = "target";
    r.action = std::move(action);
    r.input = {{"path", "/effects"}, {"body", {{"amount", 1250}, {"currency", "eur"}}}};
    r.idempotency_key = "wf-1234:credit";
    r.correlation_id = "corr-42";
    r.instance_id = "inst-7";
    r.step_id = "credit";
    return r;
  }

  std::string metrics_text() const { return registry.render(); }
  bool has_line(const std::string& line) const {
    return metrics_text().find(line + "\n") != std::string::npos;
  }

  std::shared_ptr<ManualClock> clock = std::make_shared<ManualClock>();
  metrics::Registry registry;
  FakeTransport* fake = nullptr;
  std::unique_ptr<DeliveryInvoker> invoker;
};

// By value: the outcome is usually a temporary.
Failure failure_of(const engine::ActionOutcome& outcome) {
  if (!std::holds_alternative<Failure>(outcome)) {
    ADD_FAILURE() << "expected a Failure";
    return {};
  }
  return std::get<Failure>(outcome);
}

engine::Deferred deferred_of(const engine::ActionOutcome& outcome) {
  if (!std::holds_alternative<engine::Deferred>(outcome)) {
    ADD_FAILURE() << "expected Deferred";
    return {};
  }
  return std::get<engine::Deferred>(outcome);
}

const std::regex kTraceparent("^00-[0-9a-f]{32}-[0-9a-f]{16}-01$");

TEST_F(DeliveryInvokerTest, PlatformReceivesMethodUrlBodyKeyTraceAndBearer) {
  make();
  const auto outcome = invoker->invoke(call());
  ASSERT_TRUE(std::holds_alternative<engine::ActionSuccess>(outcome));
  EXPECT_EQ(std::get<engine::ActionSuccess>(outcome).output, nlohmann::json({{"id", "ok"}}));

  const auto sent = fake->sent();
  ASSERT_EQ(sent.size(), 1u);
  const OutboundRequest& r = sent[0];
  EXPECT_EQ(r.method, "POST");
  EXPECT_EQ(r.url, "http://platform.test/api/effects");
  EXPECT_EQ(nlohmann::json::parse(r.body), nlohmann::json({{"amount", 1250}, {"currency", "eur"}}));
  EXPECT_EQ(r.headers.get("Content-Type").value_or(""), "application/json");
  EXPECT_EQ(r.headers.get("Idempotency-Key").value_or(""), "wf-1234:credit");
  EXPECT_EQ(r.headers.get("X-Correlation-Id").value_or(""), "corr-42");
  EXPECT_EQ(r.headers.get("Authorization").value_or(""), "Bearer sk_test_123");
  const std::string traceparent(r.headers.get("traceparent").value_or(""));
  EXPECT_TRUE(std::regex_match(traceparent, kTraceparent)) << traceparent;
  EXPECT_EQ(r.timeout, 30s);
}

TEST_F(DeliveryInvokerTest, RetriesCarryTheSameIdempotencyKeyAndTraceButANewSpan) {
  make();
  fake->then(respond(503, "busy"));
  EXPECT_EQ(failure_of(invoker->invoke(call())).cls, FailureClass::transient);
  ASSERT_TRUE(std::holds_alternative<engine::ActionSuccess>(invoker->invoke(call())));

  const auto sent = fake->sent();
  ASSERT_EQ(sent.size(), 2u);
  EXPECT_EQ(sent[0].headers.get("Idempotency-Key"), sent[1].headers.get("Idempotency-Key"));
  EXPECT_EQ(sent[0].body, sent[1].body);
  const std::string first(*sent[0].headers.get("traceparent"));
  const std::string second(*sent[1].headers.get("traceparent"));
  EXPECT_EQ(first.substr(0, 35), second.substr(0, 35));  // version and trace id
  EXPECT_NE(first.substr(36, 16), second.substr(36, 16));  // parent (span) id
}

TEST_F(DeliveryInvokerTest, TraceparentOfTheRequestIsPassedOnAndATraceIdCorrelationIsKept) {
  make();
  auto r = call();
  r.traceparent = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";
  ASSERT_TRUE(std::holds_alternative<engine::ActionSuccess>(invoker->invoke(r)));
  r.traceparent.clear();
  r.correlation_id = "4bf92f3577b34da6a3ce929d0e0e4736";  // what the router derives from one
  ASSERT_TRUE(std::holds_alternative<engine::ActionSuccess>(invoker->invoke(r)));

  const auto sent = fake->sent();
  EXPECT_EQ(sent[0].headers.get("traceparent").value_or(""),
            "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01");
  const std::string derived(sent[1].headers.get("traceparent").value_or(""));
  EXPECT_TRUE(derived.starts_with("00-4bf92f3577b34da6a3ce929d0e0e4736-")) << derived;
}

TEST(TraceContext, DerivedTraceparentIsValidAndStablePerCorrelation) {
  engine::ActionRequest a;
  a.correlation_id = "corr-1";
  engine::ActionRequest b = a;
  engine::ActionRequest c;
  c.correlation_id = "corr-2";
  engine::ActionRequest no_correlation;
  no_correlation.instance_id = "inst-1";
  for (const auto* r : {&a, &b, &c, &no_correlation}) {
    const std::string tp = outbound_traceparent(*r);
    EXPECT_TRUE(std::regex_match(tp, kTraceparent)) << tp;
    EXPECT_TRUE(valid_traceparent(tp));
  }
  EXPECT_EQ(outbound_traceparent(a).substr(3, 32), outbound_traceparent(b).substr(3, 32));
  EXPECT_NE(outbound_traceparent(a).substr(3, 32), outbound_traceparent(c).substr(3, 32));
  EXPECT_FALSE(valid_traceparent("00-00000000000000000000000000000000-00f067aa0ba902b7-01"));
  EXPECT_FALSE(valid_traceparent("00-4BF92F3577B34DA6A3CE929D0E0E4736-00f067aa0ba902b7-01"));
  EXPECT_FALSE(valid_traceparent("garbage"));
  // An invalid one on the request is replaced, not passed on.
  a.traceparent = "garbage";
  EXPECT_TRUE(valid_traceparent(outbound_traceparent(a)));
}

TEST_F(DeliveryInvokerTest, RateLimitDefersWithoutCallingThePlatform) {
  make(std::string(kTarget) + "    rate_per_second: 2\n    burst: 1\n");
  ASSERT_TRUE(std::holds_alternative<engine::ActionSuccess>(invoker->invoke(call())));
  const auto d = deferred_of(invoker->invoke(call()));
  EXPECT_EQ(d.wait, 500ms);
  EXPECT_EQ(d.reason, "rate limit");
  EXPECT_EQ(fake->calls(), 1u);
  clock->advance(500ms);
  EXPECT_TRUE(std::holds_alternative<engine::ActionSuccess>(invoker->invoke(call())));
  EXPECT_EQ(fake->calls(), 2u);
}

TEST_F(DeliveryInvokerTest, ConcurrencyCapDefersWhileACallIsInFlight) {
  make(std::string(kTarget) + "    max_concurrency: 1\n");
  Gate gate;
  fake->then(gate.step(respond(200)));
  std::thread first([&] { (void)invoker->invoke(call()); });
  gate.entered.get_future().wait();

  const auto d = deferred_of(invoker->invoke(call()));
  EXPECT_EQ(d.reason, "concurrency limit");
  EXPECT_EQ(d.wait, DeliveryOptions{}.concurrency_wait);
  EXPECT_EQ(fake->calls(), 1u);

  gate.release.set_value();
  first.join();
  EXPECT_TRUE(std::holds_alternative<engine::ActionSuccess>(invoker->invoke(call())));
}

// invoke_async returns while the platform has the request: the attempt keeps its slot until
// the answer comes (on the transport's thread, here the test's), and then says how it went.
TEST_F(DeliveryInvokerTest, InvokeAsyncHoldsItsSlotUntilThePlatformAnswers) {
  make(std::string(kTarget) + "    max_concurrency: 1\n");
  fake->hold();
  std::optional<engine::ActionOutcome> first, second, third;
  invoker->invoke_async(call(), [&](engine::ActionOutcome o) { first = std::move(o); });
  EXPECT_FALSE(first.has_value());
  ASSERT_EQ(fake->held(), 1u);
  EXPECT_EQ(fake->sent()[0].headers.get("Idempotency-Key").value_or(""), "wf-1234:credit");

  invoker->invoke_async(call(), [&](engine::ActionOutcome o) { second = std::move(o); });
  ASSERT_TRUE(second.has_value());  // answered at once, on the caller's thread
  EXPECT_EQ(deferred_of(*second).reason, "concurrency limit");
  EXPECT_EQ(fake->calls(), 1u);

  std::thread platform([&] { fake->answer(respond(200, R"({"id":"cn_1"})")); });
  platform.join();
  ASSERT_TRUE(first.has_value());
  ASSERT_TRUE(std::holds_alternative<engine::ActionSuccess>(*first));
  EXPECT_EQ(std::get<engine::ActionSuccess>(*first).output["id"], "cn_1");

  // The slot is free again; a failed answer comes back the same way, classified.
  invoker->invoke_async(call(), [&](engine::ActionOutcome o) { third = std::move(o); });
  ASSERT_EQ(fake->held(), 1u);
  fake->answer(respond(503, "{}", {{"Retry-After", "2"}}));
  ASSERT_TRUE(third.has_value());
  EXPECT_EQ(failure_of(*third).cls, FailureClass::transient);
  EXPECT_TRUE(has_line(R"(weft_outbound_requests_total{connector="target",action="create_effect",outcome="success"} 1)"));
  EXPECT_TRUE(has_line(R"(weft_outbound_requests_total{connector="target",action="create_effect",outcome="deferred"} 1)"));
}

DeliveryOptions breaker_of_three() {
  DeliveryOptions options;
  options.breaker.failure_threshold = 3;
  options.breaker.open_for = 10s;
  options.breaker.max_open_for = 60s;
  return options;
}

TEST_F(DeliveryInvokerTest, BreakerOpensAfterCountedFailuresAndWorkWaitsInsteadOfFailing) {
  make(kTarget, breaker_of_three());
  for (int i = 0; i < 3; ++i) {
    fake->then(respond(503));
    EXPECT_EQ(failure_of(invoker->invoke(call())).cls, FailureClass::transient);
  }
  EXPECT_TRUE(has_line("weft_circuit_open{connector=\"target\"} 1"));

  const auto d = deferred_of(invoker->invoke(call()));
  EXPECT_EQ(d.reason, "circuit open");
  EXPECT_EQ(d.wait, 10s);
  EXPECT_EQ(fake->calls(), 3u);

  clock->advance(4s);
  EXPECT_EQ(deferred_of(invoker->invoke(call())).wait, 6s);
  EXPECT_EQ(fake->calls(), 3u);
}

TEST_F(DeliveryInvokerTest, HalfOpenSendsOneProbeWhoseSuccessClosesTheBreaker) {
  make(kTarget, breaker_of_three());
  for (int i = 0; i < 3; ++i) {
    fake->then(respond(502));
    (void)invoker->invoke(call());
  }
  clock->advance(10s);

  Gate gate;
  fake->then(gate.step(respond(200)));
  std::thread probe([&] {
    EXPECT_TRUE(std::holds_alternative<engine::ActionSuccess>(invoker->invoke(call())));
  });
  gate.entered.get_future().wait();
  // While the probe is out, everything else waits.
  const auto d = deferred_of(invoker->invoke(call()));
  EXPECT_EQ(d.reason, "circuit half-open: a probe is in flight");
  EXPECT_EQ(fake->calls(), 4u);
  gate.release.set_value();
  probe.join();

  EXPECT_EQ(invoker->breaker("target")->state, BreakerState::closed);
  EXPECT_TRUE(has_line("weft_circuit_open{connector=\"target\"} 0"));
  EXPECT_TRUE(std::holds_alternative<engine::ActionSuccess>(invoker->invoke(call())));
}

TEST_F(DeliveryInvokerTest, FailedProbeReopensWithADoubledCoolDown) {
  make(kTarget, breaker_of_three());
  for (int i = 0; i < 3; ++i) {
    fake->then(transport_fault(Transport::connect_failed));
    (void)invoker->invoke(call());
  }
  clock->advance(10s);
  fake->then(transport_fault(Transport::connect_failed));
  EXPECT_EQ(failure_of(invoker->invoke(call())).cls, FailureClass::transient);
  EXPECT_EQ(deferred_of(invoker->invoke(call())).wait, 20s);
}

TEST_F(DeliveryInvokerTest, AnswersThatDoNotCountKeepTheBreakerClosed) {
  make(kTarget, breaker_of_three());
  for (int i = 0; i < 5; ++i) {
    fake->then(respond(422, R"({"error":"amount must be positive"})"));
    const auto f = failure_of(invoker->invoke(call()));
    EXPECT_EQ(f.cls, FailureClass::validation);
    EXPECT_EQ(f.http_status, 422);
    EXPECT_NE(f.message.find("amount must be positive"), std::string::npos) << f.message;
  }
  EXPECT_EQ(invoker->breaker("target")->state, BreakerState::closed);
  // Two transient failures, then a validation answer: the streak is broken.
  fake->then(respond(500));
  fake->then(respond(500));
  fake->then(respond(400));
  fake->then(respond(500));
  for (int i = 0; i < 4; ++i) (void)invoker->invoke(call());
  EXPECT_EQ(invoker->breaker("target")->state, BreakerState::closed);
  EXPECT_EQ(fake->calls(), 9u);
}

TEST_F(DeliveryInvokerTest, RetryAfterOn429HoldsTheWholeConnector) {
  make();
  fake->then(respond(429, "slow down", {{"Retry-After", "5"}}));
  const auto f = failure_of(invoker->invoke(call()));
  EXPECT_EQ(f.cls, FailureClass::rate_limited);
  EXPECT_EQ(f.retry_after, std::optional<std::chrono::milliseconds>(5s));

  // Another step of another workflow on the same connector waits too.
  auto other = call("other_action");
  other.idempotency_key = "wf-9:other";
  const auto d = deferred_of(invoker->invoke(other));
  EXPECT_EQ(d.wait, 5s);
  EXPECT_EQ(d.reason, "rate limit (platform's Retry-After)");
  EXPECT_EQ(fake->calls(), 1u);

  clock->advance(5s);
  EXPECT_TRUE(std::holds_alternative<engine::ActionSuccess>(invoker->invoke(other)));
}

// What the console's overview shows per connector: circuit, rate-limit headroom, last error.
TEST_F(DeliveryInvokerTest, HealthShowsTheCircuitTheHeadroomAndTheLastError) {
  make(std::string(kTarget) + "    rate_per_second: 2\n    burst: 3\n");
  auto health = invoker->health();
  ASSERT_EQ(health.size(), 1u);
  EXPECT_EQ(health[0].connector, "target");
  EXPECT_EQ(health[0].circuit, BreakerState::closed);
  EXPECT_TRUE(health[0].rate_configured);
  EXPECT_EQ(health[0].rate_available, 3);
  EXPECT_EQ(health[0].last_error_at_ms, 0);

  fake->then(respond(429, "slow down", {{"Retry-After", "5"}}));
  failure_of(invoker->invoke(call()));
  health = invoker->health();
  EXPECT_EQ(health[0].rate_available, 0);  // held by the platform's Retry-After
  EXPECT_TRUE(health[0].rate_penalised);
  EXPECT_EQ(health[0].last_error_at_ms, clock->unix_millis());
  EXPECT_EQ(health[0].last_error_class, "rate_limited");

  clock->advance(5s);
  health = invoker->health();
  EXPECT_FALSE(health[0].rate_penalised);
  EXPECT_EQ(health[0].rate_available, 1);  // after a penalty the rate restarts at one
  EXPECT_EQ(health[0].last_error_class, "rate_limited");  // the last error stays shown
}

TEST_F(DeliveryInvokerTest, TimeoutAfterSendIsUnknownOutcomeAndCountsTowardTheBreaker) {
  make(kTarget, breaker_of_three());
  fake->then(transport_fault(Transport::timeout_after_send));
  fake->then(transport_fault(Transport::connection_reset_after_send));
  fake->then(transport_fault(Transport::timeout_after_send));
  for (int i = 0; i < 3; ++i) {
    const auto f = failure_of(invoker->invoke(call()));
    EXPECT_EQ(f.cls, FailureClass::unknown_outcome);
    EXPECT_EQ(f.http_status, 0);
  }
  EXPECT_EQ(invoker->breaker("target")->state, BreakerState::open);
}

TEST_F(DeliveryInvokerTest, TimeoutBeforeSendIsTransient) {
  make();
  fake->then(transport_fault(Transport::timeout_before_send));
  EXPECT_EQ(failure_of(invoker->invoke(call())).cls, FailureClass::transient);
}

TEST_F(DeliveryInvokerTest, UnknownConnectorIsAValidationFailureNamingTheConfiguredOnes) {
  make();
  auto r = call();
  r.connector = "targte";
  const auto f = failure_of(invoker->invoke(r));
  EXPECT_EQ(f.cls, FailureClass::validation);
  EXPECT_NE(f.message.find("unknown connector 'targte'"), std::string::npos) << f.message;
  EXPECT_NE(f.message.find("target"), std::string::npos) << f.message;
  EXPECT_EQ(fake->calls(), 0u);
}

TEST_F(DeliveryInvokerTest, UnknownActionOfAPlatformConnectorFailsWithoutACall) {
  make(std::string(kTarget) + R"(  billing:
    type: stripe
    base_url: http://127.0.0.1:7171
    api_key: sk
    webhook_secret: whsec
)");
  auto r = call("create_credit_nte");
  r.connector = "billing";
  const auto f = failure_of(invoker->invoke(r));
  EXPECT_EQ(f.cls, FailureClass::validation);
  EXPECT_NE(f.message.find("create_credit_note"), std::string::npos) << f.message;
  EXPECT_EQ(fake->calls(), 0u);
}

TEST_F(DeliveryInvokerTest, BadInputFailsWithoutTakingARateToken) {
  make(std::string(kTarget) + "    rate_per_second: 1\n    burst: 1\n");
  auto r = call();
  r.input = {{"path", "effects"}};
  const auto f = failure_of(invoker->invoke(r));
  EXPECT_EQ(f.cls, FailureClass::validation);
  EXPECT_NE(f.message.find("path must start with '/'"), std::string::npos) << f.message;
  EXPECT_EQ(fake->calls(), 0u);
  // The one token of the bucket is still there.
  EXPECT_TRUE(std::holds_alternative<engine::ActionSuccess>(invoker->invoke(call())));
}

TEST_F(DeliveryInvokerTest, NonJsonSuccessBodyBecomesStatusAndText) {
  make();
  fake->then(respond(201, "created"));
  fake->then(respond(204, ""));
  fake->then(respond(200, "[1,2]"));
  const auto out = [&] { return std::get<engine::ActionSuccess>(invoker->invoke(call())).output; };
  EXPECT_EQ(out(), nlohmann::json({{"status", 201}, {"body", "created"}}));
  EXPECT_EQ(out(), nlohmann::json({{"status", 204}, {"body", ""}}));
  EXPECT_EQ(out(), nlohmann::json({{"status", 200}, {"body", {1, 2}}}));
}

TEST_F(DeliveryInvokerTest, MetricsCountEveryOutcome) {
  make(std::string(kTarget) + "    rate_per_second: 1\n    burst: 2\n");
  fake->then(respond(429, "", {{"Retry-After", "1"}}));
  (void)invoker->invoke(call("create_effect"));  // rate_limited
  (void)invoker->invoke(call("create_effect"));  // deferred (penalty)
  clock->advance(1s);
  (void)invoker->invoke(call("create_effect"));  // success
  auto unknown = call("create_effect");
  unknown.connector = "nope";
  (void)invoker->invoke(unknown);

  EXPECT_TRUE(has_line(
      R"(weft_outbound_requests_total{connector="target",action="create_effect",outcome="rate_limited"} 1)"))
      << metrics_text();
  EXPECT_TRUE(has_line(
      R"(weft_outbound_requests_total{connector="target",action="create_effect",outcome="deferred"} 1)"));
  EXPECT_TRUE(has_line(
      R"(weft_outbound_requests_total{connector="target",action="create_effect",outcome="success"} 1)"));
  EXPECT_TRUE(has_line(
      R"(weft_outbound_requests_total{connector="nope",action="create_effect",outcome="validation"} 1)"));
  EXPECT_TRUE(has_line(R"(weft_outbound_seconds_count{connector="target"} 2)")) << metrics_text();
  EXPECT_TRUE(has_line(R"(weft_circuit_open{connector="target"} 0)"));
}

TEST(DeliveryInvokerStartUp, UnusableLimitNamesTheConnector) {
  metrics::Registry registry;
  try {
    DeliveryInvoker invoker(load(std::string(kTarget) + "    rate_per_second: 0.000001\n"),
                            std::make_unique<FakeTransport>(), std::make_shared<ManualClock>(),
                            registry);
    FAIL() << "expected std::invalid_argument";
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find("connector target: rate limit"), std::string::npos)
        << e.what();
  }
}

// NetSuite's concurrency limit is per account: connectors of one account share one adaptive
// cap (OutboundConnector::concurrency_pool), lowered by NetSuite's concurrency errors.
std::string netsuite_connector(const std::string& name, const std::string& account, int max) {
  return "  " + name + ":\n    type: netsuite\n    base_url: http://ns.test\n    account_id: " +
         account +
         "\n    consumer_key: ck\n    consumer_secret: cs\n    token_id: tk\n    token_secret: ts\n"
         "    webhook_secret: w\n    max_concurrency: " + std::to_string(max) + "\n";
}

engine::ActionRequest netsuite_read(std::string connector) {
  engine::ActionRequest r;
  r.connector = std::move(connector);
  r.action = "get_customer";
  r.input = {{"id", "14"}};
  r.idempotency_key = "wf-9:read";
  return r;
}

std::string netsuite_error(int status, const std::string& code) {
  return nlohmann::json({{"title", "Error"},
                         {"status", status},
                         {"o:errorDetails", {{{"detail", "refused"}, {"o:errorCode", code}}}}})
      .dump();
}

class NetSuitePoolTest : public DeliveryInvokerTest {
 protected:
  // Whether a call to `connector` is admitted while one call of `holder` is in flight.
  bool admitted_beside_one_in_flight(const std::string& holder, const std::string& connector) {
    Gate gate;
    fake->then(gate.step(respond(200, R"({"id":"14"})")));
    std::thread first([&] { (void)invoker->invoke(netsuite_read(holder)); });
    gate.entered.get_future().wait();
    const auto outcome = invoker->invoke(netsuite_read(connector));
    gate.release.set_value();
    first.join();
    if (const auto* d = std::get_if<engine::Deferred>(&outcome)) {
      last_reason = d->reason;
      return false;
    }
    EXPECT_TRUE(std::holds_alternative<engine::ActionSuccess>(outcome));
    return true;
  }
  std::string last_reason;
};

TEST_F(NetSuitePoolTest, ConnectorsOfOneAccountShareOneCapWhoseCeilingIsTheSmallest) {
  make(netsuite_connector("erp_a", "1234567_SB1", 1) +
       netsuite_connector("erp_b", "1234567-sb1", 3) +  // the same account, spelt as in the host
       netsuite_connector("erp_other", "7654321", 1));
  EXPECT_FALSE(admitted_beside_one_in_flight("erp_a", "erp_b"));
  EXPECT_EQ(last_reason, "concurrency limit (shared: netsuite:1234567_SB1)");
  EXPECT_FALSE(admitted_beside_one_in_flight("erp_b", "erp_a"));
  EXPECT_TRUE(admitted_beside_one_in_flight("erp_a", "erp_other"));
}

TEST_F(NetSuitePoolTest, ConcurrencyErrorsLowerTheSharedCapAndSuccessesRaiseItAgain) {
  make(netsuite_connector("erp_a", "1234567_SB1", 2));
  // An ordinary refusal says nothing about concurrency: the cap stays at 2.
  fake->then(respond(400, netsuite_error(400, "INVALID_CONTENT")));
  EXPECT_EQ(failure_of(invoker->invoke(netsuite_read("erp_a"))).cls, FailureClass::validation);
  EXPECT_TRUE(admitted_beside_one_in_flight("erp_a", "erp_a"));

  // NetSuite's concurrency refusal (a RESTlet-style 400 here) halves it: 2 → 1.
  fake->then(respond(400, netsuite_error(400, "SSS_REQUEST_LIMIT_EXCEEDED")));
  const Failure limited = failure_of(invoker->invoke(netsuite_read("erp_a")));
  EXPECT_EQ(limited.cls, FailureClass::rate_limited);
  EXPECT_EQ(limited.platform_code, "SSS_REQUEST_LIMIT_EXCEEDED");
  EXPECT_FALSE(admitted_beside_one_in_flight("erp_a", "erp_a"));  // the held call succeeds: 1

  // Ten successes at the lowered cap raise it by one (AdaptiveConcurrency's default).
  for (int i = 0; i < 9; ++i) {
    ASSERT_TRUE(std::holds_alternative<engine::ActionSuccess>(
        invoker->invoke(netsuite_read("erp_a"))));
  }
  EXPECT_TRUE(admitted_beside_one_in_flight("erp_a", "erp_a"));

  // A plain 429 (REST's answer to the limit) lowers it again.
  fake->then(respond(429, ""));
  EXPECT_EQ(failure_of(invoker->invoke(netsuite_read("erp_a"))).cls, FailureClass::rate_limited);
  EXPECT_FALSE(admitted_beside_one_in_flight("erp_a", "erp_a"));
}

TEST_F(NetSuitePoolTest, NetSuiteRequestsAreSignedWithTokenBasedAuthentication) {
  make(netsuite_connector("erp_a", "1234567-sb1", 2));
  ASSERT_TRUE(std::holds_alternative<engine::ActionSuccess>(invoker->invoke(netsuite_read("erp_a"))));
  const auto sent = fake->sent();
  ASSERT_EQ(sent.size(), 1u);
  EXPECT_EQ(sent[0].url, "http://ns.test/services/rest/record/v1/customer/14");
  const std::string auth(sent[0].headers.get("Authorization").value_or(""));
  EXPECT_TRUE(auth.starts_with("OAuth realm=\"1234567_SB1\", oauth_consumer_key=\"ck\", "
                               "oauth_token=\"tk\", oauth_signature_method=\"HMAC-SHA256\""))
      << auth;
}

}  // namespace
}  // namespace weft::delivery
